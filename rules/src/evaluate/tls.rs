//! TLS rules TLS-001…TLS-008: protocol versions here, cipher suites in
//! `suites`, key exchange in `kex`, compression and renegotiation in
//! `features`.
//!
//! Anything the scanner did not try or could not determine is an `error`
//! with the reason, never a silent pass.

mod features;
mod kex;
mod suites;

use serde_json::{json, Map, Value};

use crate::catalogue::{Catalogue, Rule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{AttemptOutcome, TlsObservation, TlsVersion};

/// `{"TLSv1.2": "accepted", "TLSv1.3": "rejected: …"}` for the evidence.
pub(super) fn protocols_evidence(obs: &TlsObservation) -> Value {
    let mut map = Map::new();
    for a in &obs.attempts {
        let v = match &a.outcome {
            AttemptOutcome::Accepted { cipher_suite } => {
                json!({"result": "accepted", "cipher_suite": cipher_suite})
            }
            AttemptOutcome::Rejected { reason } => json!({"result": "rejected", "reason": reason}),
            AttemptOutcome::Failed { reason } => json!({"result": "failed", "reason": reason}),
        };
        map.insert(a.version.as_str().to_owned(), v);
    }
    Value::Object(map)
}

/// Findings for TLS-001…TLS-008, in catalogue order.
pub(super) fn protocol_findings(catalogue: &Catalogue, obs: &TlsObservation) -> Vec<Finding> {
    let evidence = Evidence::new().with("protocols", protocols_evidence(obs));
    let mut out = Vec::new();

    for (id, versions) in [
        ("TLS-001", &[TlsVersion::Ssl2, TlsVersion::Ssl3]),
        ("TLS-002", &[TlsVersion::Tls10, TlsVersion::Tls11]),
    ] {
        if let Some(rule) = catalogue.rule(id) {
            out.push(legacy_versions(rule, obs, versions, evidence.clone()));
        }
    }

    if let Some(rule) = catalogue.rule("TLS-003") {
        let modern = [TlsVersion::Tls12, TlsVersion::Tls13];
        let finding = if modern.iter().any(|&v| obs.accepted(v)) {
            let names: Vec<&str> = modern
                .iter()
                .filter(|&&v| obs.accepted(v))
                .map(|v| v.as_str())
                .collect();
            Finding::for_rule(
                rule,
                &obs.target,
                Status::Pass,
                format!("{} accepted", names.join(" and ")),
                evidence.clone(),
            )
        } else if let Some(reason) = failed_reason(obs, &modern) {
            // One of the two attempts could not be completed: we cannot say
            // that TLS 1.2+ is missing.
            Finding::for_rule(
                rule,
                &obs.target,
                Status::Error,
                format!("could not assess: {reason}"),
                evidence.clone(),
            )
        } else {
            Finding::for_rule(
                rule,
                &obs.target,
                Status::Fail,
                "neither TLS 1.2 nor TLS 1.3 was accepted",
                evidence.clone(),
            )
        };
        out.push(finding);
    }

    if let Some(rule) = catalogue.rule("TLS-004") {
        let finding = match obs.attempt(TlsVersion::Tls13) {
            Some(AttemptOutcome::Accepted { .. }) => Finding::for_rule(
                rule,
                &obs.target,
                Status::Pass,
                "TLS 1.3 accepted",
                evidence.clone(),
            ),
            Some(AttemptOutcome::Rejected { reason }) => Finding::for_rule(
                rule,
                &obs.target,
                Status::Fail,
                format!("TLS 1.3 not offered ({reason})"),
                evidence.clone(),
            ),
            Some(AttemptOutcome::Failed { reason }) => Finding::for_rule(
                rule,
                &obs.target,
                Status::Error,
                format!("could not assess: {reason}"),
                evidence.clone(),
            ),
            None => Finding::for_rule(
                rule,
                &obs.target,
                Status::Error,
                "TLS 1.3 was not tried",
                evidence.clone(),
            ),
        };
        out.push(finding);
    }
    out.extend(suites::findings(catalogue, obs));
    out.extend(features::findings(catalogue, obs));
    out
}

/// TLS-001/TLS-002: fails when any of `versions` negotiated; an error when
/// one of them was not tried or could not be completed.
fn legacy_versions(
    rule: &Rule,
    obs: &TlsObservation,
    versions: &[TlsVersion],
    evidence: Evidence,
) -> Finding {
    let names = |vs: &[TlsVersion]| {
        vs.iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let accepted: Vec<TlsVersion> = versions
        .iter()
        .copied()
        .filter(|&v| obs.accepted(v))
        .collect();
    let unknown = unknown_attempts(obs, versions);
    let (status, summary) = if !accepted.is_empty() {
        (Status::Fail, format!("{} accepted", names(&accepted)))
    } else if !unknown.is_empty() {
        (
            Status::Error,
            format!("could not assess: {}", unknown.join("; ")),
        )
    } else {
        (Status::Pass, format!("{} rejected", names(versions)))
    };
    let evidence = evidence.with(
        "accepted",
        accepted.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
    );
    Finding::for_rule(rule, &obs.target, status, summary, evidence)
}

/// "SSLv2 not tried", "TLSv1.0: timed out" for each of `versions` whose
/// attempt told us nothing.
pub(super) fn unknown_attempts(obs: &TlsObservation, versions: &[TlsVersion]) -> Vec<String> {
    versions
        .iter()
        .filter_map(|&v| match obs.attempt(v) {
            None => Some(format!("{v} not tried")),
            Some(AttemptOutcome::Failed { reason }) => Some(format!("{v}: {reason}")),
            Some(_) => None,
        })
        .collect()
}

fn failed_reason<'a>(obs: &'a TlsObservation, versions: &[TlsVersion]) -> Option<&'a str> {
    versions.iter().find_map(|&v| match obs.attempt(v) {
        Some(AttemptOutcome::Failed { reason }) => Some(reason.as_str()),
        None => Some("not tried"),
        _ => None,
    })
}
