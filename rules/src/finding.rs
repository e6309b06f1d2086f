//! A finding: one rule's result for one target.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalogue::Rule;
use crate::evidence::Evidence;
use crate::severity::Severity;

/// The outcome of evaluating one rule against one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The pass condition holds.
    Pass,
    /// The pass condition does not hold: something to fix.
    Fail,
    /// The probe could not gather the evidence (timeout, refused, handshake
    /// failure); the reason is in the evidence.
    Error,
    /// The rule does not apply to what was found (e.g. no certificate rules
    /// when no TLS version could be negotiated at all).
    NotApplicable,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Pass,
        Status::Fail,
        Status::Error,
        Status::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::NotApplicable => "not_applicable",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule's result for one target, in the shape every consumer relies on
/// (design.md, "Contracts").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    /// `host:port` exactly as given for network probes, the domain for DNS,
    /// the host name for local checks.
    pub target: String,
    /// One human sentence on this particular result, e.g. "certificate
    /// expired 12 days ago".
    #[serde(default)]
    pub summary: String,
    pub evidence: Evidence,
    pub controls: Vec<String>,
    pub remediation: String,
}

impl Finding {
    /// A finding for `rule` with the rule's default severity, title, controls
    /// and remediation.
    pub fn for_rule(
        rule: &Rule,
        target: &str,
        status: Status,
        summary: impl Into<String>,
        evidence: Evidence,
    ) -> Self {
        Finding {
            rule_id: rule.id.clone(),
            title: rule.title.clone(),
            severity: rule.severity,
            status,
            target: target.to_owned(),
            summary: summary.into(),
            evidence,
            controls: rule.controls.clone(),
            remediation: rule.remediation.clone(),
        }
    }

    /// Overrides the severity where the rule's own note escalates or lowers
    /// it for this result (e.g. CERT-002 within 7 days of expiry).
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// True when this finding fails at or above `threshold`: the test behind
    /// the scan's exit status.
    pub fn fails_at(&self, threshold: Severity) -> bool {
        self.status == Status::Fail && self.severity >= threshold
    }
}
