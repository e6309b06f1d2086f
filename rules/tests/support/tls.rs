//! Hand-made TLS observations for the evaluator tests: `good()` is an
//! endpoint that passes every rule; tests break one fact at a time.

#![allow(dead_code)] // each test binary uses a different part

use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use trustwatch_rules::evaluate;
use trustwatch_rules::observe::{
    AttemptOutcome, CertificateSummary, ChainObservation, CipherSuite, KeyAlgorithm,
    KeyExchangeGroup, ProtocolAttempt, PublicKeySummary, SuiteClass, TlsFeatures, TlsObservation,
    TlsVersion, TrustVerdict, VersionSuites,
};
use trustwatch_rules::{Catalogue, Finding, Status};

pub const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

pub const ALL_VERSIONS: [TlsVersion; 6] = [
    TlsVersion::Ssl2,
    TlsVersion::Ssl3,
    TlsVersion::Tls10,
    TlsVersion::Tls11,
    TlsVersion::Tls12,
    TlsVersion::Tls13,
];

pub fn cert(not_before: OffsetDateTime, not_after: OffsetDateTime) -> CertificateSummary {
    CertificateSummary {
        subject: "CN=www.example.test".into(),
        issuer: "CN=Example CA".into(),
        serial: "01".into(),
        not_before,
        not_after,
        subject_alt_names: vec!["www.example.test".into()],
        public_key: PublicKeySummary {
            algorithm: KeyAlgorithm::Ec,
            bits: 256,
            curve: Some("P-256".into()),
        },
        signature_algorithm: "ecdsa-with-SHA256".into(),
        self_signed: false,
        sha256_fingerprint: "00".into(),
    }
}

pub fn attempt(v: TlsVersion, outcome: AttemptOutcome) -> ProtocolAttempt {
    ProtocolAttempt {
        version: v,
        outcome,
    }
}

pub fn accepted(v: TlsVersion) -> ProtocolAttempt {
    attempt(
        v,
        AttemptOutcome::Accepted {
            cipher_suite: "X".into(),
        },
    )
}

pub fn rejected(v: TlsVersion) -> ProtocolAttempt {
    attempt(
        v,
        AttemptOutcome::Rejected {
            reason: "protocol_version alert".into(),
        },
    )
}

pub fn failed(v: TlsVersion, reason: &str) -> ProtocolAttempt {
    attempt(
        v,
        AttemptOutcome::Failed {
            reason: reason.into(),
        },
    )
}

pub fn suite(name: &str, classes: &[SuiteClass]) -> CipherSuite {
    CipherSuite {
        id: 0,
        name: name.into(),
        classes: classes.to_vec(),
    }
}

pub fn ecdhe_gcm() -> CipherSuite {
    suite(
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        &[SuiteClass::ForwardSecret, SuiteClass::Aead],
    )
}

pub fn tls13_gcm() -> CipherSuite {
    suite(
        "TLS_AES_128_GCM_SHA256",
        &[SuiteClass::ForwardSecret, SuiteClass::Aead],
    )
}

pub fn suites(version: TlsVersion, accepted: Vec<CipherSuite>) -> VersionSuites {
    VersionSuites {
        version,
        accepted,
        server_preference: Some(true),
    }
}

pub fn group(name: &str, bits: u32) -> KeyExchangeGroup {
    KeyExchangeGroup {
        name: name.into(),
        bits,
    }
}

/// An endpoint that passes every TLS and certificate rule: only TLS 1.2 and
/// 1.3, AEAD forward-secret suites, strong groups, no compression, secure
/// renegotiation, and a valid certificate from an internal CA.
pub fn good() -> TlsObservation {
    let mut attempts: Vec<ProtocolAttempt> =
        ALL_VERSIONS[..4].iter().map(|&v| rejected(v)).collect();
    attempts.extend([accepted(TlsVersion::Tls12), accepted(TlsVersion::Tls13)]);
    TlsObservation {
        target: "www.example.test:443".into(),
        sni: Some("www.example.test".into()),
        starttls: None,
        cipher_suites: vec![
            suites(TlsVersion::Tls12, vec![ecdhe_gcm()]),
            suites(TlsVersion::Tls13, vec![tls13_gcm()]),
        ],
        features: TlsFeatures {
            groups: vec![group("x25519", 255), group("secp256r1", 256)],
            dhe_min_bits: None,
            compression: Some(false),
            secure_renegotiation: Some(true),
            fallback_scsv: Some(true),
            ocsp_stapling: Some(false),
        },
        attempts,
        chain: Some(ChainObservation {
            certificates: vec![cert(NOW - Duration::days(30), NOW + Duration::days(60))],
            trust: TrustVerdict::Trusted { public: false },
            checked_name: "www.example.test".into(),
            name_matches: true,
        }),
        chain_error: None,
    }
}

/// Replaces the attempt for `v` (adding it if absent).
pub fn set_attempt(obs: &mut TlsObservation, a: ProtocolAttempt) {
    obs.attempts.retain(|x| x.version != a.version);
    obs.attempts.push(a);
}

/// Adds `suite` to the accepted suites of `v`, marking `v` accepted.
pub fn add_suite(obs: &mut TlsObservation, v: TlsVersion, s: CipherSuite) {
    set_attempt(obs, accepted(v));
    match obs.cipher_suites.iter_mut().find(|x| x.version == v) {
        Some(vs) => vs.accepted.push(s),
        None => obs.cipher_suites.push(suites(v, vec![s])),
    }
}

pub fn status(findings: &[Finding], id: &str) -> Status {
    find(findings, id).status
}

pub fn find<'a>(findings: &'a [Finding], id: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.rule_id == id)
        .unwrap_or_else(|| panic!("no {id} finding"))
}

pub fn run(obs: &TlsObservation) -> Vec<Finding> {
    evaluate::tls(&Catalogue::embedded().unwrap(), obs, NOW)
}
