//! The pure evaluator: observations + catalogue + scan time → findings.
//!
//! Nothing here touches the network or the clock; `now` is passed in so that
//! every result is reproducible from its evidence.

mod cert;
mod tls;

use time::OffsetDateTime;

use crate::catalogue::Catalogue;
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::TlsObservation;

/// Rules the TLS probe evaluates, in report order. Later probes add rules to
/// this family (TLS-001/002/005…008) without changing the ones here.
pub const TLS_PROBE_RULES: &[&str] = &[
    "TLS-003", "TLS-004", "CERT-001", "CERT-002", "CERT-003", "CERT-004", "CERT-005", "CERT-006",
];

/// Findings for one TLS endpoint. Rules missing from `catalogue` (a trust's
/// trimmed baseline) are skipped.
pub fn tls(catalogue: &Catalogue, obs: &TlsObservation, now: OffsetDateTime) -> Vec<Finding> {
    if let Some(reason) = obs.unreachable_reason() {
        return unreachable(catalogue, TLS_PROBE_RULES, &obs.target, reason);
    }
    let mut out = tls::protocol_findings(catalogue, obs);
    out.extend(cert::certificate_findings(catalogue, obs, now));
    out
}

/// An `error` finding for each rule when the target could not be assessed at
/// all, with the reason in the evidence.
pub fn unreachable(
    catalogue: &Catalogue,
    rule_ids: &[&str],
    target: &str,
    reason: &str,
) -> Vec<Finding> {
    rule_ids
        .iter()
        .filter_map(|id| catalogue.rule(id))
        .map(|rule| {
            Finding::for_rule(
                rule,
                target,
                Status::Error,
                format!("could not assess: {reason}"),
                Evidence::new().with("error", reason),
            )
        })
        .collect()
}
