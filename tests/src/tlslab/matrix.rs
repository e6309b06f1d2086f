//! The detection matrix: which rule had which status on which endpoint in a
//! `scan --format json` report, compared with what the lab planted. Pure
//! logic, so the comparison itself is unit-tested.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::catalogue::RULES;

/// What one endpoint should show.
#[derive(Debug, Clone)]
pub struct Expectation {
    pub name: String,
    /// The endpoint's own loopback address: findings are matched by it.
    pub host: String,
    pub planted: Vec<String>,
    pub also: Vec<String>,
}

impl Expectation {
    pub fn clean(&self) -> bool {
        self.planted.is_empty() && self.also.is_empty()
    }
}

/// Rule id → status (`pass`, `fail`, `error`, `not_applicable`) per endpoint.
pub type Observed = BTreeMap<String, BTreeMap<String, String>>;

/// The host part of a finding's target: `host:port`, `[v6]:port` or a URL.
pub fn target_host(target: &str) -> &str {
    let rest = target.split_once("://").map_or(target, |(_, r)| r);
    if let Some(v6) = rest.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6);
    }
    rest.split([':', '/']).next().unwrap_or(rest)
}

fn rank(status: &str) -> u8 {
    match status {
        "fail" => 3,
        "error" => 2,
        "pass" => 1,
        _ => 0,
    }
}

/// Groups a report's findings by endpoint (matched on host); when a rule
/// appears twice for one endpoint the worse status wins.
pub fn observed(report: &Value, expect: &[Expectation]) -> Observed {
    let mut out: Observed = expect
        .iter()
        .map(|e| (e.name.clone(), BTreeMap::new()))
        .collect();
    let findings = report["findings"].as_array().map_or(&[][..], Vec::as_slice);
    for f in findings {
        let (Some(target), Some(rule), Some(status)) = (
            f["target"].as_str(),
            f["rule_id"].as_str(),
            f["status"].as_str(),
        ) else {
            continue;
        };
        let host = target_host(target);
        let Some(e) = expect.iter().find(|e| e.host == host) else {
            continue;
        };
        let row = out.get_mut(&e.name).expect("row per endpoint");
        let slot = row.entry(rule.to_owned()).or_default();
        if rank(status) >= rank(slot) {
            *slot = status.to_owned();
        }
    }
    out
}

/// Everything that contradicts the expectation, one sentence each: a
/// planted weakness not failed, a failure not expected, an endpoint
/// without findings, an error on an endpoint meant to be clean.
pub fn problems(expect: &[Expectation], observed: &Observed) -> Vec<String> {
    let mut out = Vec::new();
    for e in expect {
        let row = &observed[&e.name];
        if row.is_empty() {
            out.push(format!("{}: no findings at all", e.name));
            continue;
        }
        for rule in &e.planted {
            let got = row.get(rule).map_or("absent", String::as_str);
            if got != "fail" {
                out.push(format!("{}: planted {rule} is {got}, not fail", e.name));
            }
        }
        for (rule, status) in row {
            let allowed = e.planted.contains(rule) || e.also.contains(rule);
            if status == "fail" && !allowed {
                out.push(format!("{}: unexpected fail of {rule}", e.name));
            }
            if status == "error" && e.clean() {
                out.push(format!("{}: {rule} is error on a clean endpoint", e.name));
            }
        }
    }
    out
}

/// A compact table: one row per endpoint, one column per rule. `F` fail,
/// `.` pass, `-` not applicable, `E` error, blank absent; `!` marks a cell
/// that contradicts the expectation, `*` a planted weakness found.
pub fn render(expect: &[Expectation], observed: &Observed) -> String {
    let width = expect.iter().map(|e| e.name.len()).max().unwrap_or(8);
    let mut s = format!("{:width$} ", "endpoint");
    for rule in RULES {
        let short = rule.replace("CERT-", "C").replace("TLS-", "T");
        let short = short.replace("HTTP-", "H");
        let _ = write!(s, "{short:>5}");
    }
    s.push('\n');
    for e in expect {
        let row = &observed[&e.name];
        let _ = write!(s, "{:width$} ", e.name);
        for rule in RULES {
            let rule = rule.to_string();
            let status = row.get(&rule).map_or("", String::as_str);
            let glyph = match status {
                "fail" => "F",
                "pass" => ".",
                "not_applicable" => "-",
                "error" => "E",
                "" => " ",
                _ => "?",
            };
            let planted = e.planted.contains(&rule);
            let allowed = planted || e.also.contains(&rule);
            let mark = match (status, planted) {
                ("fail", true) => "*",
                ("fail", false) if !allowed => "!",
                ("error", _) if e.clean() => "!",
                (_, true) => "!",
                _ => " ",
            };
            let _ = write!(s, "{:>4}{mark}", glyph);
        }
        s.push('\n');
    }
    s.push_str("F fail · . pass · - n/a · E error · * planted and found · ! contradicts the lab\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expect(name: &str, host: &str, planted: &[&str], also: &[&str]) -> Expectation {
        Expectation {
            name: name.into(),
            host: host.into(),
            planted: planted.iter().map(|s| s.to_string()).collect(),
            also: also.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn finding(target: &str, rule: &str, status: &str) -> Value {
        json!({"target": target, "rule_id": rule, "status": status})
    }

    #[test]
    fn hosts_come_from_targets_and_urls() {
        assert_eq!(target_host("127.1.2.3:443"), "127.1.2.3");
        assert_eq!(target_host("http://127.1.2.3/"), "127.1.2.3");
        assert_eq!(target_host("https://127.1.2.3:8443/x"), "127.1.2.3");
        assert_eq!(target_host("[::1]:443"), "::1");
    }

    #[test]
    fn missed_planted_unexpected_and_silent_endpoints_are_problems() {
        let lab = [
            expect("good", "127.0.9.10", &[], &[]),
            expect("weak", "127.0.9.11", &["TLS-002"], &["TLS-007"]),
            expect("cert", "127.0.9.12", &["CERT-001"], &[]),
            expect("silent", "127.0.9.13", &["CERT-004"], &[]),
        ];
        let report = json!({"findings": [
            finding("127.0.9.10:443", "TLS-002", "pass"),
            finding("127.0.9.10:443", "CERT-003", "error"),
            finding("127.0.9.11:443", "TLS-002", "fail"),
            finding("127.0.9.11:443", "TLS-007", "fail"),
            finding("127.0.9.12:443", "CERT-001", "pass"),
            finding("127.0.9.12:443", "TLS-004", "fail"),
            finding("127.0.9.99:443", "TLS-004", "fail"),
        ]});
        let seen = observed(&report, &lab);
        assert_eq!(
            problems(&lab, &seen),
            vec![
                "good: CERT-003 is error on a clean endpoint",
                "cert: planted CERT-001 is pass, not fail",
                "cert: unexpected fail of TLS-004",
                "silent: no findings at all",
            ]
        );
        let table = render(&lab, &seen);
        assert!(table.contains("weak"), "{table}");
        assert!(table.contains("F*"), "{table}");
    }

    #[test]
    fn the_worse_status_of_a_repeated_rule_wins() {
        let lab = [expect("web", "127.0.9.20", &["HTTP-001"], &[])];
        let report = json!({"findings": [
            finding("127.0.9.20:443", "HTTP-001", "fail"),
            finding("http://127.0.9.20/", "HTTP-001", "pass"),
        ]});
        let seen = observed(&report, &lab);
        assert_eq!(seen["web"]["HTTP-001"], "fail");
        assert!(problems(&lab, &seen).is_empty());
    }
}
