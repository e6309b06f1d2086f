//! The crafted-hello scanner against real servers on 127.0.0.1:
//! `openssl s_server` configured per case, tlslite-ng for SSL 3.0 / RC4 /
//! 3DES, and listeners that misbehave.

#[path = "support/hostile.rs"]
mod hostile;
#[path = "support/openssl_lab.rs"]
mod openssl_lab;
#[path = "support/servers.rs"]
mod servers;
#[path = "support/tlslite.rs"]
mod tlslite;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hostile::{Hostile, Misbehaviour};
use openssl_lab::{dhparam, openssl_suites, RsaPair};
use servers::{Listener, OpensslServer};
use tlslite::TlsliteServer;
use trustwatch_agent::net::Resolver;
use trustwatch_agent::probe::tls::{Anchors, TlsProbe, TlsProbeConfig};
use trustwatch_agent::probe::{Limits, Probe, ProbeContext};
use trustwatch_agent::target::Target;
use trustwatch_rules::observe::{
    AttemptOutcome, SuiteClass, TlsObservation, TlsVersion, VersionSuites,
};
use trustwatch_rules::{Catalogue, Status};

use TlsVersion::*;

fn ctx(timeout: Duration) -> ProbeContext {
    ProbeContext {
        catalogue: Arc::new(Catalogue::embedded().expect("embedded baseline")),
        now: time::OffsetDateTime::now_utc(),
        limits: Limits::with_timeout(timeout),
        resolver: Resolver::system(),
    }
}

fn probe(target: &str) -> TlsProbe {
    TlsProbeConfig {
        target: Target::parse(target).unwrap(),
        sni: None,
        anchors: Anchors::default(),
        starttls: None,
        http: None,
    }
    .build()
}

async fn observe(target: &str) -> TlsObservation {
    let (obs, stats) = probe(target)
        .observe_counted(&ctx(Duration::from_secs(10)))
        .await;
    assert!(stats.handshakes > 0);
    obs
}

/// An RSA-certificate `openssl s_server` with extra flags.
fn rsa_server(dir: &tempfile::TempDir, flags: &[&str]) -> OpensslServer {
    let rsa = RsaPair::new(dir.path());
    OpensslServer::start(&rsa.cert, &rsa.key, &rsa.cert, flags)
}

fn versions(obs: &TlsObservation, accepted: bool) -> Vec<TlsVersion> {
    obs.attempts
        .iter()
        .filter(|a| matches!(a.outcome, AttemptOutcome::Accepted { .. }) == accepted)
        .map(|a| a.version)
        .collect()
}

fn suites(obs: &TlsObservation, version: TlsVersion) -> &VersionSuites {
    obs.suites(version)
        .unwrap_or_else(|| panic!("no suites for {version}: {:#?}", obs.cipher_suites))
}

fn ids(vs: &VersionSuites) -> Vec<u32> {
    vs.accepted.iter().map(|c| c.id).collect()
}

fn id_set(vs: &VersionSuites) -> BTreeSet<u32> {
    ids(vs).into_iter().collect()
}

fn group_names(obs: &TlsObservation) -> BTreeSet<&str> {
    obs.features
        .groups
        .iter()
        .map(|g| g.name.as_str())
        .collect()
}

#[tokio::test]
async fn legacy_versions_with_static_rsa_cbc_suites() {
    let dir = tempfile::tempdir().unwrap();
    let server = rsa_server(
        &dir,
        &[
            "-min_protocol",
            "TLSv1",
            "-no_tls1_3",
            "-cipher",
            "AES128-SHA:AES256-SHA:@SECLEVEL=0",
        ],
    );
    let obs = observe(&server.target()).await;
    assert_eq!(
        versions(&obs, true),
        [Tls10, Tls11, Tls12],
        "{:#?}",
        obs.attempts
    );
    assert_eq!(versions(&obs, false), [Ssl2, Ssl3, Tls13]);
    for v in [Tls10, Tls11, Tls12] {
        let vs = suites(&obs, v);
        // Found in the client's (our code-point) order: no server preference.
        assert_eq!(ids(vs), [0x002F, 0x0035], "{v}");
        assert_eq!(vs.server_preference, Some(false), "{v}");
        assert!(vs.accepted.iter().all(|c| c.is(SuiteClass::StaticRsa)
            && c.is(SuiteClass::Cbc)
            && c.is(SuiteClass::Sha1Mac)));
    }
    assert_eq!(obs.cipher_suites.len(), 3);
    let f = &obs.features;
    assert_eq!(f.secure_renegotiation, Some(true));
    assert_eq!(f.fallback_scsv, Some(true));
    assert_eq!(
        f.compression,
        Some(false),
        "Debian's OpenSSL has no compression"
    );
    assert_eq!(f.dhe_min_bits, None);
    assert_eq!(f.ocsp_stapling, Some(false));
    assert!(
        f.groups.is_empty(),
        "no ECDHE suite, no groups: {:?}",
        f.groups
    );
    // rustls speaks no static-RSA suite: the chain comes from the crafted
    // hello's Certificate message.
    let chain = obs.chain.as_ref().expect("chain from the legacy flight");
    assert_eq!(chain.certificates[0].public_key.bits, 2048);
    assert!(chain.certificates[0].self_signed);
}

#[tokio::test]
async fn default_suites_match_what_openssl_serves_at_each_version() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "DEFAULT:@SECLEVEL=0";
    let server = rsa_server(&dir, &["-min_protocol", "TLSv1", "-cipher", spec]);
    let (obs, stats) = probe(&server.target())
        .observe_counted(&ctx(Duration::from_secs(10)))
        .await;
    assert_eq!(versions(&obs, true), [Tls10, Tls11, Tls12, Tls13]);
    for (v, flag) in [
        (Tls10, "-tls1"),
        (Tls11, "-tls1_1"),
        (Tls12, "-tls1_2"),
        (Tls13, "-tls1_3"),
    ] {
        assert_eq!(id_set(suites(&obs, v)), openssl_suites(flag, spec), "{v}");
    }
    assert_eq!(
        group_names(&obs),
        BTreeSet::from([
            "x25519",
            "secp256r1",
            "x448",
            "secp521r1",
            "secp384r1",
            "ffdhe2048",
            "ffdhe3072",
            "ffdhe4096",
            "ffdhe6144",
            "ffdhe8192"
        ])
    );
    assert_eq!(
        obs.features.dhe_min_bits,
        Some(2048),
        "OpenSSL's automatic DH group"
    );
    // Every hello accounted for: one per version; per accepted version n
    // suites cost n - 1 more acceptances, 1 refusal and 1 preference check;
    // g groups cost g + 1; then the fallback check and 2 rustls handshakes.
    let suites_total: u32 = obs
        .cipher_suites
        .iter()
        .map(|s| s.accepted.len() as u32 + 1)
        .sum();
    let expected = 6 + suites_total + (obs.features.groups.len() as u32 + 1) + 1 + 2;
    assert_eq!(stats.handshakes, expected);
}

#[tokio::test]
async fn null_and_anonymous_suites_are_found_and_classified() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "aNULL:eNULL:@SECLEVEL=0";
    let server = rsa_server(&dir, &["-no_tls1_3", "-cipher", spec]);
    let obs = observe(&server.target()).await;
    // Security level 0 also lets TLS 1.0 and 1.1 back in.
    assert_eq!(versions(&obs, true), [Tls10, Tls11, Tls12]);
    for (v, flag) in [(Tls10, "-tls1"), (Tls11, "-tls1_1"), (Tls12, "-tls1_2")] {
        let vs = suites(&obs, v);
        assert_eq!(id_set(vs), openssl_suites(flag, spec), "{v}");
        for c in &vs.accepted {
            assert!(
                c.is(SuiteClass::Null) || c.is(SuiteClass::Anonymous),
                "{c:?}"
            );
        }
    }
    let vs = suites(&obs, Tls12);
    assert!(vs.accepted.len() >= 10, "{:?}", ids(vs));
    assert!(vs
        .accepted
        .iter()
        .any(|c| c.name == "TLS_DH_anon_WITH_AES_256_GCM_SHA384"));
    assert!(vs
        .accepted
        .iter()
        .any(|c| c.name == "TLS_RSA_WITH_NULL_MD5"));
}

#[tokio::test]
async fn server_preference_is_detected_at_tls12_and_tls13() {
    let dir = tempfile::tempdir().unwrap();
    let server = rsa_server(
        &dir,
        &[
            "-serverpref",
            "-cipher",
            "AES256-SHA:AES128-SHA:@SECLEVEL=0",
            "-ciphersuites",
            "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
        ],
    );
    let obs = observe(&server.target()).await;
    let tls12 = suites(&obs, Tls12);
    assert_eq!(ids(tls12), [0x0035, 0x002F], "in the server's order");
    assert_eq!(tls12.server_preference, Some(true));
    let tls13 = suites(&obs, Tls13);
    assert_eq!(ids(tls13), [0x1303, 0x1301]);
    assert_eq!(tls13.server_preference, Some(true));
}

#[tokio::test]
async fn dhe_1024_is_measured() {
    let dir = tempfile::tempdir().unwrap();
    let dh = dhparam(dir.path(), 1024);
    let server = rsa_server(
        &dir,
        &[
            "-no_tls1_3",
            "-cipher",
            "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA:@SECLEVEL=0",
            "-dhparam",
            dh.to_str().unwrap(),
        ],
    );
    let obs = observe(&server.target()).await;
    assert_eq!(
        id_set(suites(&obs, Tls12)),
        BTreeSet::from([0x009E, 0x0039])
    );
    assert_eq!(obs.features.dhe_min_bits, Some(1024));
    assert!(obs.features.groups.is_empty());
}

#[tokio::test]
async fn groups_are_enumerated_at_tls13_and_from_tls12_key_exchanges() {
    let dir = tempfile::tempdir().unwrap();
    let tls13 = rsa_server(&dir, &["-groups", "X25519:P-256"]);
    let obs = observe(&tls13.target()).await;
    assert_eq!(group_names(&obs), BTreeSet::from(["x25519", "secp256r1"]));
    let x25519 = obs
        .features
        .groups
        .iter()
        .find(|g| g.name == "x25519")
        .unwrap();
    assert_eq!(x25519.bits, 255);

    let tls12 = rsa_server(&dir, &["-no_tls1_3", "-groups", "P-384:P-521"]);
    let obs = observe(&tls12.target()).await;
    assert_eq!(versions(&obs, true), [Tls12]);
    assert_eq!(
        group_names(&obs),
        BTreeSet::from(["secp384r1", "secp521r1"])
    );
    // One version only: a fallback has nowhere to go.
    assert_eq!(obs.features.fallback_scsv, None);
}

#[tokio::test]
async fn ocsp_stapling_is_seen_at_tls12_and_tls13() {
    let dir = tempfile::tempdir().unwrap();
    // The smallest valid OCSPResponse: status tryLater, no body. s_server
    // staples whatever response it is given.
    let response = dir.path().join("ocsp.der");
    std::fs::write(&response, [0x30, 0x03, 0x0A, 0x01, 0x03]).unwrap();
    let server = rsa_server(&dir, &["-status_file", response.to_str().unwrap()]);
    let obs = observe(&server.target()).await;
    assert_eq!(obs.features.ocsp_stapling, Some(true));

    let only13 = rsa_server(
        &dir,
        &["-tls1_3", "-status_file", response.to_str().unwrap()],
    );
    let obs = observe(&only13.target()).await;
    assert_eq!(versions(&obs, true), [Tls13]);
    assert_eq!(
        obs.features.ocsp_stapling,
        Some(true),
        "seen through rustls"
    );
    assert_eq!(
        obs.features.secure_renegotiation, None,
        "no TLS ≤ 1.2 to ask"
    );
}

#[tokio::test]
async fn ssl3_rc4_and_3des_from_tlslite() {
    let dir = tempfile::tempdir().unwrap();
    let rsa = RsaPair::new(dir.path());
    let server = TlsliteServer::start(&rsa.cert, &rsa.key);
    let obs = observe(&server.target()).await;
    assert_eq!(
        versions(&obs, true),
        [Ssl3, Tls10, Tls11, Tls12],
        "{:#?}",
        obs.attempts
    );
    let expected = BTreeSet::from([0x002F, 0x000A, 0x0005, 0x0004]);
    for v in [Ssl3, Tls10, Tls11] {
        assert_eq!(id_set(suites(&obs, v)), expected, "{v}");
    }
    let ssl3 = suites(&obs, Ssl3);
    assert!(ssl3.accepted.iter().any(|c| c.is(SuiteClass::Rc4)));
    assert!(ssl3.accepted.iter().any(|c| c.is(SuiteClass::TripleDes)));
    assert!(suites(&obs, Tls12).accepted.iter().any(|c| c.id == 0x003C));
    assert_eq!(obs.features.fallback_scsv, Some(true));
}

#[tokio::test]
async fn an_ssl2_only_server_is_found_with_its_cipher_kinds_and_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let rsa = RsaPair::new(dir.path());
    let server = Hostile::start(Misbehaviour::Ssl2Only {
        certificate: rsa.der(),
    });
    let obs = observe(&server.target()).await;
    assert_eq!(versions(&obs, true), [Ssl2], "{:#?}", obs.attempts);
    let vs = suites(&obs, Ssl2);
    let names: Vec<&str> = vs.accepted.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "SSL_CK_RC4_128_WITH_MD5",
            "SSL_CK_DES_192_EDE3_CBC_WITH_MD5"
        ]
    );
    assert!(vs.accepted[0].is(SuiteClass::Rc4) && vs.accepted[1].is(SuiteClass::TripleDes));
    // The chain is the certificate of the SERVER-HELLO.
    let chain = obs.chain.as_ref().expect("chain from the SSL 2.0 hello");
    assert_eq!(chain.certificates[0].public_key.bits, 2048);
    let findings = probe(&server.target())
        .run(&ctx(Duration::from_secs(5)))
        .await;
    let tls001 = findings.iter().find(|f| f.rule_id == "TLS-001").unwrap();
    assert_eq!(tls001.status, Status::Fail, "{}", tls001.summary);
}

/// Every finding of a probe that met `server` is an error, within the
/// timeout plus a second, and the reason names what happened.
async fn errors_within_timeout(target: &str, reason: &str) {
    let timeout = Duration::from_secs(2);
    let probe = probe(target);
    let ctx = ctx(timeout);
    let started = Instant::now();
    let obs = probe.observe(&ctx).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < timeout + Duration::from_secs(1),
        "took {elapsed:?}"
    );
    let why = obs
        .unreachable_reason()
        .unwrap_or_else(|| panic!("not unreachable: {:#?}", obs.attempts));
    assert!(why.contains(reason), "{why}");
    assert_eq!(obs.attempts.len(), 6);
    assert!(obs.cipher_suites.is_empty() && obs.chain.is_none());
    let findings = probe.run(&ctx).await;
    assert!(!findings.is_empty());
    for f in &findings {
        assert!(
            matches!(f.status, Status::Error | Status::NotApplicable),
            "{}: {} {}",
            f.rule_id,
            f.status,
            f.summary
        );
    }
    assert!(findings.iter().any(|f| f.status == Status::Error));
}

#[tokio::test]
async fn silent_server_is_an_error_within_the_timeout() {
    let listener = Listener::silent();
    errors_within_timeout(&listener.target(), "sent nothing").await;
}

#[tokio::test]
async fn garbage_is_an_error_at_once() {
    let listener = Listener::garbage();
    errors_within_timeout(&listener.target(), "not TLS").await;
}

#[tokio::test]
async fn closing_mid_handshake_is_an_error() {
    let server = Hostile::start(Misbehaviour::ClosesMidHandshake);
    errors_within_timeout(&server.target(), "in the middle of its handshake").await;
}

#[tokio::test]
async fn one_byte_per_second_is_an_error_within_the_timeout() {
    let server = Hostile::start(Misbehaviour::OneBytePerSecond);
    errors_within_timeout(&server.target(), "timed out after 2s having received").await;
}

#[tokio::test]
async fn an_endless_certificate_chain_is_cut_off_by_the_read_budget() {
    let server = Hostile::start(Misbehaviour::EndlessChain);
    errors_within_timeout(&server.target(), "more than 262144 bytes").await;
}
