//! TLS-001…TLS-008 on hand-made observations: each test breaks one fact of
//! an endpoint that otherwise passes everything.

#[path = "support/tls.rs"]
mod support;

use support::{
    accepted, add_suite, failed, find, good, group, rejected, run, set_attempt, status, suite,
    ALL_VERSIONS,
};
use trustwatch_rules::evaluate;
use trustwatch_rules::observe::{SuiteClass as C, TlsVersion as V};
use trustwatch_rules::{Severity, Status};

#[test]
fn findings_come_in_catalogue_order_with_catalogue_severity() {
    let f = run(&good());
    let ids: Vec<&str> = f.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, evaluate::TLS_PROBE_RULES);
    assert_eq!(find(&f, "TLS-001").severity, Severity::Critical);
    assert_eq!(find(&f, "TLS-005").severity, Severity::High);
    assert_eq!(find(&f, "TLS-006").severity, Severity::Medium);
    assert_eq!(find(&f, "TLS-007").severity, Severity::Low);
    assert_eq!(find(&f, "TLS-008").severity, Severity::Medium);
}

#[test]
fn ssl_versions_fail_tls_001_and_old_tls_fails_tls_002() {
    for (v, id) in [
        (V::Ssl2, "TLS-001"),
        (V::Ssl3, "TLS-001"),
        (V::Tls10, "TLS-002"),
        (V::Tls11, "TLS-002"),
    ] {
        let mut obs = good();
        set_attempt(&mut obs, accepted(v));
        let f = run(&obs);
        let finding = find(&f, id);
        assert_eq!(finding.status, Status::Fail, "{v}");
        assert_eq!(finding.summary, format!("{v} accepted"));
        assert_eq!(finding.evidence.get("accepted").unwrap()[0], v.as_str());
        assert_eq!(
            finding.evidence.get("protocols").unwrap()[v.as_str()]["result"],
            "accepted"
        );
        let other = if id == "TLS-001" {
            "TLS-002"
        } else {
            "TLS-001"
        };
        assert_eq!(status(&f, other), Status::Pass, "{v}");
    }
}

#[test]
fn a_version_not_tried_or_failed_is_an_error_not_a_pass() {
    let mut obs = good();
    obs.attempts.retain(|a| a.version != V::Ssl2);
    let t1 = find(&run(&obs), "TLS-001").clone();
    assert_eq!(t1.status, Status::Error);
    assert!(t1.summary.contains("SSLv2 not tried"), "{}", t1.summary);

    let mut obs = good();
    set_attempt(&mut obs, failed(V::Tls11, "timed out after 5s"));
    let t2 = find(&run(&obs), "TLS-002").clone();
    assert_eq!(t2.status, Status::Error);
    assert!(t2.summary.contains("TLSv1.1: timed out"), "{}", t2.summary);

    // An accepted version outweighs one that could not be tried.
    set_attempt(&mut obs, accepted(V::Tls10));
    assert_eq!(status(&run(&obs), "TLS-002"), Status::Fail);
}

#[test]
fn broken_suites_fail_tls_005_listed_by_version() {
    for (name, class) in [
        ("TLS_RSA_WITH_NULL_SHA256", C::Null),
        ("TLS_DH_anon_WITH_AES_128_GCM_SHA256", C::Anonymous),
        ("TLS_RSA_EXPORT_WITH_RC4_40_MD5", C::Export),
        ("TLS_RSA_WITH_RC4_128_SHA", C::Rc4),
        ("TLS_RSA_WITH_DES_CBC_SHA", C::Des),
        ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", C::TripleDes),
    ] {
        let mut obs = good();
        add_suite(&mut obs, V::Tls10, suite(name, &[class, C::StaticRsa]));
        let t5 = find(&run(&obs), "TLS-005").clone();
        assert_eq!(t5.status, Status::Fail, "{name}");
        assert_eq!(t5.evidence.get("broken").unwrap()["TLSv1.0"][0], name);
        assert!(
            t5.summary.contains(&format!("TLSv1.0: {name}")),
            "{}",
            t5.summary
        );
    }
}

#[test]
fn three_des_in_tls_12_fails_tls_005_and_tls_007() {
    let mut obs = good();
    let des3 = "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA";
    add_suite(
        &mut obs,
        V::Tls12,
        suite(des3, &[C::TripleDes, C::Cbc, C::Sha1Mac, C::ForwardSecret]),
    );
    let f = run(&obs);
    assert_eq!(status(&f, "TLS-005"), Status::Fail);
    assert_eq!(status(&f, "TLS-007"), Status::Fail);
    assert_eq!(status(&f, "TLS-006"), Status::Pass, "it is forward secret");
}

#[test]
fn cbc_in_tls_12_fails_tls_007_but_not_tls_005() {
    let mut obs = good();
    let cbc = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA";
    add_suite(
        &mut obs,
        V::Tls12,
        suite(cbc, &[C::Cbc, C::Sha1Mac, C::ForwardSecret]),
    );
    let f = run(&obs);
    assert_eq!(status(&f, "TLS-005"), Status::Pass);
    let t7 = find(&f, "TLS-007");
    assert_eq!(t7.status, Status::Fail);
    assert_eq!(t7.evidence.get("non_aead").unwrap()["TLSv1.2"][0], cbc);

    // CBC in TLS 1.0 is TLS-002's business, not TLS-007's.
    let mut obs = good();
    add_suite(
        &mut obs,
        V::Tls10,
        suite(cbc, &[C::Cbc, C::Sha1Mac, C::ForwardSecret]),
    );
    let f = run(&obs);
    assert_eq!(status(&f, "TLS-007"), Status::Pass);
    assert_eq!(status(&f, "TLS-002"), Status::Fail);
}

#[test]
fn static_rsa_fails_tls_006() {
    let mut obs = good();
    let rsa = "TLS_RSA_WITH_AES_128_GCM_SHA256";
    add_suite(&mut obs, V::Tls12, suite(rsa, &[C::StaticRsa, C::Aead]));
    let f = run(&obs);
    let t6 = find(&f, "TLS-006");
    assert_eq!(t6.status, Status::Fail);
    assert_eq!(
        t6.evidence.get("without_forward_secrecy").unwrap()["TLSv1.2"][0],
        rsa
    );
    // AEAD, so TLS-007 is content; not broken, so TLS-005 is too.
    assert_eq!(status(&f, "TLS-007"), Status::Pass);
    assert_eq!(status(&f, "TLS-005"), Status::Pass);
}

#[test]
fn anonymous_suites_are_tls_005_not_a_lack_of_forward_secrecy() {
    let mut obs = good();
    obs.features.dhe_min_bits = Some(2048);
    let anon = "TLS_DH_anon_WITH_AES_128_GCM_SHA256";
    add_suite(&mut obs, V::Tls12, suite(anon, &[C::Anonymous, C::Aead]));
    let f = run(&obs);
    assert_eq!(status(&f, "TLS-005"), Status::Fail);
    assert_eq!(status(&f, "TLS-006"), Status::Pass);
}

#[test]
fn dhe_prime_of_2048_bits_passes_and_1024_fails() {
    let dhe = suite(
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        &[C::ForwardSecret, C::Aead],
    );
    let mut obs = good();
    add_suite(&mut obs, V::Tls12, dhe);
    // A DHE suite without the prime size is not a silent pass.
    let t6 = find(&run(&obs), "TLS-006").clone();
    assert_eq!(t6.status, Status::Error);
    assert!(t6.summary.contains("DHE prime size not determined"));

    obs.features.dhe_min_bits = Some(2048);
    assert_eq!(status(&run(&obs), "TLS-006"), Status::Pass);
    obs.features.dhe_min_bits = Some(1024);
    let t6 = find(&run(&obs), "TLS-006").clone();
    assert_eq!(t6.status, Status::Fail);
    assert!(
        t6.summary.contains("DHE prime of 1024 bits"),
        "{}",
        t6.summary
    );
    assert_eq!(t6.evidence.get("dhe_min_bits").unwrap(), 1024);
}

#[test]
fn small_groups_fail_tls_006_and_x25519_passes() {
    let mut obs = good();
    obs.features.groups = vec![group("x25519", 255), group("x448", 448)];
    assert_eq!(status(&run(&obs), "TLS-006"), Status::Pass);
    for weak in [
        group("secp224r1", 224),
        group("secp192r1", 192),
        group("ffdhe1536", 1536),
    ] {
        let mut obs = good();
        obs.features.groups.push(weak.clone());
        let t6 = find(&run(&obs), "TLS-006").clone();
        assert_eq!(t6.status, Status::Fail, "{weak:?}");
        assert!(t6.summary.contains(&weak.name), "{}", t6.summary);
    }
    let mut obs = good();
    obs.features.groups.push(group("ffdhe2048", 2048));
    assert_eq!(status(&run(&obs), "TLS-006"), Status::Pass);

    // ECDHE or TLS 1.3 accepted but the groups unknown: an error.
    let mut obs = good();
    obs.features.groups.clear();
    assert_eq!(status(&run(&obs), "TLS-006"), Status::Error);
}

#[test]
fn suites_not_enumerated_are_errors_not_passes() {
    let mut obs = good();
    obs.cipher_suites.retain(|s| s.version != V::Tls12);
    let f = run(&obs);
    for id in ["TLS-005", "TLS-006", "TLS-007"] {
        let finding = find(&f, id);
        assert_eq!(finding.status, Status::Error, "{id}");
        assert!(
            finding
                .summary
                .contains("TLSv1.2 accepted but its cipher suites were not enumerated"),
            "{id}: {}",
            finding.summary
        );
    }
    // A broken suite found elsewhere still fails TLS-005.
    add_suite(
        &mut obs,
        V::Ssl3,
        suite("SSL_RSA_WITH_RC4_128_MD5", &[C::Rc4]),
    );
    assert_eq!(status(&run(&obs), "TLS-005"), Status::Fail);
}

#[test]
fn suite_rules_do_not_apply_when_their_versions_were_rejected() {
    // TLS 1.3 only: nothing in TLS 1.2 to judge for TLS-007; TLS-006 still
    // judges the 1.3 groups; TLS-008's weaknesses do not exist in 1.3.
    let mut obs = good();
    set_attempt(&mut obs, rejected(V::Tls12));
    obs.cipher_suites.retain(|s| s.version == V::Tls13);
    obs.features.compression = None;
    obs.features.secure_renegotiation = None;
    let f = run(&obs);
    assert_eq!(status(&f, "TLS-007"), Status::NotApplicable);
    assert_eq!(status(&f, "TLS-005"), Status::Pass);
    assert_eq!(status(&f, "TLS-006"), Status::Pass);
    assert_eq!(status(&f, "TLS-008"), Status::Pass);

    // Nothing accepted at all (a server that rejects every version).
    let mut obs = good();
    obs.attempts = ALL_VERSIONS.iter().map(|&v| rejected(v)).collect();
    obs.cipher_suites.clear();
    obs.features = Default::default();
    obs.chain = None;
    let f = run(&obs);
    for id in ["TLS-005", "TLS-006", "TLS-007", "TLS-008"] {
        assert_eq!(status(&f, id), Status::NotApplicable, "{id}");
    }
    assert_eq!(status(&f, "TLS-001"), Status::Pass);
    assert_eq!(status(&f, "TLS-003"), Status::Fail);
}

#[test]
fn compression_or_insecure_renegotiation_fail_tls_008() {
    let mut obs = good();
    obs.features.compression = Some(true);
    let t8 = find(&run(&obs), "TLS-008").clone();
    assert_eq!(t8.status, Status::Fail);
    assert!(t8.summary.contains("compression"));
    assert_eq!(t8.evidence.get("compression").unwrap(), true);

    let mut obs = good();
    obs.features.secure_renegotiation = Some(false);
    let t8 = find(&run(&obs), "TLS-008").clone();
    assert_eq!(t8.status, Status::Fail);
    assert!(t8.summary.contains("secure renegotiation"));

    // A failure is reported even when the other half is unknown.
    obs.features.compression = None;
    assert_eq!(status(&run(&obs), "TLS-008"), Status::Fail);
}

#[test]
fn undetermined_tls_008_is_an_error() {
    let mut obs = good();
    obs.features.compression = None;
    obs.features.secure_renegotiation = None;
    let t8 = find(&run(&obs), "TLS-008").clone();
    assert_eq!(t8.status, Status::Error);
    assert!(t8.summary.contains("not determined"), "{}", t8.summary);

    let mut obs = good();
    obs.features.secure_renegotiation = None;
    let t8 = find(&run(&obs), "TLS-008").clone();
    assert_eq!(t8.status, Status::Error);
    assert!(
        t8.summary.contains("secure renegotiation not determined"),
        "{}",
        t8.summary
    );
}

#[test]
fn a_probe_that_only_tried_tls_12_and_13_leaves_legacy_rules_in_error() {
    // What the rustls-only probe reports: honest errors, no silent passes.
    let mut obs = good();
    obs.attempts = vec![accepted(V::Tls12), accepted(V::Tls13)];
    let f = run(&obs);
    for id in ["TLS-001", "TLS-002", "TLS-005", "TLS-006"] {
        assert_eq!(status(&f, id), Status::Error, "{id}");
    }
    assert_eq!(status(&f, "TLS-007"), Status::Pass);
    assert_eq!(status(&f, "TLS-003"), Status::Pass);
}

mod properties {
    use super::support::{good, run, status, suite, suites, ALL_VERSIONS};
    use proptest::prelude::*;
    use trustwatch_rules::evaluate;
    use trustwatch_rules::observe::{
        AttemptOutcome, CipherSuite, ProtocolAttempt, SuiteClass as C,
    };
    use trustwatch_rules::Status;

    const CLASSES: [C; 13] = [
        C::Null,
        C::Anonymous,
        C::Export,
        C::Rc4,
        C::Des,
        C::TripleDes,
        C::Cbc,
        C::Sha1Mac,
        C::Md5Mac,
        C::StaticRsa,
        C::StaticDh,
        C::ForwardSecret,
        C::Aead,
    ];

    fn any_suite() -> impl Strategy<Value = CipherSuite> {
        proptest::sample::subsequence(CLASSES.to_vec(), 0..=5)
            .prop_map(|classes| suite("TLS_ECDHE_RSA_WITH_SOMETHING", &classes))
    }

    /// Up to four suites for each version; a version with none is rejected.
    fn any_suites() -> impl Strategy<Value = Vec<Vec<CipherSuite>>> {
        proptest::collection::vec(proptest::collection::vec(any_suite(), 0..4), 6)
    }

    proptest! {
        #[test]
        fn suite_rules_fail_exactly_when_a_suite_has_the_class(per_version in any_suites()) {
            let mut obs = good();
            obs.features.dhe_min_bits = Some(2048);
            obs.attempts.clear();
            obs.cipher_suites.clear();
            for (&v, list) in ALL_VERSIONS.iter().zip(&per_version) {
                let outcome = if list.is_empty() {
                    AttemptOutcome::Rejected { reason: "alert".into() }
                } else {
                    obs.cipher_suites.push(suites(v, list.clone()));
                    AttemptOutcome::Accepted { cipher_suite: "X".into() }
                };
                obs.attempts.push(ProtocolAttempt { version: v, outcome });
            }
            let f = run(&obs);
            prop_assert_eq!(f.len(), evaluate::TLS_PROBE_RULES.len());
            let all: Vec<&CipherSuite> = per_version.iter().flatten().collect();
            let upto12: Vec<&CipherSuite> = per_version[..5].iter().flatten().collect();
            let broken = all.iter().any(|s| {
                [C::Null, C::Anonymous, C::Export, C::Rc4, C::Des, C::TripleDes]
                    .iter()
                    .any(|&k| s.is(k))
            });
            let t5 = status(&f, "TLS-005");
            prop_assert_eq!(t5 == Status::Fail, broken);
            if all.is_empty() {
                prop_assert_eq!(t5, Status::NotApplicable);
            } else if !broken {
                prop_assert_eq!(t5, Status::Pass);
            }
            let static_kx = upto12
                .iter()
                .any(|s| !s.is(C::ForwardSecret) && !s.is(C::Anonymous));
            prop_assert_eq!(status(&f, "TLS-006") == Status::Fail, static_kx);
            let legacy12 = per_version[4].iter().any(|s| !s.is(C::Aead));
            let t7 = status(&f, "TLS-007");
            prop_assert_eq!(t7 == Status::Fail, legacy12);
            prop_assert_eq!(t7 == Status::NotApplicable, per_version[4].is_empty());
            // Every version was tried and answered: nothing is left in error.
            for finding in &f {
                if finding.rule_id.starts_with("TLS-") {
                    prop_assert_ne!(finding.status, Status::Error, "{}", finding.summary);
                }
            }
        }
    }
}
