//! The report: what `scan --format json` prints and what the agent uploads.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::finding::Finding;
use crate::observe::{DataSource, ServiceObservation};
use crate::severity::Severity;

/// Version of the report document. Bump on any change a consumer must notice.
pub const SCHEMA_VERSION: u32 = 1;

/// Which baseline (and which version of it) the findings were judged against,
/// so a finding can be re-justified at audit time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineRef {
    pub id: String,
    pub version: String,
}

/// The program that produced the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub scanned_at: OffsetDateTime,
    pub baseline: BaselineRef,
    /// Absent in reports from older agents; informational only. The
    /// collector takes an agent's identity from its client certificate,
    /// never from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<ToolInfo>,
    /// Where the scan ran from (the agent host's name), recorded because the
    /// same endpoint can look different from inside and outside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vantage: Option<String>,
    pub findings: Vec<Finding>,
    /// The inventory of a discovery scan: every open port found, with what
    /// listens on it. Empty (and absent) for scans that discover nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceObservation>,
    /// The versioned data files the findings were judged against (advisory
    /// index, lifecycle table, alert list), with their dates and digests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_sources: Vec<DataSource>,
    /// The agent's enrolled name (its certificate's CN). Set by the daemon
    /// for delivery, never by `scan`; the collector checks it against the
    /// client certificate and refuses a report claiming another agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// 32 lowercase hex digits (128 random bits), made when the daemon
    /// spools the report: the key that makes a retry recognisable as one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
    /// Per agent, from 1, one more for every report spooled and never
    /// reused: lets the collector refuse replays and record gaps (reports
    /// the agent dropped from a full spool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
}

impl Report {
    /// The highest severity among failing findings, if any fail.
    pub fn worst_failure(&self) -> Option<Severity> {
        self.findings
            .iter()
            .filter(|f| f.status == crate::Status::Fail)
            .map(|f| f.severity)
            .max()
    }

    /// True when some finding fails at or above `threshold`.
    pub fn fails_at(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.fails_at(threshold))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            scanned_at: time::macros::datetime!(2025-01-02 03:04:05 UTC),
            baseline: BaselineRef {
                id: "b".into(),
                version: "1".into(),
            },
            tool: None,
            vantage: None,
            findings: Vec::new(),
            services: Vec::new(),
            data_sources: Vec::new(),
            agent: None,
            report_id: None,
            sequence: None,
        }
    }

    #[test]
    fn delivery_fields_are_left_out_when_unset() {
        // `scan --format json` output is a contract: no new keys there.
        let json = serde_json::to_value(minimal()).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["baseline", "findings", "scanned_at", "schema_version"],
            "{json}"
        );
    }

    #[test]
    fn delivery_fields_are_written_and_read_when_set() {
        let report = Report {
            agent: Some("ward-7".into()),
            report_id: Some("0123456789abcdef0123456789abcdef".into()),
            sequence: Some(42),
            ..minimal()
        };
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["agent"], "ward-7");
        assert_eq!(json["report_id"], "0123456789abcdef0123456789abcdef");
        assert_eq!(json["sequence"], 42);
        let back: Report = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
        // A report from an older agent, without them, still parses.
        let old = serde_json::json!({
            "schema_version": 1, "scanned_at": "2025-01-02T03:04:05Z",
            "baseline": {"id": "b", "version": "1"}, "findings": []
        });
        let old: Report = serde_json::from_value(old).unwrap();
        assert_eq!((old.agent, old.report_id, old.sequence), (None, None, None));
    }
}
