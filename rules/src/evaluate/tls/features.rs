//! TLS-008: TLS compression (CRIME) and insecure renegotiation
//! (RFC 5746). Both exist only up to TLS 1.2.

use serde_json::json;

use super::suites::UP_TO_12;
use crate::catalogue::Catalogue;
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{AttemptOutcome, TlsObservation, TlsVersion};

pub(super) fn findings(catalogue: &Catalogue, obs: &TlsObservation) -> Option<Finding> {
    let rule = catalogue.rule("TLS-008")?;
    let f = &obs.features;
    let mut problems = Vec::new();
    if f.compression == Some(true) {
        problems.push("the server accepted TLS compression");
    }
    if f.secure_renegotiation == Some(false) {
        problems.push("the server does not support secure renegotiation");
    }
    let mut undetermined = Vec::new();
    if f.compression.is_none() {
        undetermined.push("compression");
    }
    if f.secure_renegotiation.is_none() {
        undetermined.push("secure renegotiation");
    }

    let legacy_accepted = UP_TO_12
        .iter()
        .any(|&v| obs.accepted(v) || obs.suites(v).is_some_and(|s| !s.accepted.is_empty()));
    let legacy_unknown = super::unknown_attempts(obs, UP_TO_12);
    let (status, summary) = if !problems.is_empty() {
        (Status::Fail, problems.join("; "))
    } else if undetermined.is_empty() {
        (
            Status::Pass,
            "compression off and secure renegotiation supported".to_owned(),
        )
    } else if !legacy_accepted && legacy_unknown.is_empty() {
        // TLS 1.3 removed both compression and renegotiation, so an endpoint
        // that speaks nothing older cannot have either weakness.
        if obs.accepted(TlsVersion::Tls13) {
            (
                Status::Pass,
                "only TLS 1.3 is accepted, which has neither compression nor renegotiation"
                    .to_owned(),
            )
        } else if matches!(
            obs.attempt(TlsVersion::Tls13),
            Some(AttemptOutcome::Rejected { .. })
        ) {
            (
                Status::NotApplicable,
                "no protocol version was accepted".to_owned(),
            )
        } else {
            let why = super::unknown_attempts(obs, &[TlsVersion::Tls13]).join("; ");
            (Status::Error, format!("could not assess: {why}"))
        }
    } else {
        let mut why = vec![format!("{} not determined", undetermined.join(" and "))];
        if !legacy_accepted {
            why.extend(legacy_unknown);
        }
        (
            Status::Error,
            format!("could not assess: {}", why.join("; ")),
        )
    };
    let ev = Evidence::new()
        .with("protocols", super::protocols_evidence(obs))
        .with("compression", json!(f.compression))
        .with("secure_renegotiation", json!(f.secure_renegotiation))
        .with("fallback_scsv", json!(f.fallback_scsv))
        .with("ocsp_stapling", json!(f.ocsp_stapling));
    Some(Finding::for_rule(rule, &obs.target, status, summary, ev))
}
