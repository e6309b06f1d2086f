//! SIEM export (issue 8): stored findings as OCSF 1.1.0 events, one JSON
//! object each. Baseline rule results become Compliance Findings (class
//! 2003); missing fixes whose evidence names CVEs or advisories become
//! Vulnerability Findings (class 2002). The mapping is pure: the file
//! export (`export.rs`) and the Splunk HEC push (`crate::siem`) feed it
//! rows and print or send what it returns.

mod common;
mod compliance;
pub mod export;
mod vulnerability;

use serde_json::Value;
use time::OffsetDateTime;

use crate::store::query::FindingRow;

pub use common::{finding_uid, severity_id, Activity, OCSF_VERSION};

/// Class 2002 Vulnerability Finding.
pub const VULNERABILITY_FINDING: u32 = 2002;
/// Class 2003 Compliance Finding.
pub const COMPLIANCE_FINDING: u32 = 2003;

/// What happened to a finding, and when, as one event reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub activity: Activity,
    /// The event's `time`: when the store saw the change (or, for a file
    /// export of current state, when the finding was last observed).
    pub at: OffsetDateTime,
}

impl Occurrence {
    /// The current state of a stored finding as one event: closed once
    /// resolved, created when its status never changed since first seen,
    /// updated otherwise.
    pub fn of_current(row: &FindingRow) -> Occurrence {
        let activity = if row.resolved_at.is_some() && row.status == trustwatch_rules::Status::Pass
        {
            Activity::Close
        } else if row.last_changed <= row.first_seen {
            Activity::Create
        } else {
            Activity::Update
        };
        Occurrence {
            activity,
            at: row.last_seen,
        }
    }
}

/// The OCSF event for one finding: a Vulnerability Finding when its
/// evidence lists at least one vulnerable package fix, else a Compliance
/// Finding.
pub fn event(row: &FindingRow, occurrence: Occurrence) -> Value {
    let vulnerabilities = vulnerability::from_evidence(&row.evidence);
    if vulnerability::is_patch_rule(&row.rule_id) && !vulnerabilities.is_empty() {
        vulnerability::event(row, occurrence, vulnerabilities)
    } else {
        compliance::event(row, occurrence)
    }
}

/// The Splunk sourcetype for an event of this class.
pub fn sourcetype(class_uid: u64) -> &'static str {
    if class_uid == u64::from(VULNERABILITY_FINDING) {
        "ocsf:vulnerability_finding"
    } else {
        "ocsf:compliance_finding"
    }
}

#[cfg(test)]
mod tests;
