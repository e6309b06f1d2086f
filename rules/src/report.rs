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
    /// The agent name the daemon was enrolled as (its certificate CN).
    /// Absent from `scan` output; the collector refuses an upload whose
    /// `agent` is not the name in the client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// 32 lowercase hex characters (128 random bits), made when the daemon
    /// spools the report: a retry carries the same id, so the collector
    /// stores it once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
    /// Per agent, from 1, one more for every spooled report, never reused:
    /// the collector refuses an older one and records gaps.
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
