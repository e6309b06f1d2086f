//! A report on its way into the store, and what storing it did.

use time::OffsetDateTime;
use trustwatch_rules::Report;

use crate::identity::AgentIdentity;

/// A validated report and who sent it.
#[derive(Debug, Clone)]
pub struct IncomingReport {
    pub agent: AgentIdentity,
    pub received_at: OffsetDateTime,
    pub report: Report,
    /// The body exactly as received, kept as evidence.
    pub body: String,
}

/// What was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub report_id: i64,
    pub findings: usize,
    /// The same agent had already sent this report (same report_id, same
    /// body): a retry after a lost response. Nothing new was stored and
    /// `report_id` is the first copy's.
    pub duplicate: bool,
    /// Sequence numbers skipped between the agent's previous report and
    /// this one (its spool dropped them, or they are still on their way).
    pub gap: Option<SequenceGap>,
    /// Rows written to the history (`finding_changes`) for this report.
    pub changes: usize,
}

/// The sequence numbers an agent skipped, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceGap {
    pub first_missing: i64,
    pub last_missing: i64,
}

impl SequenceGap {
    /// How many reports are missing.
    pub fn missing(&self) -> u64 {
        (self.last_missing - self.first_missing + 1).unsigned_abs()
    }
}

/// Why the store would not take a report. Each is answered to the agent
/// with its [`Refusal::reason`] and counted; none is a fault of the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `agent`, `report_id` or `sequence` is absent: only `scan` output
    /// lacks them, and that is not an upload.
    #[error("the report has no `{field}`; the agent daemon stamps agent, report_id and sequence on every report it uploads")]
    Missing { field: &'static str },

    #[error("the report's report_id `{report_id}` is not 32 lowercase hexadecimal characters")]
    BadReportId { report_id: String },

    #[error("the report's sequence {sequence} is outside 1..=9223372036854775807")]
    BadSequence { sequence: u64 },

    #[error("the report says it is from agent `{claimed}` but the client certificate is agent `{certificate}`'s")]
    IdentityMismatch {
        claimed: String,
        certificate: String,
    },

    #[error("agent `{agent}` has been revoked; enrol it again to report")]
    Revoked { agent: String },

    #[error("report_id {report_id} was already stored for this agent with a different body")]
    ReportIdReused { report_id: String },

    #[error("sequence {sequence} is not newer than this agent's last accepted sequence {last}")]
    StaleSequence { sequence: i64, last: i64 },

    /// Too many reports are waiting to be written: the agent retries after
    /// the delay the handler gives, instead of holding a connection.
    #[error("the collector is busy; retry later")]
    Busy,
}

impl Refusal {
    /// The `reason` of the JSON answer, from the wire contract.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Missing { .. } | Refusal::BadReportId { .. } | Refusal::BadSequence { .. } => {
                "malformed"
            }
            Refusal::IdentityMismatch { .. } => "identity_mismatch",
            Refusal::Revoked { .. } => "revoked",
            Refusal::ReportIdReused { .. } => "report_id_reused",
            Refusal::StaleSequence { .. } => "stale_sequence",
            Refusal::Busy => "busy",
        }
    }
}
