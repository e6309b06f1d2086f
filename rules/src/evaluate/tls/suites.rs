//! Cipher-suite rules: TLS-005 (broken suites), TLS-006 (forward secrecy
//! and key-exchange strength) and TLS-007 (non-AEAD suites in TLS 1.2).

use serde_json::{json, Map, Value};

use crate::catalogue::{Catalogue, Rule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{AttemptOutcome, CipherSuite, SuiteClass, TlsObservation, TlsVersion};

/// Classes that make a suite broken outright (TLS-005).
pub const BROKEN_CLASSES: &[SuiteClass] = &[
    SuiteClass::Null,
    SuiteClass::Anonymous,
    SuiteClass::Export,
    SuiteClass::Rc4,
    SuiteClass::Des,
    SuiteClass::TripleDes,
];
/// TLS-006: smallest acceptable finite-field DHE prime.
pub const MIN_DHE_BITS: u32 = 2048;
/// TLS-006: smallest acceptable curve. x25519 is a 255-bit curve with the
/// same security level as P-256, so the line is drawn at 255, not 256.
pub const MIN_CURVE_BITS: u32 = 255;

const ALL: &[TlsVersion] = &TlsVersion::ALL;
pub(super) const UP_TO_12: &[TlsVersion] = &[
    TlsVersion::Ssl2,
    TlsVersion::Ssl3,
    TlsVersion::Tls10,
    TlsVersion::Tls11,
    TlsVersion::Tls12,
];

/// How far the suites of some versions are known.
pub(super) struct Coverage {
    /// Versions whose accepted suites were enumerated.
    pub enumerated: Vec<TlsVersion>,
    /// Why the others cannot be judged: not tried, attempt failed, or
    /// accepted without its suites enumerated.
    pub unknown: Vec<String>,
}

pub(super) fn coverage(obs: &TlsObservation, versions: &[TlsVersion]) -> Coverage {
    let mut c = Coverage {
        enumerated: Vec::new(),
        unknown: Vec::new(),
    };
    for &v in versions {
        if obs.suites(v).is_some_and(|s| !s.accepted.is_empty()) {
            c.enumerated.push(v);
            continue;
        }
        match obs.attempt(v) {
            None => c.unknown.push(format!("{v} not tried")),
            Some(AttemptOutcome::Failed { reason }) => c.unknown.push(format!("{v}: {reason}")),
            Some(AttemptOutcome::Accepted { .. }) => c.unknown.push(format!(
                "{v} accepted but its cipher suites were not enumerated"
            )),
            Some(AttemptOutcome::Rejected { .. }) => {}
        }
    }
    c
}

/// Suites of `versions` matching `pred`, as `{"TLSv1.0": [..names]}`.
pub(super) fn matching(
    obs: &TlsObservation,
    versions: &[TlsVersion],
    pred: impl Fn(&CipherSuite) -> bool,
) -> Map<String, Value> {
    let mut out = Map::new();
    for s in obs
        .cipher_suites
        .iter()
        .filter(|s| versions.contains(&s.version))
    {
        let names: Vec<&str> = s
            .accepted
            .iter()
            .filter(|c| pred(c))
            .map(|c| c.name.as_str())
            .collect();
        if !names.is_empty() {
            out.insert(s.version.as_str().to_owned(), json!(names));
        }
    }
    out
}

/// `TLSv1.0: A, B; TLSv1.2: C` for a summary.
pub(super) fn listing(found: &Map<String, Value>) -> String {
    found
        .iter()
        .map(|(v, names)| {
            let names: Vec<&str> = names
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            format!("{v}: {}", names.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn all_suites_evidence(obs: &TlsObservation) -> Value {
    Value::Object(matching(obs, ALL, |_| true))
}

pub(super) fn findings(catalogue: &Catalogue, obs: &TlsObservation) -> Vec<Finding> {
    let mut out = Vec::new();
    let base = Evidence::new()
        .with("protocols", super::protocols_evidence(obs))
        .with("cipher_suites", all_suites_evidence(obs));
    if let Some(rule) = catalogue.rule("TLS-005") {
        out.push(broken_suites(rule, obs, base.clone()));
    }
    if let Some(rule) = catalogue.rule("TLS-006") {
        out.push(super::kex::key_exchange(rule, obs, base.clone()));
    }
    if let Some(rule) = catalogue.rule("TLS-007") {
        out.push(non_aead(rule, obs, base));
    }
    out
}

/// The status when nothing failed: error if something could not be judged,
/// not applicable if no relevant version was accepted, else pass.
pub(super) fn judge_rest(c: &Coverage, none_accepted: &str, pass: String) -> (Status, String) {
    if !c.unknown.is_empty() {
        (
            Status::Error,
            format!("could not assess: {}", c.unknown.join("; ")),
        )
    } else if c.enumerated.is_empty() {
        (Status::NotApplicable, none_accepted.to_owned())
    } else {
        (Status::Pass, pass)
    }
}

fn broken_suites(rule: &Rule, obs: &TlsObservation, base: Evidence) -> Finding {
    let broken = matching(obs, ALL, |s| BROKEN_CLASSES.iter().any(|&k| s.is(k)));
    let c = coverage(obs, ALL);
    let (status, summary) = if !broken.is_empty() {
        (
            Status::Fail,
            format!("broken suites accepted: {}", listing(&broken)),
        )
    } else {
        judge_rest(
            &c,
            "no protocol version was accepted",
            "no NULL, anonymous, EXPORT, RC4, DES or 3DES suite accepted".to_owned(),
        )
    };
    let ev = base.with("broken", Value::Object(broken));
    Finding::for_rule(rule, &obs.target, status, summary, ev)
}

fn non_aead(rule: &Rule, obs: &TlsObservation, base: Evidence) -> Finding {
    let legacy = matching(obs, &[TlsVersion::Tls12], |s| !s.is(SuiteClass::Aead));
    let c = coverage(obs, &[TlsVersion::Tls12]);
    let (status, summary) = if !legacy.is_empty() {
        (
            Status::Fail,
            format!("non-AEAD suites accepted in {}", listing(&legacy)),
        )
    } else {
        judge_rest(
            &c,
            "TLS 1.2 is not accepted",
            "only AEAD suites accepted in TLS 1.2".to_owned(),
        )
    };
    let ev = base.with("non_aead", Value::Object(legacy));
    Finding::for_rule(rule, &obs.target, status, summary, ev)
}
