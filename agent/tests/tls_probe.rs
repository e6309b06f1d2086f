//! The TLS probe against real servers on 127.0.0.1: `openssl s_server` with
//! certificates made in the test, and listeners that misbehave.

#[path = "support/pki.rs"]
mod pki;
#[path = "support/servers.rs"]
mod servers;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pki::Pki;
use servers::{free_port, Listener, OpensslServer};
use trustwatch_agent::net::Resolver;
use trustwatch_agent::pem;
use trustwatch_agent::probe::tls::{Anchors, TlsProbeConfig};
use trustwatch_agent::probe::{Limits, Probe, ProbeContext};
use trustwatch_agent::target::Target;
use trustwatch_rules::observe::{AttemptOutcome, TlsVersion, TrustVerdict};
use trustwatch_rules::{Catalogue, Finding, Status};

fn ctx(timeout: Duration) -> ProbeContext {
    ProbeContext {
        catalogue: Arc::new(Catalogue::embedded().expect("embedded baseline")),
        now: time::OffsetDateTime::now_utc(),
        limits: Limits::with_timeout(timeout),
        resolver: Resolver::system(),
    }
}

fn probe(target: &str, ca: Option<&Pki>) -> trustwatch_agent::probe::tls::TlsProbe {
    let anchors = Anchors {
        private: ca
            .map(|p| pem::anchors(&p.ca_cert).unwrap())
            .unwrap_or_default(),
    };
    TlsProbeConfig {
        target: Target::parse(target).unwrap(),
        sni: None,
        anchors,
        starttls: None,
        http: None,
    }
    .build()
}

fn by_rule(findings: &[Finding]) -> HashMap<&str, &Finding> {
    findings.iter().map(|f| (f.rule_id.as_str(), f)).collect()
}

fn assert_status(findings: &[Finding], rule: &str, status: Status) {
    let all = by_rule(findings);
    let f = all
        .get(rule)
        .unwrap_or_else(|| panic!("no {rule} finding in {findings:#?}"));
    assert_eq!(
        f.status, status,
        "{rule}: {} — evidence {:?}",
        f.summary, f.evidence
    );
}

const ALL_RULES: &[&str] = trustwatch_rules::evaluate::TLS_PROBE_RULES;

/// OpenSSL's default TLS 1.2 list still offers CBC suites, which TLS-007
/// (low, best practice) flags; every other rule passes on a good server.
const DEFAULT_OPENSSL_FAILS: &[&str] = &["TLS-007"];

#[tokio::test]
async fn good_server_with_its_ca_passes_every_rule() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    let server = OpensslServer::start(&leaf.cert, &leaf.key, &pki.ca_cert, &[]);
    let probe = probe(&server.target(), Some(&pki));
    let ctx = ctx(Duration::from_secs(10));

    let obs = probe.observe(&ctx).await;
    match obs.attempt(TlsVersion::Tls13) {
        Some(AttemptOutcome::Accepted { cipher_suite }) => {
            assert!(cipher_suite.starts_with("TLS13_"), "{cipher_suite}")
        }
        other => panic!("TLS 1.3: {other:?}"),
    }
    match obs.attempt(TlsVersion::Tls12) {
        Some(AttemptOutcome::Accepted { cipher_suite }) => {
            assert!(cipher_suite.starts_with("TLS_ECDHE_"), "{cipher_suite}")
        }
        other => panic!("TLS 1.2: {other:?}"),
    }
    assert_eq!(obs.sni, None, "no SNI for an IP address");
    let chain = obs.chain.as_ref().expect("chain");
    assert_eq!(chain.trust, TrustVerdict::Trusted { public: false });
    assert_eq!(chain.checked_name, "127.0.0.1");
    assert!(chain.name_matches);

    let findings = probe.run(&ctx).await;
    assert_eq!(findings.len(), ALL_RULES.len());
    for rule in ALL_RULES {
        let expected = if DEFAULT_OPENSSL_FAILS.contains(rule) {
            Status::Fail
        } else {
            Status::Pass
        };
        assert_status(&findings, rule, expected);
    }
}

#[tokio::test]
async fn a_dns_name_is_resolved_and_sent_as_sni() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    let server = OpensslServer::start(&leaf.cert, &leaf.key, &pki.ca_cert, &[]);
    let probe = probe(&format!("localhost:{}", server.port), Some(&pki));
    let obs = probe.observe(&ctx(Duration::from_secs(10))).await;
    assert_eq!(obs.sni.as_deref(), Some("localhost"));
    let chain = obs.chain.expect("chain");
    assert_eq!(chain.checked_name, "localhost");
    assert!(chain.name_matches);
}

#[tokio::test]
async fn without_the_private_ca_the_chain_is_untrusted() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    let server = OpensslServer::start(&leaf.cert, &leaf.key, &pki.ca_cert, &[]);
    let findings = probe(&server.target(), None)
        .run(&ctx(Duration::from_secs(10)))
        .await;
    assert_status(&findings, "CERT-003", Status::Fail);
    assert!(by_rule(&findings)["CERT-003"]
        .summary
        .contains("unknown issuer"));
    assert_status(&findings, "CERT-001", Status::Pass);
}

#[tokio::test]
async fn expired_certificate_fails_cert_001_but_the_chain_is_still_judged() {
    let pki = Pki::new();
    let leaf = pki.expired_leaf();
    let server = OpensslServer::start(&leaf.cert, &leaf.key, &pki.ca_cert, &[]);
    let findings = probe(&server.target(), Some(&pki))
        .run(&ctx(Duration::from_secs(10)))
        .await;
    assert_status(&findings, "CERT-001", Status::Fail);
    assert_status(&findings, "CERT-003", Status::Pass);
    assert_status(&findings, "TLS-003", Status::Pass);
}

#[tokio::test]
async fn tls12_only_server_fails_tls_004_and_passes_tls_003() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    let server = OpensslServer::start(&leaf.cert, &leaf.key, &pki.ca_cert, &["-no_tls1_3"]);
    let probe = probe(&server.target(), Some(&pki));
    let ctx = ctx(Duration::from_secs(10));
    let obs = probe.observe(&ctx).await;
    assert!(
        matches!(
            obs.attempt(TlsVersion::Tls13),
            Some(AttemptOutcome::Rejected { .. })
        ),
        "{:?}",
        obs.attempts
    );
    assert!(obs.chain.is_some(), "the TLS 1.2 chain is reported");
    let findings = probe.run(&ctx).await;
    assert_status(&findings, "TLS-004", Status::Fail);
    assert_status(&findings, "TLS-003", Status::Pass);
    assert_status(&findings, "CERT-003", Status::Pass);
}

#[tokio::test]
async fn self_signed_leaf_fails_cert_003() {
    let pki = Pki::new();
    let leaf = pki.self_signed_leaf();
    let server = OpensslServer::start(&leaf.cert, &leaf.key, &pki.ca_cert, &[]);
    let findings = probe(&server.target(), Some(&pki))
        .run(&ctx(Duration::from_secs(10)))
        .await;
    assert_status(&findings, "CERT-003", Status::Fail);
    assert_status(&findings, "CERT-001", Status::Pass);
}

#[tokio::test]
async fn server_requiring_a_client_certificate_still_shows_tls12() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    let server = OpensslServer::start(
        &leaf.cert,
        &leaf.key,
        &pki.ca_cert,
        &["-Verify", "1", "-no_tls1_3"],
    );
    let obs = probe(&server.target(), Some(&pki))
        .observe(&ctx(Duration::from_secs(10)))
        .await;
    match obs.attempt(TlsVersion::Tls12) {
        Some(AttemptOutcome::Accepted { cipher_suite }) => {
            assert!(cipher_suite.starts_with("TLS_ECDHE_"), "{cipher_suite}");
            assert!(
                cipher_suite.ends_with("(client certificate required)"),
                "{cipher_suite}"
            );
        }
        other => panic!("TLS 1.2 with client auth: {other:?}"),
    }
    assert_eq!(
        obs.chain.expect("chain").trust,
        TrustVerdict::Trusted { public: false }
    );
}

#[tokio::test]
async fn closed_port_is_an_error_within_the_timeout() {
    let timeout = Duration::from_secs(3);
    let started = Instant::now();
    let findings = probe(&format!("127.0.0.1:{}", free_port()), None)
        .run(&ctx(timeout))
        .await;
    assert!(
        started.elapsed() < timeout + Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(findings.len(), ALL_RULES.len());
    for f in &findings {
        assert_eq!(f.status, Status::Error, "{}: {}", f.rule_id, f.summary);
        let reason = f
            .evidence
            .get("error")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        assert!(reason.contains("connection refused"), "{reason}");
    }
}

#[tokio::test]
async fn silent_listener_is_an_error_within_the_timeout() {
    let listener = Listener::silent();
    let timeout = Duration::from_secs(2);
    let started = Instant::now();
    let findings = probe(&listener.target(), None).run(&ctx(timeout)).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= timeout, "gave up early: {elapsed:?}");
    assert!(
        elapsed < timeout + Duration::from_secs(1),
        "took {elapsed:?}"
    );
    for f in &findings {
        assert_eq!(f.status, Status::Error, "{}: {}", f.rule_id, f.summary);
        assert!(f.summary.contains("sent nothing"), "{}", f.summary);
    }
}

#[tokio::test]
async fn garbage_is_an_error_not_a_panic() {
    let listener = Listener::garbage();
    let timeout = Duration::from_secs(3);
    let started = Instant::now();
    let findings = probe(&listener.target(), None).run(&ctx(timeout)).await;
    assert!(started.elapsed() < 2 * timeout + Duration::from_secs(1));
    assert_eq!(findings.len(), ALL_RULES.len());
    for f in &findings {
        assert!(
            matches!(f.status, Status::Error | Status::NotApplicable)
                || (f.rule_id.starts_with("TLS") && f.status == Status::Fail),
            "{}: {} {}",
            f.rule_id,
            f.status,
            f.summary
        );
    }
    assert_status(&findings, "TLS-003", Status::Error);
}
