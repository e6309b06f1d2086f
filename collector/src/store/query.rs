//! What the API asks the store for, and the rows it gets back.

use serde::Serialize;
use time::OffsetDateTime;
use trustwatch_rules::{Severity, Status};

pub const DEFAULT_FINDINGS_LIMIT: u32 = 1000;
pub const MAX_FINDINGS_LIMIT: u32 = 10_000;

/// Which current findings to list; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingFilter {
    pub site: Option<String>,
    pub status: Option<Status>,
    pub severity: Option<Severity>,
    pub rule_id: Option<String>,
    /// At most this many rows (default 1000, capped at 10000).
    pub limit: Option<u32>,
}

/// One current finding, as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingRow {
    pub agent: String,
    pub site: String,
    pub target: String,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub summary: String,
    pub evidence: serde_json::Value,
    pub controls: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_changed: OffsetDateTime,
    pub report_id: i64,
}

/// One agent, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentRow {
    pub name: String,
    pub site: String,
    pub cert_fingerprint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    pub reports: i64,
}
