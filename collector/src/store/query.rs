//! What the API asks the store for, and the rows it gets back. The SQL is
//! portable (`portable.rs`) and lives in `query/`; each list is read in
//! pages by keyset on a unique key, never by OFFSET, so a page boundary
//! stays put while reports keep arriving.

mod agents;
mod cursor;
mod findings;
mod history;
mod hosts;

use serde::Serialize;
use time::OffsetDateTime;
use trustwatch_rules::{Catalogue, Severity, Status};

pub use cursor::Cursor;

pub(crate) use agents::{agents as agents_query, wrong_cursor, CONTACT};
pub(crate) use findings::findings as findings_query;
pub(crate) use findings::live_exception;
pub(crate) use history::{changes as changes_query, summaries as summaries_query};
pub(crate) use hosts::hosts as hosts_query;

/// Rows per page when the caller does not say.
pub const DEFAULT_PAGE: u32 = 100;
/// The most rows a caller may ask for in one page.
pub const MAX_PAGE: u32 = 1000;
/// Kept for callers of the first API version.
pub const MAX_FINDINGS_LIMIT: u32 = MAX_PAGE;

/// The rule the collector itself evaluates for agents gone silent.
pub const COVERAGE_RULE: &str = "PATCH-006";

/// Rows to read: the caller's limit, capped. The store allows one more than
/// `MAX_PAGE` so the API can look one row ahead to know a next page exists.
pub(crate) fn page_size(limit: Option<u32>) -> i64 {
    i64::from(limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE + 1))
}

/// Whether findings under a live exception are listed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExceptionFilter {
    /// All findings (the default).
    #[default]
    Include,
    /// Only findings a live exception covers.
    Only,
    /// Only findings no live exception covers.
    Exclude,
}

/// Which current findings to list; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingFilter {
    pub site: Option<String>,
    pub agent: Option<String>,
    /// The host part of the target, exactly.
    pub host: Option<String>,
    pub target: Option<String>,
    pub rule_id: Option<String>,
    pub severity: Option<Severity>,
    pub status: Option<Status>,
    /// `last_seen >= since` (unix seconds).
    pub since: Option<i64>,
    /// `last_seen < until`.
    pub until: Option<i64>,
    /// `last_changed >= changed_since`.
    pub changed_since: Option<i64>,
    pub exception: ExceptionFilter,
    /// Also list agents silent for longer than this as PATCH-006 failures
    /// (evaluated now, never stored). `None`: stored findings only.
    pub coverage: Option<Coverage>,
    /// Continue after this row (from the previous page's last row).
    pub after: Option<Cursor>,
    /// At most this many rows (default 100, capped at 1001).
    pub limit: Option<u32>,
}

/// How the collector reports silent agents (PATCH-006).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub stale_after_secs: i64,
    pub title: String,
    pub severity: Severity,
    pub controls: Vec<String>,
}

impl Coverage {
    /// PATCH-006 as the catalogue describes it; `None` when the catalogue
    /// has no such rule (a trust's own catalogue may drop it).
    pub fn from_catalogue(catalogue: &Catalogue, stale_after_secs: i64) -> Option<Coverage> {
        let rule = catalogue.rule(COVERAGE_RULE)?;
        Some(Coverage {
            stale_after_secs,
            title: rule.title.clone(),
            severity: rule.severity,
            controls: rule.controls.clone(),
        })
    }
}

/// Where a finding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingSource {
    /// Reported by an agent and stored.
    Report,
    /// Evaluated by the collector when asked (PATCH-006), never stored.
    Collector,
}

/// The live exception that covers a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionRef {
    pub id: i64,
    pub owner: String,
    /// `YYYY-MM-DD`: the exception stops applying at 00:00 UTC that day.
    pub expires: String,
    pub compensating_control: String,
}

/// One current finding, as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingRow {
    pub agent: String,
    pub site: String,
    pub target: String,
    pub host: String,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    /// The result as observed; an exception never changes it.
    pub status: Status,
    /// `accepted_risk` for a failing finding under a live exception, else
    /// the status.
    pub reported_status: String,
    pub exception: Option<ExceptionRef>,
    pub summary: String,
    pub evidence: serde_json::Value,
    pub controls: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_changed: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
    /// The stored report that last set it; `None` for collector findings.
    pub report_id: Option<i64>,
    pub source: FindingSource,
}

impl FindingRow {
    /// Where the next page starts when this is the last row of one.
    pub fn cursor(&self) -> Cursor {
        match self.source {
            FindingSource::Report => Cursor::Finding {
                agent: self.agent.clone(),
                target: self.target.clone(),
                rule_id: self.rule_id.clone(),
            },
            FindingSource::Collector => Cursor::Coverage {
                agent: self.agent.clone(),
            },
        }
    }
}

/// Which agents to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentFilter {
    pub site: Option<String>,
    pub state: Option<AgentState>,
    /// Silent longer than this (seconds) = stale.
    pub stale_after_secs: i64,
    pub after: Option<Cursor>,
    pub limit: Option<u32>,
}

/// PATCH-006's threshold: an agent silent for a week is a coverage gap.
pub const DEFAULT_STALE_AFTER_SECS: i64 = 7 * 86_400;

impl Default for AgentFilter {
    fn default() -> Self {
        AgentFilter {
            site: None,
            state: None,
            stale_after_secs: DEFAULT_STALE_AFTER_SECS,
            after: None,
            limit: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    Active,
    /// Silent (no report, policy fetch or renewal) longer than
    /// `agents.stale_after_secs`.
    Stale,
    Revoked,
}

impl AgentState {
    pub const ALL: [AgentState; 3] = [AgentState::Active, AgentState::Stale, AgentState::Revoked];

    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Active => "active",
            AgentState::Stale => "stale",
            AgentState::Revoked => "revoked",
        }
    }
}

/// One agent, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentRow {
    pub name: String,
    pub site: String,
    pub state: AgentState,
    pub cert_fingerprint: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub enrolled_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    /// The last report received (kept under its first-version name).
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    /// The last authenticated request of any kind (the heartbeat); the last
    /// report when the agent has made no other.
    #[serde(with = "time::serde::rfc3339")]
    pub last_contact: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_report: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub cert_not_after: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_reason: Option<String>,
    pub last_sequence: i64,
    pub sequence_gaps: i64,
    pub policy_version: Option<i64>,
    pub reports: i64,
}

/// Which hosts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostFilter {
    pub site: Option<String>,
    pub after: Option<Cursor>,
    pub limit: Option<u32>,
}

/// One host (the host part of findings' targets) across every agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostRow {
    pub host: String,
    pub sites: Vec<String>,
    pub agents: Vec<String>,
    pub findings: i64,
    pub pass: i64,
    pub fail: i64,
    pub error: i64,
    pub not_applicable: i64,
    pub worst_failing_severity: Option<Severity>,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
}

/// Which history rows (finding_changes) or scan summaries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    pub site: Option<String>,
    pub agent: Option<String>,
    /// Changes only (summaries have no target or rule).
    pub target: Option<String>,
    pub rule_id: Option<String>,
    /// On the change's time, or the summary's scan time.
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub after: Option<Cursor>,
    pub limit: Option<u32>,
}

/// One change of a finding's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRow {
    pub id: i64,
    pub agent: String,
    pub site: String,
    pub target: String,
    pub rule_id: String,
    pub severity: String,
    /// `None` when first seen.
    pub from_status: Option<String>,
    /// `absent` when no longer reported.
    pub to_status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub report_id: i64,
}

/// One stored scan's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryRow {
    pub report_id: i64,
    pub agent: String,
    pub site: String,
    #[serde(with = "time::serde::rfc3339")]
    pub scanned_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub targets: i64,
    pub pass: i64,
    pub fail: i64,
    pub error: i64,
    pub not_applicable: i64,
    pub fail_critical: i64,
    pub fail_high: i64,
    pub fail_medium: i64,
    pub fail_low: i64,
}
