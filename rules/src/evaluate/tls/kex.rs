//! TLS-006: forward secrecy and key-exchange strength. Every TLS ≤ 1.2
//! suite must be ephemeral (EC)DHE, DHE primes at least 2048 bits, and
//! every accepted group (TLS 1.2 and 1.3) strong enough.

use serde_json::{json, Value};

use super::suites::{coverage, listing, matching, MIN_CURVE_BITS, MIN_DHE_BITS, UP_TO_12};
use crate::catalogue::Rule;
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{AttemptOutcome, KeyExchangeGroup, SuiteClass, TlsObservation, TlsVersion};

/// Finite-field groups are judged by their prime, curves by their size.
fn is_finite_field(g: &KeyExchangeGroup) -> bool {
    g.name.to_ascii_lowercase().starts_with("ffdhe") || g.bits >= 1024
}

pub fn weak_group(g: &KeyExchangeGroup) -> bool {
    if is_finite_field(g) {
        g.bits < MIN_DHE_BITS
    } else {
        g.bits < MIN_CURVE_BITS
    }
}

/// `TLS_DHE_…` and `TLS_DH_anon_…`: the server sends a finite-field prime.
fn is_dhe(name: &str) -> bool {
    name.contains("_DHE_") || name.contains("_DH_anon_")
}

/// `TLS_ECDHE_…` and `TLS_ECDH_anon_…`: the server picks a curve.
fn is_ecdhe(name: &str) -> bool {
    name.contains("_ECDHE_") || name.contains("_ECDH_anon_")
}

pub(super) fn key_exchange(rule: &Rule, obs: &TlsObservation, base: Evidence) -> Finding {
    let f = &obs.features;
    // Anonymous suites are ephemeral but unauthenticated: TLS-005's
    // business, not a lack of forward secrecy.
    let static_kx = matching(obs, UP_TO_12, |s| {
        !s.is(SuiteClass::ForwardSecret) && !s.is(SuiteClass::Anonymous)
    });
    let weak_groups: Vec<&KeyExchangeGroup> = f.groups.iter().filter(|g| weak_group(g)).collect();

    let mut problems = Vec::new();
    if !static_kx.is_empty() {
        problems.push(format!(
            "suites without forward secrecy accepted: {}",
            listing(&static_kx)
        ));
    }
    if let Some(bits) = f.dhe_min_bits.filter(|&b| b < MIN_DHE_BITS) {
        problems.push(format!("DHE prime of {bits} bits"));
    }
    if !weak_groups.is_empty() {
        let names: Vec<String> = weak_groups
            .iter()
            .map(|g| format!("{} ({} bits)", g.name, g.bits))
            .collect();
        problems.push(format!("weak key-exchange groups: {}", names.join(", ")));
    }

    // What could not be judged: versions whose suites are unknown, TLS 1.3
    // not tried, and parameters the scanner did not report.
    let mut c = coverage(obs, UP_TO_12);
    let tls13 = obs.accepted(TlsVersion::Tls13);
    match obs.attempt(TlsVersion::Tls13) {
        None => c.unknown.push("TLSv1.3 not tried".to_owned()),
        Some(AttemptOutcome::Failed { reason }) => c.unknown.push(format!("TLSv1.3: {reason}")),
        _ => {}
    }
    let names = || {
        obs.cipher_suites
            .iter()
            .filter(|s| UP_TO_12.contains(&s.version))
    };
    let any_suite =
        |pred: fn(&str) -> bool| names().any(|s| s.accepted.iter().any(|c| pred(&c.name)));
    if any_suite(is_dhe) && f.dhe_min_bits.is_none() {
        c.unknown.push("DHE prime size not determined".to_owned());
    }
    if (tls13 || any_suite(is_ecdhe)) && f.groups.is_empty() {
        c.unknown
            .push("key-exchange groups not determined".to_owned());
    }

    let (status, summary) = if !problems.is_empty() {
        (Status::Fail, problems.join("; "))
    } else {
        if tls13 {
            // TLS 1.3 alone is enough to make this rule applicable.
            c.enumerated.push(TlsVersion::Tls13);
        }
        super::suites::judge_rest(
            &c,
            "no protocol version was accepted",
            "only forward-secret key exchange with strong groups".to_owned(),
        )
    };
    let groups: Vec<Value> = f
        .groups
        .iter()
        .map(|g| json!({"name": g.name, "bits": g.bits}))
        .collect();
    let ev = base
        .with("without_forward_secrecy", Value::Object(static_kx))
        .with("dhe_min_bits", json!(f.dhe_min_bits))
        .with("groups", groups);
    Finding::for_rule(rule, &obs.target, status, summary, ev)
}
