//! The grouped counts behind `/metrics`. Every query groups by site and a
//! small closed set (severity, status, rule, control list), so the result
//! size is bounded by sites × rules, never by hosts or targets.

/// Everything one scrape needs, read in one transaction so the numbers
/// agree with each other.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aggregates {
    pub findings: Vec<FindingCount>,
    pub failing: Vec<RuleFailing>,
    pub controls: Vec<ControlGroup>,
    pub agents: Vec<AgentCount>,
    pub expiry: Vec<ExpiryBySite>,
}

/// Current findings per (site, severity, status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingCount {
    pub site: String,
    pub severity: String,
    pub status: String,
    pub count: i64,
}

/// Distinct targets failing a rule at a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFailing {
    pub site: String,
    pub rule_id: String,
    pub targets: i64,
}

/// Pass or fail findings sharing a site, baseline, rule, control list and
/// status: the input to the compliance ratio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlGroup {
    pub site: String,
    pub baseline: String,
    pub rule_id: String,
    pub controls: Vec<String>,
    pub status: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCount {
    pub site: String,
    pub active: i64,
    pub stale: i64,
}

/// The earliest certificate expiry (unix seconds) among a site's current
/// CERT-001 findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryBySite {
    pub site: String,
    pub earliest: i64,
}
