//! Report bodies for simulated agents: real rule ids from the embedded
//! catalogue, one host per agent, mostly passing with some failures, and
//! evidence of a realistic size, so the store does the work a real estate
//! would give it.

use serde_json::json;
use time::OffsetDateTime;
use trustwatch_rules::{Catalogue, Finding, Severity, Status, SCHEMA_VERSION};

#[derive(Debug)]
pub struct ReportMaker {
    findings: usize,
    rules: Vec<(String, String, Severity)>,
    baseline: trustwatch_rules::BaselineRef,
}

impl ReportMaker {
    pub fn new(findings: usize, _sites: usize) -> ReportMaker {
        let catalogue = Catalogue::embedded().expect("embedded catalogue");
        ReportMaker {
            findings,
            rules: catalogue
                .rules()
                .iter()
                .map(|r| (r.id.clone(), r.title.clone(), r.severity))
                .collect(),
            baseline: catalogue.baseline_ref(),
        }
    }

    /// The JSON body agent `name` (number `index`) uploads as `sequence`.
    pub fn body(&self, name: &str, index: usize, sequence: u64) -> Vec<u8> {
        let host = format!("h{index:06}.trust.example");
        let findings = (0..self.findings)
            .map(|k| {
                let (rule_id, title, severity) = &self.rules[k % self.rules.len()];
                // A few ports per host, so targets repeat as they do in life.
                let target = match k % 4 {
                    0 => host.clone(),
                    1 => format!("{host}:443"),
                    2 => format!("{host}:22"),
                    _ => format!("{host}:{}", 8000 + k / self.rules.len()),
                };
                // Deterministic mix: ~80% pass, ~14% fail, ~6% error.
                let roll = (index * 31 + k * 17) % 100;
                let status = match roll {
                    0..=79 => Status::Pass,
                    80..=93 => Status::Fail,
                    _ => Status::Error,
                };
                let mut evidence = trustwatch_rules::Evidence::new();
                evidence.insert("observed", json!(format!("{rule_id} on {target}")));
                evidence.insert("protocols", json!(["TLSv1.2", "TLSv1.3"]));
                evidence.insert("detail", json!("x".repeat(120)));
                Finding {
                    rule_id: rule_id.clone(),
                    title: title.clone(),
                    severity: *severity,
                    status,
                    target,
                    summary: format!("{rule_id} is {status} on {host}"),
                    evidence,
                    controls: vec!["CAF:B4.d".into(), "DSPT:9.2.3".into()],
                    remediation: "See the rule's guidance.".into(),
                }
            })
            .collect();
        // Built as JSON rather than a `Report` literal, so the generator
        // keeps compiling as the report gains optional fields.
        let findings: Vec<Finding> = findings;
        let value = json!({
            "schema_version": SCHEMA_VERSION,
            "scanned_at": OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .expect("RFC 3339"),
            "baseline": self.baseline,
            "vantage": host,
            "findings": findings,
            "agent": name,
            "report_id": report_id(index, sequence),
            "sequence": sequence,
        });
        serde_json::to_vec(&value).expect("JSON serialises")
    }
}

/// A report id unique per (agent, sequence): 32 lowercase hex digits.
fn report_id(index: usize, sequence: u64) -> String {
    format!(
        "{:016x}{:016x}",
        index as u64 ^ 0x7457_6c6f_6164_0000,
        sequence
    )
}
