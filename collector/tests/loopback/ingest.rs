//! The ingest listener over real mutual TLS.

use std::time::Duration;

use hyper::StatusCode;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trustwatch_collector::metrics::RejectReason;
use trustwatch_collector::store::FindingFilter;

use crate::support::{post_report, report_for, sample_report, tls_connect, Harness, BOUND};

#[tokio::test]
async fn a_report_from_a_ca_issued_agent_is_stored_under_the_certificate_identity() {
    let h = Harness::start(1 << 20).await;
    let client = h.agent_client("ward-scanner", "north");
    let mut body = report_for("ward-scanner", 1);
    // The site comes from the certificate; a claim in the body is ignored.
    body["site"] = "elsewhere".into();
    let (status, reply) = post_report(h.ingest, client, serde_json::to_vec(&body).unwrap())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    assert_eq!(reply["findings"], 7);
    assert_eq!(reply["duplicate"], false);
    assert!(reply["report_id"].as_i64().unwrap() >= 1);

    let rows = h.store.findings(FindingFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 7);
    assert!(rows
        .iter()
        .all(|r| r.agent == "ward-scanner" && r.site == "north"));
    let agents = h.store.agents().await.unwrap();
    assert_eq!(agents.len(), 1);
    assert_eq!(
        (agents[0].name.as_str(), agents[0].site.as_str()),
        ("ward-scanner", "north")
    );
    assert_eq!(agents[0].cert_fingerprint.len(), 64);
    assert_eq!(h.metrics.reports_ingested.get(), 1);
    assert_eq!(h.metrics.findings_ingested.get(), 7);
    assert_eq!(h.metrics.ingest_duration.get_sample_count(), 1);
    h.stop().await;
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused_before_any_report_is_read() {
    let h = Harness::start(1 << 20).await;
    // The handshake succeeds (enrolment needs no certificate); the upload
    // is refused with 401 (see loopback/enrol.rs for the counters).
    for versions in [
        &[&rustls::version::TLS13][..],
        &[&rustls::version::TLS12][..],
    ] {
        let client = h.anonymous_client(versions);
        let (status, reply) = post_report(
            h.ingest,
            client,
            serde_json::to_vec(&report_for("ward-scanner", 1)).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{reply}");
        assert_eq!(reply["reason"], "no_client_certificate");
    }
    assert!(h.store.agents().await.unwrap().is_empty());
    assert_eq!(h.metrics.reports_ingested.get(), 0);
    h.stop().await;
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let h = Harness::start(1 << 20).await;
    // A CA the collector has never seen, issuing a perfectly formed agent
    // certificate with a plausible name.
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::default();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Trustwatch collector CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "ward-scanner");
    params
        .distinguished_name
        .push(DnType::OrganizationalUnitName, "north");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &issuer).unwrap();
    let dir = h.tmp.path().join("rogue");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("agent.crt"),
        format!("{}{}", cert.pem(), ca_cert.pem()),
    )
    .unwrap();
    std::fs::write(dir.join("agent.key"), key.serialize_pem()).unwrap();
    let client =
        crate::support::client_with_cert(&h.ca_pem, &dir.join("agent.crt"), &dir.join("agent.key"));

    let result = post_report(
        h.ingest,
        client,
        serde_json::to_vec(&report_for("ward-scanner", 1)).unwrap(),
    )
    .await;
    assert!(result.is_err(), "refused: {result:?}");
    assert!(h.store.agents().await.unwrap().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn oversized_malformed_and_wrong_version_reports_are_refused_and_counted() {
    let h = Harness::start(4096).await;
    let client = h.agent_client("a1", "north");

    let mut big = report_for("a1", 1);
    big["vantage"] = "x".repeat(5000).into();
    let (status, reply) = post_report(h.ingest, client.clone(), serde_json::to_vec(&big).unwrap())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        reply["error"].as_str().unwrap().contains("4096 bytes"),
        "{reply}"
    );
    assert_eq!(reply["reason"], "too_large");

    let (status, reply) = post_report(
        h.ingest,
        client.clone(),
        b"{\"schema_version\": 1, ".to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(reply["error"].is_string(), "{reply}");
    assert_eq!(reply["reason"], "malformed");

    // A report without the daemon's stamps (as `scan` prints it).
    let (status, reply) = post_report(
        h.ingest,
        client.clone(),
        serde_json::to_vec(&sample_report()).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reply["reason"], "malformed");
    assert!(
        reply["error"].as_str().unwrap().contains("`agent`"),
        "{reply}"
    );
    let mut bad_id = report_for("a1", 1);
    bad_id["report_id"] = "not-hex".into();
    let (status, reply) = post_report(
        h.ingest,
        client.clone(),
        serde_json::to_vec(&bad_id).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reply["reason"], "malformed");

    let mut missing = report_for("a1", 1);
    missing.as_object_mut().unwrap().remove("findings");
    let (status, reply) = post_report(
        h.ingest,
        client.clone(),
        serde_json::to_vec(&missing).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        reply["error"].as_str().unwrap().contains("findings"),
        "{reply}"
    );

    let mut future = report_for("a1", 1);
    future["schema_version"] = 99.into();
    future["new_field"] = "x".into();
    let (status, reply) = post_report(
        h.ingest,
        client.clone(),
        serde_json::to_vec(&future).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("schema_version 99"),
        "{reply}"
    );

    assert_eq!(reply["reason"], "schema_version");

    assert_eq!(h.metrics.rejected(RejectReason::TooLarge), 1);
    assert_eq!(h.metrics.rejected(RejectReason::Malformed), 4);
    assert_eq!(h.metrics.rejected(RejectReason::SchemaVersion), 1);
    assert_eq!(h.metrics.rejected(RejectReason::Storage), 0);
    assert!(h
        .store
        .findings(FindingFilter::default())
        .await
        .unwrap()
        .is_empty());

    // The connection limits did not leave the listener stuck: a good report
    // still goes through.
    let (status, _) = post_report(
        h.ingest,
        client,
        serde_json::to_vec(&report_for("a1", 1)).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::ACCEPTED);
    h.stop().await;
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_cut_off_with_413() {
    let h = Harness::start(4096).await;
    let mut tls = tls_connect(h.ingest, h.agent_client("a1", "north"))
        .await
        .unwrap();
    let chunk = "x".repeat(3000);
    let request = format!(
        "POST /api/v1/reports HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
         transfer-encoding: chunked\r\n\r\n{len:x}\r\n{chunk}\r\n{len:x}\r\n{chunk}\r\n0\r\n\r\n",
        len = chunk.len()
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(BOUND, tls.read_to_end(&mut response))
        .await
        .expect("answer in time");
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert_eq!(h.metrics.rejected(RejectReason::TooLarge), 1);
    h.stop().await;
}

#[tokio::test]
async fn silent_clients_are_disconnected_by_the_deadlines() {
    let h = Harness::start(4096).await;
    // No TLS ClientHello at all: dropped after the handshake deadline.
    let mut tcp = tokio::net::TcpStream::connect(h.ingest).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(BOUND, tcp.read(&mut buf))
        .await
        .expect("closed in time");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");

    // A verified agent that never sends its request headers.
    let mut tls = tls_connect(h.ingest, h.agent_client("a1", "north"))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(BOUND, tls.read_to_end(&mut rest))
        .await
        .expect("closed in time");
    assert!(started.elapsed() < Duration::from_secs(5));
    h.stop().await;
}

#[tokio::test]
async fn shutdown_completes_with_an_idle_agent_connected() {
    let h = Harness::start(4096).await;
    let tls = tls_connect(h.ingest, h.agent_client("a1", "north"))
        .await
        .unwrap();
    // Stop while the connection is open and idle: bounded by Harness::stop.
    h.stop().await;
    drop(tls);
}
