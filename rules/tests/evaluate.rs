//! The pure TLS/certificate evaluator on hand-made observations.

#[path = "support/tls.rs"]
mod support;

use support::{accepted, cert, find, good, rejected, run, status, NOW};
use time::Duration;
use trustwatch_rules::evaluate;
use trustwatch_rules::observe::{
    AttemptOutcome, KeyAlgorithm, ProtocolAttempt, PublicKeySummary, TlsVersion, TrustVerdict,
};
use trustwatch_rules::{Severity, Status};

#[test]
fn a_good_endpoint_passes_every_rule() {
    let f = run(&good());
    assert_eq!(f.len(), evaluate::TLS_PROBE_RULES.len());
    for finding in &f {
        assert_eq!(finding.status, Status::Pass, "{finding:?}");
        assert_eq!(finding.target, "www.example.test:443");
    }
}

#[test]
fn expired_certificate_fails_cert_001_and_cert_002_high() {
    let mut obs = good();
    obs.chain.as_mut().unwrap().certificates[0] =
        cert(NOW - Duration::days(400), NOW - Duration::days(12));
    let f = run(&obs);
    let c1 = find(&f, "CERT-001");
    assert_eq!(c1.status, Status::Fail);
    assert_eq!(c1.severity, Severity::Critical);
    assert!(c1.summary.contains("expired 12 days ago"), "{}", c1.summary);
    assert_eq!(
        c1.evidence.get("not_after").unwrap(),
        "2026-11-10T12:00:00Z"
    );
    let c2 = find(&f, "CERT-002");
    assert_eq!((c2.status, c2.severity), (Status::Fail, Severity::High));
}

#[test]
fn not_yet_valid_certificate_fails_cert_001() {
    let mut obs = good();
    obs.chain.as_mut().unwrap().certificates[0] =
        cert(NOW + Duration::days(1), NOW + Duration::days(90));
    assert_eq!(status(&run(&obs), "CERT-001"), Status::Fail);
}

#[test]
fn near_expiry_is_medium_then_high() {
    let mut obs = good();
    obs.chain.as_mut().unwrap().certificates[0] =
        cert(NOW - Duration::days(60), NOW + Duration::days(20));
    let c2 = find(&run(&obs), "CERT-002").clone();
    assert_eq!((c2.status, c2.severity), (Status::Fail, Severity::Medium));
    obs.chain.as_mut().unwrap().certificates[0] =
        cert(NOW - Duration::days(60), NOW + Duration::days(3));
    let c2 = find(&run(&obs), "CERT-002").clone();
    assert_eq!((c2.status, c2.severity), (Status::Fail, Severity::High));
}

#[test]
fn untrusted_chain_and_self_signed_leaf_fail_cert_003() {
    let mut obs = good();
    obs.chain.as_mut().unwrap().trust = TrustVerdict::Untrusted {
        reason: "unknown issuer".into(),
    };
    let c3 = find(&run(&obs), "CERT-003").clone();
    assert_eq!(c3.status, Status::Fail);
    assert!(c3.summary.contains("unknown issuer"));

    let mut obs = good();
    obs.chain.as_mut().unwrap().certificates[0].self_signed = true;
    assert_eq!(status(&run(&obs), "CERT-003"), Status::Fail);
}

#[test]
fn hostname_mismatch_fails_cert_004() {
    let mut obs = good();
    let chain = obs.chain.as_mut().unwrap();
    chain.name_matches = false;
    chain.checked_name = "other.example.test".into();
    let c4 = find(&run(&obs), "CERT-004").clone();
    assert_eq!(c4.status, Status::Fail);
    assert!(c4.summary.contains("other.example.test"));
}

#[test]
fn weak_keys_and_signatures_fail_cert_005() {
    for (alg, bits, sig) in [
        (KeyAlgorithm::Rsa, 1024, "sha256WithRSAEncryption"),
        (KeyAlgorithm::Ec, 224, "ecdsa-with-SHA256"),
        (KeyAlgorithm::Rsa, 2048, "sha1WithRSAEncryption"),
        (KeyAlgorithm::Rsa, 2048, "md5WithRSAEncryption"),
        (KeyAlgorithm::Dsa, 2048, "dsa-with-sha256"),
    ] {
        let mut obs = good();
        let leaf = &mut obs.chain.as_mut().unwrap().certificates[0];
        leaf.public_key = PublicKeySummary {
            algorithm: alg.clone(),
            bits,
            curve: None,
        };
        leaf.signature_algorithm = sig.into();
        assert_eq!(
            status(&run(&obs), "CERT-005"),
            Status::Fail,
            "{alg:?} {bits} {sig}"
        );
    }
    // A self-signed root's own SHA-1 signature is not relied upon.
    let mut obs = good();
    let mut root = cert(NOW - Duration::days(3000), NOW + Duration::days(3000));
    root.self_signed = true;
    root.signature_algorithm = "sha1WithRSAEncryption".into();
    obs.chain.as_mut().unwrap().certificates.push(root);
    assert_eq!(status(&run(&obs), "CERT-005"), Status::Pass);
}

#[test]
fn over_long_validity_depends_on_public_trust() {
    let mut obs = good();
    obs.chain.as_mut().unwrap().certificates[0] =
        cert(NOW - Duration::days(10), NOW + Duration::days(500));
    // Internal CA: 510 days is within the three-year limit.
    assert_eq!(status(&run(&obs), "CERT-006"), Status::Pass);
    obs.chain.as_mut().unwrap().trust = TrustVerdict::Trusted { public: true };
    assert_eq!(status(&run(&obs), "CERT-006"), Status::Fail);
    obs.chain.as_mut().unwrap().trust = TrustVerdict::Trusted { public: false };
    obs.chain.as_mut().unwrap().certificates[0] =
        cert(NOW - Duration::days(10), NOW + Duration::days(1200));
    assert_eq!(status(&run(&obs), "CERT-006"), Status::Fail);
}

#[test]
fn protocol_rules_follow_the_attempts() {
    let mut obs = good();
    obs.attempts = vec![accepted(TlsVersion::Tls12), rejected(TlsVersion::Tls13)];
    let f = run(&obs);
    assert_eq!(status(&f, "TLS-003"), Status::Pass);
    assert_eq!(status(&f, "TLS-004"), Status::Fail);

    obs.attempts = vec![rejected(TlsVersion::Tls12), rejected(TlsVersion::Tls13)];
    obs.chain = None;
    let f = run(&obs);
    assert_eq!(status(&f, "TLS-003"), Status::Fail);
    assert_eq!(status(&f, "CERT-001"), Status::NotApplicable);
}

#[test]
fn unreachable_target_gives_error_findings_with_the_reason() {
    let mut obs = good();
    obs.chain = None;
    obs.attempts = [TlsVersion::Tls12, TlsVersion::Tls13]
        .into_iter()
        .map(|v| ProtocolAttempt {
            version: v,
            outcome: AttemptOutcome::Failed {
                reason: "connection refused".into(),
            },
        })
        .collect();
    let f = run(&obs);
    assert_eq!(f.len(), evaluate::TLS_PROBE_RULES.len());
    for finding in &f {
        assert_eq!(finding.status, Status::Error);
        assert_eq!(finding.evidence.get("error").unwrap(), "connection refused");
    }
}

#[test]
fn unreadable_certificate_is_an_error_not_a_pass() {
    let mut obs = good();
    obs.chain = None;
    obs.chain_error = Some("leaf: malformed DER".into());
    assert_eq!(status(&run(&obs), "CERT-001"), Status::Error);
}
