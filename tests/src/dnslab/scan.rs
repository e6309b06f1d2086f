//! Running `trustwatch-agent scan --domain … --resolver LAB --format json`
//! against the lab, and reading its findings by rule and target.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::DnsLab;
use crate::binary;
use crate::process::run_bounded;

/// Findings by (rule, target).
pub type Findings = BTreeMap<(String, String), Value>;

/// Scans `domains` through the lab with `extra` arguments; the exit status
/// and the findings.
pub fn scan(lab: &DnsLab, domains: &[&str], extra: &[&str]) -> (Option<i32>, Findings) {
    let mut cmd = std::process::Command::new(binary("trustwatch-agent"));
    cmd.args(["scan", "--format", "json", "--resolver"])
        .arg(lab.addr().to_string())
        .arg("--domain")
        .arg(domains.join(","))
        .args(extra);
    let out = run_bounded(&mut cmd, Duration::from_secs(90));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let findings = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let key = (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["target"].as_str().unwrap().to_owned(),
            );
            (key, f.clone())
        })
        .collect();
    (out.status.code(), findings)
}

/// The finding of `rule` for `domain`; panics listing what there is.
pub fn finding<'a>(findings: &'a Findings, rule: &str, domain: &str) -> &'a Value {
    findings
        .get(&(rule.to_owned(), domain.to_owned()))
        .unwrap_or_else(|| panic!("no {rule} finding for {domain}: {:#?}", findings.keys()))
}

/// Its status.
pub fn status<'a>(findings: &'a Findings, rule: &str, domain: &str) -> &'a str {
    finding(findings, rule, domain)["status"].as_str().unwrap()
}
