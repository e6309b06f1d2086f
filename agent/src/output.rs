//! Rendering a report for people (`table`) and for programs (`json`).
//! Rendering returns text; printing it is the binary's business.

use std::fmt::Write as _;

use trustwatch_rules::observe::{DataSource, IdentifiedBy, ServiceObservation};
use trustwatch_rules::{Report, Status};

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned table and a one-line tally, for a person at a terminal.
    Table,
    /// One JSON object per design.md "Contracts", for pipelines.
    Json,
}

pub fn render(report: &Report, format: Format) -> Result<String, serde_json::Error> {
    match format {
        Format::Json => serde_json::to_string_pretty(report).map(|mut s| {
            s.push('\n');
            s
        }),
        Format::Table => Ok(table(report)),
    }
}

/// Longest summary shown in the table; the JSON always has all of it.
const MAX_SUMMARY: usize = 100;

pub fn table(report: &Report) -> String {
    let header = ["RULE", "SEVERITY", "STATUS", "TARGET", "SUMMARY"];
    let rows: Vec<[String; 5]> = report
        .findings
        .iter()
        .map(|f| {
            [
                f.rule_id.clone(),
                f.severity.to_string(),
                f.status.to_string(),
                f.target.clone(),
                shorten(&f.summary, MAX_SUMMARY),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 5]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    if !report.services.is_empty() {
        out.push('\n');
        out.push_str(&inventory(&report.services));
    }
    if !report.data_sources.is_empty() {
        out.push('\n');
        out.push_str(&data_sources(&report.data_sources));
    }
    out.push('\n');
    out.push_str(&tally(report));
    out.push('\n');
    out
}

/// The open ports of a discovery scan, one a line, aligned.
pub fn inventory(services: &[ServiceObservation]) -> String {
    let header = [
        "ENDPOINT", "PROTO", "SERVICE", "PRODUCT", "VERSION", "FOUND BY",
    ];
    let rows: Vec<[String; 6]> = services
        .iter()
        .map(|s| {
            let text = |v: &Option<String>| shorten(v.as_deref().unwrap_or("-"), 40);
            [
                s.endpoint(),
                s.transport.as_str().to_owned(),
                text(&s.service),
                text(&s.product),
                text(&s.version),
                match s.identified_by {
                    IdentifiedBy::Banner => "banner",
                    IdentifiedBy::Probe => "probe",
                    IdentifiedBy::Port => "port number",
                    IdentifiedBy::Unknown => "-",
                }
                .to_owned(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 6]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let _ = write!(text, "{cell:<width$}  ", width = widths[i]);
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]);
    }
    out
}

/// The data files the findings were judged against, one a line: what,
/// where, its version and date, so a reader knows how fresh the verdict is.
pub fn data_sources(sources: &[DataSource]) -> String {
    let mut out = String::new();
    for d in sources {
        let mut line = format!("data: {} {}", d.kind, shorten(&d.path, 60));
        if let Some(v) = &d.version {
            let _ = write!(line, ", version {}", shorten(v, 40));
        }
        if let Some(date) = &d.date {
            let _ = write!(line, ", dated {}", shorten(date, 40));
        }
        if let Some(n) = d.records {
            let _ = write!(line, ", {n} records");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// E.g. `8 findings: 6 pass, 1 fail, 1 error, 0 not applicable`, and for
/// a discovery scan `; 12 open ports on 3 hosts`.
pub fn tally(report: &Report) -> String {
    let count = |s: Status| report.findings.iter().filter(|f| f.status == s).count();
    let mut text = format!(
        "{} findings: {} pass, {} fail, {} error, {} not applicable",
        report.findings.len(),
        count(Status::Pass),
        count(Status::Fail),
        count(Status::Error),
        count(Status::NotApplicable),
    );
    if !report.services.is_empty() {
        let hosts: std::collections::BTreeSet<&str> =
            report.services.iter().map(|s| s.host.as_str()).collect();
        let _ = write!(
            text,
            "; {} open ports on {} hosts",
            report.services.len(),
            hosts.len()
        );
    }
    text
}

fn shorten(text: &str, max: usize) -> String {
    // Control characters from a server's certificate must not reach a
    // terminal as escape sequences.
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= max {
        clean
    } else {
        let mut cut: String = clean.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustwatch_rules::{BaselineRef, Evidence, Finding, Severity, SCHEMA_VERSION};

    fn finding(rule: &str, status: Status, summary: &str) -> Finding {
        Finding {
            rule_id: rule.into(),
            title: "t".into(),
            severity: Severity::High,
            status,
            target: "127.0.0.1:443".into(),
            summary: summary.into(),
            evidence: Evidence::new(),
            controls: vec![],
            remediation: String::new(),
        }
    }

    fn report() -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            scanned_at: time::macros::datetime!(2025-01-02 03:04:05 UTC),
            baseline: BaselineRef {
                id: "b".into(),
                version: "1".into(),
            },
            tool: None,
            vantage: None,
            findings: vec![
                finding("TLS-003", Status::Pass, "TLSv1.3 accepted"),
                finding("CERT-001", Status::Fail, "certificate expired\x1b[31m"),
            ],
            services: Vec::new(),
            data_sources: Vec::new(),
            agent: None,
            report_id: None,
            sequence: None,
        }
    }

    #[test]
    fn inventory_lists_open_ports_with_a_count() {
        use trustwatch_rules::observe::Transport;
        let mut r = report();
        let mut ssh = ServiceObservation::open("10.0.0.5", 22, Transport::Tcp);
        ssh.service = Some("ssh".into());
        ssh.product = Some("OpenSSH".into());
        ssh.version = Some("9.2p1".into());
        ssh.identified_by = IdentifiedBy::Banner;
        r.services = vec![
            ssh,
            ServiceObservation::open("fd00::5", 161, Transport::Udp),
        ];
        let text = table(&r);
        assert!(
            text.contains("10.0.0.5:22    tcp    ssh      OpenSSH  9.2p1    banner\n"),
            "{text}"
        );
        assert!(text.contains("[fd00::5]:161  udp    -"), "{text}");
        assert!(text.ends_with("; 2 open ports on 2 hosts\n"), "{text}");
    }

    #[test]
    fn table_is_aligned_with_a_tally() {
        let text = table(&report());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "RULE      SEVERITY  STATUS  TARGET         SUMMARY"
        );
        assert_eq!(
            lines[1],
            "TLS-003   high      pass    127.0.0.1:443  TLSv1.3 accepted"
        );
        assert!(!text.contains('\x1b'), "control characters are neutralised");
        assert_eq!(
            lines.last().unwrap(),
            &"2 findings: 1 pass, 1 fail, 0 error, 0 not applicable"
        );
    }

    #[test]
    fn json_has_the_contract_fields_and_utc_z() {
        let text = render(&report(), Format::Json).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["scanned_at"], "2025-01-02T03:04:05Z");
        assert_eq!(v["schema_version"], SCHEMA_VERSION);
        assert_eq!(v["findings"][1]["status"], "fail");
    }

    #[test]
    fn data_sources_say_what_and_how_fresh() {
        let mut r = report();
        r.data_sources = vec![DataSource {
            kind: "advisories".into(),
            path: "/var/lib/trustwatch/advisories.db".into(),
            version: Some("1".into()),
            date: Some("2026-11-20T08:00:00Z".into()),
            records: Some(98_765),
            sha256: None,
        }];
        let text = table(&r);
        assert!(
            text.contains("data: advisories /var/lib/trustwatch/advisories.db, version 1, dated 2026-11-20T08:00:00Z, 98765 records\n"),
            "{text}"
        );
    }

    #[test]
    fn long_summaries_are_cut() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
    }
}
