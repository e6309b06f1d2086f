//! Enrolment, renewal, revocation and certificate-level refusals over real
//! TLS to a real collector: every refusal is checked for its HTTP status,
//! its `reason`, and its counter.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose, Issuer, KeyPair, PKCS_ECDSA_P384_SHA384,
};
use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use trustwatch_collector::ca::{fingerprint, Ca};
use trustwatch_collector::enrol::{self, EnrolToken, TokenSpec};
use trustwatch_collector::metrics::{AuthRefusal, CertRequestRejection, IssuedVia};
use trustwatch_collector::store::{Actor, Change};
use trustwatch_collector::Config;
use x509_parser::prelude::parse_x509_certificate;

use crate::support::{http_get, sample_report, tls_connect, BoxError, Harness, BOUND};

const ENROL: &str = "/api/v1/enrol";
const RENEW: &str = "/api/v1/renew";
const REPORTS: &str = "/api/v1/reports";

fn data_dir(h: &Harness) -> std::path::PathBuf {
    h.tmp.path().join("data")
}

/// Creates a token through the library `token create` uses, created at
/// `now` (in the past for an expired token).
async fn token(h: &Harness, site: &str, max_uses: i64, now: OffsetDateTime) -> EnrolToken {
    let (ca, _) = Ca::load_or_create(&data_dir(h)).unwrap();
    let config = Config::parse("data_dir = \"data\"\n", &h.tmp.path().join("c.toml")).unwrap();
    let spec = TokenSpec {
        site: site.into(),
        ttl: Duration::hours(1),
        max_uses,
        url: None,
    };
    let created = enrol::create_token(
        &h.store,
        &config,
        &fingerprint(ca.cert_der()),
        spec,
        &Actor::system("test"),
        now,
    )
    .await
    .unwrap();
    let token = EnrolToken::decode(&created.text).unwrap();
    assert_eq!(
        token.ca_sha256,
        trustwatch_collector::ca::fingerprint(ca.cert_der())
    );
    token
}

fn csr(key: &KeyPair) -> String {
    // Asks for a name and site it must not get.
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, "root");
    params
        .distinguished_name
        .push(DnType::OrganizationalUnitName, "elsewhere");
    params.serialize_request(key).unwrap().pem().unwrap()
}

fn enrol_body(t: &EnrolToken, name: &str, csr: &str) -> Value {
    json!({ "token_id": t.id, "secret": t.secret, "name": name, "csr": csr })
}

fn anonymous(h: &Harness) -> Arc<ClientConfig> {
    h.anonymous_client(&[&rustls::version::TLS13, &rustls::version::TLS12])
}

fn client_from_pem(ca_pem: &str, cert_pem: &str, key: &KeyPair) -> Arc<ClientConfig> {
    crate::support::client_from_pem(ca_pem, cert_pem, &key.serialize_pem())
}

/// Opens one HTTP/1.1 connection (kept alive for several requests).
async fn connect(
    addr: SocketAddr,
    client: Arc<ClientConfig>,
) -> Result<SendRequest<Full<Bytes>>, BoxError> {
    let tls = tokio::time::timeout(BOUND, tls_connect(addr, client))
        .await
        .map_err(|_| -> BoxError { "TLS connect timed out".into() })??;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    path: &str,
    body: Vec<u8>,
) -> Result<(StatusCode, Value), BoxError> {
    tokio::time::timeout(BOUND, async {
        sender.ready().await?;
        let request = Request::post(path)
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((status, serde_json::from_slice(&bytes)?))
    })
    .await
    .map_err(|_| -> BoxError { "request timed out".into() })?
}

/// POSTs JSON on a fresh connection.
async fn post(
    addr: SocketAddr,
    client: Arc<ClientConfig>,
    path: &str,
    body: &Value,
) -> Result<(StatusCode, Value), BoxError> {
    let mut sender = connect(addr, client).await?;
    send(&mut sender, path, serde_json::to_vec(body).unwrap()).await
}

/// A report in the shape the enrolled daemon sends.
fn report_from(name: &str, sequence: u64) -> Vec<u8> {
    let mut body = sample_report();
    body["agent"] = name.into();
    body["report_id"] = format!("{sequence:032x}").into();
    body["sequence"] = sequence.into();
    serde_json::to_vec(&body).unwrap()
}

fn assert_refused(reply: &(StatusCode, Value), status: StatusCode, reason: &str) {
    assert_eq!(reply.0, status, "{}", reply.1);
    assert_eq!(reply.1["reason"], reason, "{}", reply.1);
    assert!(
        reply.1["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{}",
        reply.1
    );
}

/// Enrols `name` with a fresh key; returns the key and the 201 reply.
async fn enrol_new(h: &Harness, t: &EnrolToken, name: &str) -> (KeyPair, Value) {
    let key = KeyPair::generate().unwrap();
    let (status, reply) = post(
        h.ingest,
        anonymous(h),
        ENROL,
        &enrol_body(t, name, &csr(&key)),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    (key, reply)
}

#[tokio::test]
async fn a_valid_token_enrols_and_the_certificate_works_for_reports() {
    let h = Harness::start(1 << 20).await;
    let t = token(&h, "north", 1, OffsetDateTime::now_utc()).await;
    let (key, reply) = enrol_new(&h, &t, "ward-1").await;
    assert_eq!(reply["agent"], "ward-1");
    assert_eq!(reply["site"], "north");
    assert_eq!(reply["ca"], h.ca_pem.as_str());

    let pem = reply["certificate"].as_str().unwrap();
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    let (_, cert) = parse_x509_certificate(&der).unwrap();
    let cn: Vec<_> = cert.subject().iter_common_name().collect();
    let ou: Vec<_> = cert.subject().iter_organizational_unit().collect();
    assert_eq!((cn.len(), cn[0].as_str().unwrap()), (1, "ward-1"));
    assert_eq!((ou.len(), ou[0].as_str().unwrap()), (1, "north"));
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth && !eku.any && eku.other.is_empty());
    assert!(!cert.is_ca());
    assert_eq!(
        cert.public_key().subject_public_key.data.as_ref(),
        key.public_key_raw()
    );
    let ca_der = CertificateDer::from_pem_slice(h.ca_pem.as_bytes()).unwrap();
    let (_, ca) = parse_x509_certificate(&ca_der).unwrap();
    cert.verify_signature(Some(ca.public_key())).unwrap();
    // `[enrol] cert_days` defaults to 7.
    let life = cert.validity().not_after.timestamp() - OffsetDateTime::now_utc().unix_timestamp();
    assert!((7 * 86_400 - 120..=7 * 86_400).contains(&life), "{life}");
    let not_after = OffsetDateTime::parse(
        reply["not_after"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(
        not_after.unix_timestamp(),
        cert.validity().not_after.timestamp()
    );

    let registry = h.store.registry().await.unwrap();
    assert_eq!(registry.len(), 1);
    let row = &registry[0];
    assert_eq!((row.name.as_str(), row.site.as_str()), ("ward-1", "north"));
    assert!(row.enrolled_at.is_some() && row.revoked_at.is_none());
    assert_eq!(row.cert_not_after, Some(not_after.unix_timestamp()));
    assert_eq!(h.metrics.enrol.issued(IssuedVia::Enrol), 1);

    // The issued certificate is a working agent identity.
    let agent = client_from_pem(&h.ca_pem, pem, &key);
    let (status, reply) = post(
        h.ingest,
        agent,
        REPORTS,
        &serde_json::from_slice::<Value>(&report_from("ward-1", 1)).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    let agents = h.store.agents().await.unwrap();
    assert_eq!(
        (agents[0].name.as_str(), agents[0].site.as_str()),
        ("ward-1", "north")
    );
    h.stop().await;
}

#[tokio::test]
async fn expired_used_up_wrong_unknown_and_revoked_tokens_are_refused_and_counted() {
    let h = Harness::start(1 << 20).await;
    let key = KeyPair::generate().unwrap();
    let csr = csr(&key);
    let enrol = |t: &EnrolToken, name: &str| {
        let body = enrol_body(t, name, &csr);
        let client = anonymous(&h);
        async move { post(h.ingest, client, ENROL, &body).await }
    };

    let expired = token(
        &h,
        "north",
        5,
        OffsetDateTime::now_utc() - Duration::hours(2),
    )
    .await;
    let reply = enrol(&expired, "a1").await.unwrap();
    assert_refused(&reply, StatusCode::UNAUTHORIZED, "token_expired");

    let twice = token(&h, "north", 2, OffsetDateTime::now_utc()).await;
    for name in ["a1", "a2"] {
        assert_eq!(enrol(&twice, name).await.unwrap().0, StatusCode::CREATED);
    }
    let reply = enrol(&twice, "a3").await.unwrap();
    assert_refused(&reply, StatusCode::UNAUTHORIZED, "token_used_up");

    let good = token(&h, "north", 5, OffsetDateTime::now_utc()).await;
    let mut wrong = good.clone();
    wrong.secret = format!("{}x", &good.secret[..good.secret.len() - 1]);
    let reply = enrol(&wrong, "a4").await.unwrap();
    assert_refused(&reply, StatusCode::UNAUTHORIZED, "token_invalid");
    let mut unknown = good.clone();
    unknown.id = "0000000000000000".into();
    let reply = enrol(&unknown, "a4").await.unwrap();
    assert_refused(&reply, StatusCode::UNAUTHORIZED, "token_invalid");
    enrol::revoke_token(&h.store, &good.id, &Actor::system("test"))
        .await
        .unwrap();
    let reply = enrol(&good, "a4").await.unwrap();
    assert_refused(&reply, StatusCode::UNAUTHORIZED, "token_invalid");

    assert_eq!(h.metrics.refused(AuthRefusal::TokenExpired), 1);
    assert_eq!(h.metrics.refused(AuthRefusal::TokenUsedUp), 1);
    assert_eq!(h.metrics.refused(AuthRefusal::TokenInvalid), 3);
    let (_, text) = http_get(h.http, "/metrics").await;
    for (reason, n) in [
        ("token_expired", 1),
        ("token_used_up", 1),
        ("token_invalid", 3),
    ] {
        let line = format!("trustwatch_collector_auth_refusals_total{{reason=\"{reason}\"}} {n}");
        assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
    }
    // Only the two good enrolments became agents; the used-up token shows 2/2.
    let names: Vec<_> = h
        .store
        .registry()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["a1", "a2"]);
    let tokens = h.store.tokens().await.unwrap();
    let used = tokens.iter().find(|t| t.id == twice.id).unwrap();
    assert_eq!((used.uses, used.max_uses), (2, 2));
    h.stop().await;
}

#[tokio::test]
async fn bad_csrs_taken_names_and_malformed_bodies_are_refused_without_using_the_token() {
    let h = Harness::start(1 << 20).await;
    let t = token(&h, "north", 1, OffsetDateTime::now_utc()).await;
    let p384 = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
    let p384_csr = CertificateParams::default()
        .serialize_request(&p384)
        .unwrap()
        .pem()
        .unwrap();
    for (csr, says) in [
        ("not a csr".to_owned(), "PEM"),
        (p384_csr, "P-256 and Ed25519"),
    ] {
        let reply = post(h.ingest, anonymous(&h), ENROL, &enrol_body(&t, "n1", &csr))
            .await
            .unwrap();
        assert_refused(&reply, StatusCode::BAD_REQUEST, "bad_csr");
        assert!(
            reply.1["error"].as_str().unwrap().contains(says),
            "{}",
            reply.1
        );
    }
    let mut extra = enrol_body(&t, "n1", "x");
    extra["admin"] = true.into();
    for body in [
        json!({"token_id": t.id}),
        extra,
        enrol_body(&t, "bad name", "x"),
    ] {
        let reply = post(h.ingest, anonymous(&h), ENROL, &body).await.unwrap();
        assert_refused(&reply, StatusCode::BAD_REQUEST, "malformed");
    }
    let huge = enrol_body(&t, "n1", &"A".repeat(70 * 1024));
    let reply = post(h.ingest, anonymous(&h), ENROL, &huge).await.unwrap();
    assert_refused(&reply, StatusCode::PAYLOAD_TOO_LARGE, "too_large");

    // A second token for a name already enrolled: 409, and that token
    // keeps its one use.
    let other = token(&h, "north", 1, OffsetDateTime::now_utc()).await;
    enrol_new(&h, &other, "n1").await;
    let key = KeyPair::generate().unwrap();
    let reply = post(
        h.ingest,
        anonymous(&h),
        ENROL,
        &enrol_body(&t, "n1", &csr(&key)),
    )
    .await
    .unwrap();
    assert_refused(&reply, StatusCode::CONFLICT, "name_taken");

    let e = &h.metrics.enrol;
    assert_eq!(e.rejected(CertRequestRejection::BadCsr), 2);
    assert_eq!(e.rejected(CertRequestRejection::Malformed), 3);
    assert_eq!(e.rejected(CertRequestRejection::TooLarge), 1);
    assert_eq!(e.rejected(CertRequestRejection::NameTaken), 1);
    for reason in AuthRefusal::ALL {
        assert_eq!(h.metrics.refused(reason), 0, "{reason:?}");
    }
    // None of the refusals consumed the first token's one use.
    enrol_new(&h, &t, "n2").await;
    h.stop().await;
}

#[tokio::test]
async fn requests_without_a_certificate_reach_only_enrolment() {
    let h = Harness::start(1 << 20).await;
    for path in [REPORTS, RENEW, "/api/v1/policy"] {
        let reply = post(h.ingest, anonymous(&h), path, &json!({}))
            .await
            .unwrap();
        assert_refused(&reply, StatusCode::UNAUTHORIZED, "no_client_certificate");
    }
    assert_eq!(h.metrics.refused(AuthRefusal::NoClientCertificate), 3);
    assert_eq!(h.metrics.reports_ingested.get(), 0);
    assert!(h.store.agents().await.unwrap().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn certificates_from_another_ca_or_expired_are_refused_at_the_handshake() {
    let h = Harness::start(1 << 20).await;
    // Another CA issuing a well-formed agent certificate.
    let rogue_key = KeyPair::generate().unwrap();
    let mut rogue = CertificateParams::default();
    rogue.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    rogue
        .distinguished_name
        .push(DnType::CommonName, "Trustwatch collector CA");
    let rogue = Issuer::new(rogue, rogue_key);
    // Our own CA, but a certificate that expired yesterday.
    let ca_key = std::fs::read_to_string(data_dir(&h).join("ca.key")).unwrap();
    let ours = Issuer::from_ca_cert_pem(&h.ca_pem, KeyPair::from_pem(&ca_key).unwrap()).unwrap();
    let now = OffsetDateTime::now_utc();
    let leaf = |issuer: &Issuer<'_, KeyPair>, not_after: OffsetDateTime| {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::default();
        p.distinguished_name.push(DnType::CommonName, "ward-1");
        p.distinguished_name
            .push(DnType::OrganizationalUnitName, "north");
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        p.not_before = now - Duration::days(10);
        p.not_after = not_after;
        let cert = p.signed_by(&key, issuer).unwrap();
        client_from_pem(&h.ca_pem, &cert.pem(), &key)
    };
    for client in [
        leaf(&rogue, now + Duration::days(5)),
        leaf(&ours, now - Duration::days(1)),
    ] {
        let result = post(
            h.ingest,
            client,
            REPORTS,
            &serde_json::from_slice::<Value>(&report_from("ward-1", 1)).unwrap(),
        )
        .await;
        assert!(result.is_err(), "no HTTP exchange: {result:?}");
    }
    // The refusal is counted by the server after its side of the handshake
    // fails, which may be a moment after the client gave up.
    let deadline = std::time::Instant::now() + BOUND;
    while h.metrics.refused(AuthRefusal::UnknownCa) + h.metrics.refused(AuthRefusal::BadCertificate)
        < 2
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(h.metrics.refused(AuthRefusal::UnknownCa), 1);
    assert_eq!(h.metrics.refused(AuthRefusal::BadCertificate), 1);
    let (_, text) = http_get(h.http, "/metrics").await;
    assert!(
        text.contains("trustwatch_collector_auth_refusals_total{reason=\"unknown_ca\"} 1"),
        "{text}"
    );
    assert!(h.store.agents().await.unwrap().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn renewal_issues_a_new_certificate_that_replaces_the_old() {
    let h = Harness::start(1 << 20).await;
    let t = token(&h, "south", 1, OffsetDateTime::now_utc()).await;
    let (key, reply) = enrol_new(&h, &t, "lab-2").await;
    let old_pem = reply["certificate"].as_str().unwrap().to_owned();
    let before = h.store.registry().await.unwrap().remove(0);

    let new_key = KeyPair::generate().unwrap();
    let (status, renewed) = post(
        h.ingest,
        client_from_pem(&h.ca_pem, &old_pem, &key),
        RENEW,
        &json!({ "csr": csr(&new_key) }),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_eq!(
        (renewed["agent"].as_str(), renewed["site"].as_str()),
        (Some("lab-2"), Some("south"))
    );
    assert_eq!(renewed["ca"], h.ca_pem.as_str());
    let new_pem = renewed["certificate"].as_str().unwrap();
    assert_ne!(new_pem, old_pem);
    let der = CertificateDer::from_pem_slice(new_pem.as_bytes()).unwrap();
    let (_, cert) = parse_x509_certificate(&der).unwrap();
    assert_eq!(
        cert.subject()
            .iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        "lab-2"
    );
    assert_eq!(
        cert.subject()
            .iter_organizational_unit()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        "south"
    );
    assert_eq!(
        cert.public_key().subject_public_key.data.as_ref(),
        new_key.public_key_raw()
    );

    let after = h.store.registry().await.unwrap().remove(0);
    assert_eq!(
        after.cert_not_after,
        Some(cert.validity().not_after.timestamp())
    );
    assert!(after.last_contact >= before.last_contact && after.last_contact.is_some());
    assert_eq!(after.enrolled_at, before.enrolled_at);
    assert_eq!(h.metrics.enrol.issued(IssuedVia::Renew), 1);

    // The new certificate works; a bad CSR at renewal is a 400.
    let client = client_from_pem(&h.ca_pem, new_pem, &new_key);
    let reply = post(h.ingest, client.clone(), RENEW, &json!({ "csr": "junk" }))
        .await
        .unwrap();
    assert_refused(&reply, StatusCode::BAD_REQUEST, "bad_csr");
    let (status, _) = post(
        h.ingest,
        client,
        REPORTS,
        &serde_json::from_slice::<Value>(&report_from("lab-2", 1)).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::ACCEPTED);

    // A certificate issued by hand (`agent-cert`) renews too.
    let hand = h.agent_client("by-hand", "east");
    let (status, reply) = post(h.ingest, hand, RENEW, &json!({ "csr": csr(&new_key) }))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(
        (reply["agent"].as_str(), reply["site"].as_str()),
        (Some("by-hand"), Some("east"))
    );
    h.stop().await;
}

#[tokio::test]
async fn a_revoked_agent_is_refused_from_its_next_request_on_an_open_connection() {
    let h = Harness::start(1 << 20).await;
    let t = token(&h, "north", 1, OffsetDateTime::now_utc()).await;
    let (key, reply) = enrol_new(&h, &t, "ward-9").await;
    let client = client_from_pem(&h.ca_pem, reply["certificate"].as_str().unwrap(), &key);
    let renew_body = serde_json::to_vec(&json!({ "csr": csr(&key) })).unwrap();

    // One kept-alive connection: a renewal before and after the revocation.
    let mut conn = connect(h.ingest, client.clone()).await.unwrap();
    let (status, _) = send(&mut conn, RENEW, renew_body.clone()).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let outcome = enrol::revoke_agent(
        &h.store,
        "ward-9",
        Some("laptop stolen"),
        &Actor::system("test"),
    )
    .await
    .unwrap();
    assert!(matches!(outcome, Change::Done(_)), "{outcome:?}");
    let reply = send(&mut conn, RENEW, renew_body.clone()).await.unwrap();
    assert_refused(&reply, StatusCode::FORBIDDEN, "revoked");
    // ...and on a new connection, for any route but enrolment and reports
    // (whose check is inside the ingest transaction).
    let reply = post(h.ingest, client, "/api/v1/policy", &json!({}))
        .await
        .unwrap();
    assert_refused(&reply, StatusCode::FORBIDDEN, "revoked");
    assert_eq!(h.metrics.refused(AuthRefusal::Revoked), 2);
    assert_eq!(h.metrics.enrol.issued(IssuedVia::Renew), 1);

    let row = h.store.registry().await.unwrap().remove(0);
    assert_eq!(row.revoked_reason.as_deref(), Some("laptop stolen"));
    // A revoked name stays taken, even for a valid token.
    let again = token(&h, "north", 1, OffsetDateTime::now_utc()).await;
    let key = KeyPair::generate().unwrap();
    let reply = post(
        h.ingest,
        anonymous(&h),
        ENROL,
        &enrol_body(&again, "ward-9", &csr(&key)),
    )
    .await
    .unwrap();
    assert_refused(&reply, StatusCode::CONFLICT, "name_taken");
    h.stop().await;
}
