//! The pure evaluator: observations + catalogue + scan time → findings.
//!
//! Nothing here touches the network or the clock; `now` is passed in so that
//! every result is reproducible from its evidence.

mod cert;
pub mod dns;
mod http;
pub mod mail;
mod patch;
mod services;
mod tls;

pub use self::http::headers as http_headers;
pub use self::http::{MAX_REDIRECT_BODY, MIN_HSTS_MAX_AGE};
pub use self::patch::{PackageScan, AUTO_UPDATE_MAX_AGE_DAYS, FIX_ALLOWANCE_DAYS, PACKAGE_RULES};
pub use self::services::{Exposure, ServiceScan, UnknownExposure, SERVICE_RULES};

use time::OffsetDateTime;

use crate::catalogue::{Catalogue, Mode, Rule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{HttpObservation, TlsObservation};

/// Rules the TLS probe evaluates, in report (catalogue) order.
pub const TLS_PROBE_RULES: &[&str] = &[
    "TLS-001", "TLS-002", "TLS-003", "TLS-004", "TLS-005", "TLS-006", "TLS-007", "TLS-008",
    "CERT-001", "CERT-002", "CERT-003", "CERT-004", "CERT-005", "CERT-006",
];

/// Rules the HTTP step of the TLS probe evaluates (HTTPS endpoints only).
pub const HTTP_PROBE_RULES: &[&str] = &["HTTP-001", "HTTP-002", "HTTP-003", "HTTP-004", "HTTP-005"];

/// Everything a TLS probe with its HTTP step reports, in report order.
pub const TLS_HTTP_PROBE_RULES: &[&str] = &[
    "TLS-001", "TLS-002", "TLS-003", "TLS-004", "TLS-005", "TLS-006", "TLS-007", "TLS-008",
    "CERT-001", "CERT-002", "CERT-003", "CERT-004", "CERT-005", "CERT-006", "HTTP-001", "HTTP-002",
    "HTTP-003", "HTTP-004", "HTTP-005",
];

/// Findings for the web server behind one HTTPS endpoint. An endpoint whose
/// TLS could not be reached at all gets [`unreachable()`] findings instead.
pub fn http(catalogue: &Catalogue, obs: &HttpObservation) -> Vec<Finding> {
    http::findings(catalogue, obs)
}

/// Findings for the open ports of a discovery scan: host-level SVC rules
/// and per-service SSH, SMB, RDP, SNMP and HTTP-006/007 rules, host by host
/// in order of first appearance, then in catalogue order. Rules missing from
/// `catalogue` or not run at the scan's exposure are skipped; the decisions
/// behind each rule are documented in `evaluate/services.rs`.
pub fn services(catalogue: &Catalogue, scan: &ServiceScan<'_>) -> Vec<Finding> {
    services::findings(catalogue, scan)
}

/// Findings for one system's operating-system support and patch state
/// (OS-001, PATCH-001…PATCH-004): one per rule, target the system, in
/// catalogue order. Rules missing from `catalogue` or without the `agent`
/// mode are skipped; the decisions behind each rule are documented in
/// `evaluate/patch.rs`.
pub fn packages(catalogue: &Catalogue, scan: &PackageScan<'_>) -> Vec<Finding> {
    patch::findings(catalogue, scan)
}

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

/// Judges, in catalogue order, each rule of `ids` that the catalogue holds
/// (with `mode` among its modes, when given) by `judge`: the shared frame
/// of the evaluators whose rules each give one finding. A rule removed
/// from a trust's baseline is simply not judged.
pub(crate) fn each_rule<'c>(
    catalogue: &'c Catalogue,
    ids: &[&str],
    mode: Option<Mode>,
    judge: impl FnMut(&'c Rule) -> Option<Finding>,
) -> Vec<Finding> {
    catalogue
        .rules()
        .iter()
        .filter(|r| ids.contains(&r.id.as_str()))
        .filter(|r| mode.is_none_or(|m| r.modes.contains(&m)))
        .filter_map(judge)
        .collect()
}
