//! Class 2003 Compliance Finding: one baseline rule's result on one
//! target, with the standards its controls belong to.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use trustwatch_rules::Status;

use super::common::base;
use super::{Occurrence, COMPLIANCE_FINDING};
use crate::store::query::FindingRow;

/// `compliance.status_id` (OCSF 1.1.0): pass 1 Pass, fail 3 Fail, error
/// 2 Warning ("did not yield a result due to missing information"), not
/// applicable 99 Other with the status text saying so.
pub(super) fn compliance_status(status: Status) -> (u32, &'static str) {
    match status {
        Status::Pass => (1, "Pass"),
        Status::Error => (2, "Warning"),
        Status::Fail => (3, "Fail"),
        Status::NotApplicable => (99, "Not Applicable"),
    }
}

/// The standard a control id's prefix names (`CAF:B4.d` is the NCSC
/// Cyber Assessment Framework); an unknown prefix is kept as it is.
fn standard(control: &str) -> String {
    let prefix = control.split(':').next().unwrap_or(control);
    match prefix {
        "CAF" => "NCSC CAF".to_owned(),
        "CE" => "Cyber Essentials".to_owned(),
        "DSPT" => "NHS DSPT".to_owned(),
        other => other.to_owned(),
    }
}

pub(super) fn compliance(row: &FindingRow) -> Value {
    let (status_id, status) = compliance_status(row.status);
    let mut standards: Vec<String> = row
        .controls
        .iter()
        .map(|c| standard(c))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // `standards` is required: a rule without controls is still a
    // Trustwatch baseline rule.
    if standards.is_empty() {
        standards.push("Trustwatch baseline".to_owned());
    }
    json!({
        "control": row.rule_id,
        "standards": standards,
        "requirements": row.controls,
        "status_id": status_id,
        "status": status,
        "status_code": row.status.as_str(),
        "status_detail": row.summary,
    })
}

pub(super) fn event(row: &FindingRow, occurrence: Occurrence) -> Value {
    let mut e = base(row, occurrence, COMPLIANCE_FINDING, "Compliance Finding");
    e.insert("compliance".into(), compliance(row));
    Value::Object(e)
}
