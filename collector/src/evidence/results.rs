//! Per-rule, per-target results: every current finding last seen in the
//! period, with UTC timestamps, its raw evidence and its controls split
//! into the three frameworks auditors test against.

use serde::Serialize;

use super::csv;
use crate::store::FindingRow;

/// A finding's controls by framework, from ids like `CAF:B4.d`,
/// `CE:patch-management` and `DSPT:9.2.3`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Controls {
    pub caf: Vec<String>,
    pub cyber_essentials: Vec<String>,
    pub dspt: Vec<String>,
    /// Ids of any other framework, kept whole.
    pub other: Vec<String>,
}

pub fn split_controls(controls: &[String]) -> Controls {
    let mut out = Controls::default();
    for c in controls {
        match c.split_once(':') {
            Some(("CAF", id)) => out.caf.push(id.to_owned()),
            Some(("CE", id)) => out.cyber_essentials.push(id.to_owned()),
            Some(("DSPT", id)) => out.dspt.push(id.to_owned()),
            _ => out.other.push(c.clone()),
        }
    }
    out
}

/// One result as the pack's JSON holds it.
#[derive(Debug, Clone, Serialize)]
pub struct ResultRow<'a> {
    #[serde(flatten)]
    pub finding: &'a FindingRow,
    pub frameworks: Controls,
}

pub fn json_rows<'a>(findings: impl IntoIterator<Item = &'a FindingRow>) -> Vec<ResultRow<'a>> {
    findings
        .into_iter()
        .map(|f| ResultRow {
            finding: f,
            frameworks: split_controls(&f.controls),
        })
        .collect()
}

pub const CSV_HEADER: &[&str] = &[
    "agent",
    "site",
    "host",
    "target",
    "rule_id",
    "title",
    "severity",
    "status",
    "reported_status",
    "exception_id",
    "first_seen_utc",
    "last_seen_utc",
    "last_changed_utc",
    "resolved_at_utc",
    "report_id",
    "caf",
    "cyber_essentials",
    "dspt",
    "other_controls",
    "summary",
    "evidence_json",
];

pub fn csv(findings: &[FindingRow]) -> Vec<u8> {
    let rows: Vec<Vec<String>> = findings
        .iter()
        .map(|f| {
            let c = split_controls(&f.controls);
            vec![
                f.agent.clone(),
                f.site.clone(),
                f.host.clone(),
                f.target.clone(),
                f.rule_id.clone(),
                f.title.clone(),
                f.severity.as_str().to_owned(),
                f.status.as_str().to_owned(),
                f.reported_status.clone(),
                f.exception
                    .as_ref()
                    .map(|e| e.id.to_string())
                    .unwrap_or_default(),
                super::utc(f.first_seen),
                super::utc(f.last_seen),
                super::utc(f.last_changed),
                f.resolved_at.map(super::utc).unwrap_or_default(),
                f.report_id.map(|r| r.to_string()).unwrap_or_default(),
                c.caf.join(";"),
                c.cyber_essentials.join(";"),
                c.dspt.join(";"),
                c.other.join(";"),
                f.summary.clone(),
                f.evidence.to_string(),
            ]
        })
        .collect();
    csv::table(CSV_HEADER, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_split_by_framework() {
        let c = split_controls(&[
            "CAF:B4.d".into(),
            "DSPT:9.2.3".into(),
            "CE:patch-management".into(),
            "CAF:C1.a".into(),
            "ISO27001:A.8.8".into(),
            "nocolon".into(),
        ]);
        assert_eq!(c.caf, ["B4.d", "C1.a"]);
        assert_eq!(c.dspt, ["9.2.3"]);
        assert_eq!(c.cyber_essentials, ["patch-management"]);
        assert_eq!(c.other, ["ISO27001:A.8.8", "nocolon"]);
    }
}
