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
    /// The same agent had already sent this exact body (a retry after a
    /// lost response): nothing new was stored.
    pub duplicate: bool,
}
