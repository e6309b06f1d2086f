//! Enrolment on the shared store: the registry rules on both backends (one
//! conformance function), and two real collectors sharing one real
//! PostgreSQL racing to enrol with a single-use token.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{CertificateParams, KeyPair};
use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;
use trustwatch_collector::ca::{fingerprint, Ca, IssuedCert};
use trustwatch_collector::enrol::{self, EnrolToken, TokenSpec};
use trustwatch_collector::metrics::{AuthRefusal, IssuedVia, Metrics};
use trustwatch_collector::store::{
    Actor, Change, EnrolOutcome, EnrolRefusal, EnrolRequest, NewToken, RenewOutcome, Renewal,
    Signer,
};
use trustwatch_collector::{Collector, Config, Store};
use trustwatch_e2e::postgres::PgServer;

const BOUND: Duration = Duration::from_secs(20);

fn actor() -> Actor {
    Actor::system("test")
}

fn new_token(id: &str, site: &str, max_uses: i64, expires_at: i64) -> NewToken {
    NewToken {
        id: id.into(),
        secret_sha256: hex_sha256(&format!("secret-{id}")),
        site: site.into(),
        created_at: 0,
        expires_at,
        max_uses,
    }
}

fn hex_sha256(secret: &str) -> String {
    enrol::secret_sha256(secret)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn request(token: &str, secret: &str, name: &str, now: i64) -> EnrolRequest {
    EnrolRequest {
        token_id: token.into(),
        secret_sha256: enrol::secret_sha256(secret),
        name: name.into(),
        now,
    }
}

/// A signer that records the site it was asked for and issues a stand-in
/// certificate expiring at `not_after` (in the past to model an agent
/// whose certificate lapsed).
fn signer(expect_site: &'static str, not_after: i64) -> Signer {
    Box::new(move |site| {
        assert_eq!(
            site, expect_site,
            "the token's site is signed into the certificate"
        );
        Ok(IssuedCert {
            pem: "stand-in".into(),
            fingerprint: format!("fp-{not_after}"),
            not_after: OffsetDateTime::from_unix_timestamp(not_after).unwrap(),
        })
    })
}

/// The registry rules, identical on every backend.
async fn registry_conformance(store: &Store) {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let later = now + 7 * 86_400;
    store
        .create_token(new_token("t1", "north", 2, now + 3600), &actor())
        .await
        .unwrap();
    store
        .create_token(new_token("old", "north", 2, now - 1), &actor())
        .await
        .unwrap();
    let enrol = |token: &str, secret: &str, name: &str, site: &'static str, not_after: i64| {
        store.enrol(request(token, secret, name, now), signer(site, not_after))
    };
    let refused = |r: EnrolRefusal| EnrolOutcome::Refused(r);

    assert_eq!(
        enrol("t1", "wrong", "a1", "north", later).await.unwrap(),
        refused(EnrolRefusal::TokenInvalid)
    );
    assert_eq!(
        enrol("nope", "secret-t1", "a1", "north", later)
            .await
            .unwrap(),
        refused(EnrolRefusal::TokenInvalid)
    );
    assert_eq!(
        enrol("old", "secret-old", "a1", "north", later)
            .await
            .unwrap(),
        refused(EnrolRefusal::TokenExpired)
    );
    let first = enrol("t1", "secret-t1", "a1", "north", later)
        .await
        .unwrap();
    assert!(
        matches!(&first, EnrolOutcome::Enrolled { site, .. } if site == "north"),
        "{first:?}"
    );
    // A taken name does not consume the use: the transaction rolls back.
    assert_eq!(
        enrol("t1", "secret-t1", "a1", "north", later)
            .await
            .unwrap(),
        refused(EnrolRefusal::NameTaken)
    );
    assert_eq!(
        store
            .tokens()
            .await
            .unwrap()
            .iter()
            .find(|t| t.id == "t1")
            .unwrap()
            .uses,
        1
    );
    assert!(matches!(
        enrol("t1", "secret-t1", "a2", "north", later)
            .await
            .unwrap(),
        EnrolOutcome::Enrolled { .. }
    ));
    assert_eq!(
        enrol("t1", "secret-t1", "a3", "north", later)
            .await
            .unwrap(),
        refused(EnrolRefusal::TokenUsedUp)
    );

    // Re-enrolment: an agent whose certificate lapsed may enrol again under
    // its name with a token for the same site, never for another site.
    store
        .create_token(new_token("t2", "north", 5, now + 3600), &actor())
        .await
        .unwrap();
    store
        .create_token(new_token("t3", "south", 5, now + 3600), &actor())
        .await
        .unwrap();
    assert!(matches!(
        enrol("t2", "secret-t2", "lapsed", "north", now - 10)
            .await
            .unwrap(),
        EnrolOutcome::Enrolled { .. }
    ));
    assert_eq!(
        enrol("t3", "secret-t3", "lapsed", "south", later)
            .await
            .unwrap(),
        refused(EnrolRefusal::NameTaken)
    );
    assert!(matches!(
        enrol("t2", "secret-t2", "lapsed", "north", later)
            .await
            .unwrap(),
        EnrolOutcome::Enrolled { .. }
    ));
    // ...but not while its certificate is valid.
    assert_eq!(
        enrol("t2", "secret-t2", "lapsed", "north", later)
            .await
            .unwrap(),
        refused(EnrolRefusal::NameTaken)
    );

    // Token revocation.
    let Change::Done(t2_at) = store.revoke_token("t2", &actor()).await.unwrap() else {
        panic!("t2 was not revoked");
    };
    assert!((now..now + 60).contains(&t2_at.unix_timestamp()));
    assert_eq!(
        store.revoke_token("t2", &actor()).await.unwrap(),
        Change::Already(t2_at)
    );
    assert_eq!(
        store.revoke_token("zz", &actor()).await.unwrap(),
        Change::NotFound
    );
    assert_eq!(
        enrol("t2", "secret-t2", "a9", "north", later)
            .await
            .unwrap(),
        refused(EnrolRefusal::TokenInvalid)
    );

    // Renewal, revocation, and the per-request check.
    let renewal = |name: &str, fp: &str| Renewal {
        name: name.into(),
        site: "north".into(),
        fingerprint: fp.into(),
        not_after: later + 1,
        now: now + 1,
    };
    assert_eq!(
        store.renew(renewal("a2", "fp-new")).await.unwrap(),
        RenewOutcome::Renewed
    );
    assert_eq!(store.revoked_at("a1").await.unwrap(), None);
    let Change::Done(a1_at) = store
        .revoke_agent("a1", Some("stolen"), &actor())
        .await
        .unwrap()
    else {
        panic!("a1 was not revoked");
    };
    let a1_at = a1_at.unix_timestamp();
    assert_eq!(store.revoked_at("a1").await.unwrap(), Some(a1_at));
    assert_eq!(store.revoked_at("never-seen").await.unwrap(), None);
    assert_eq!(
        store.revoke_agent("a1", None, &actor()).await.unwrap(),
        Change::Already(OffsetDateTime::from_unix_timestamp(a1_at).unwrap())
    );
    assert_eq!(
        store.revoke_agent("ghost", None, &actor()).await.unwrap(),
        Change::NotFound
    );
    assert_eq!(
        store.renew(renewal("a1", "fp-x")).await.unwrap(),
        RenewOutcome::Revoked
    );
    // A revoked name stays taken, even once its certificate has lapsed.
    store
        .create_token(new_token("t4", "north", 5, now + 3600), &actor())
        .await
        .unwrap();
    assert_eq!(
        enrol("t4", "secret-t4", "a1", "north", later)
            .await
            .unwrap(),
        refused(EnrolRefusal::NameTaken)
    );
    // A hand-issued certificate (no row yet) may renew, which registers it.
    assert_eq!(
        store.renew(renewal("by-hand", "fp-h")).await.unwrap(),
        RenewOutcome::Renewed
    );

    let registry = store.registry().await.unwrap();
    let names: Vec<_> = registry.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["a1", "a2", "by-hand", "lapsed"]);
    let a1 = &registry[0];
    assert_eq!(
        (a1.revoked_at, a1.revoked_reason.as_deref()),
        (Some(a1_at), Some("stolen"))
    );
    let a2 = &registry[1];
    assert_eq!(
        (a2.cert_not_after, a2.last_contact),
        (Some(later + 1), Some(now + 1))
    );
    assert_eq!(a2.enrolled_at, Some(now));
    assert_eq!(registry[2].enrolled_at, None);
    let t1 = store.tokens().await.unwrap();
    assert_eq!(t1.iter().find(|t| t.id == "t1").unwrap().uses, 2);
}

#[tokio::test]
async fn the_registry_rules_hold_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    registry_conformance(&Store::open_in(tmp.path()).unwrap()).await;
}

fn pg_config(dir: &Path, url: &str) -> Config {
    let text = format!(
        "data_dir = \"data\"\n[ingest]\nlisten = \"127.0.0.1:0\"\n[http]\nlisten = \"127.0.0.1:0\"\n\
         [store]\nbackend = \"postgres\"\nurl = \"{url}\"\npool_size = 8\n"
    );
    std::fs::write(dir.join("collector.toml"), &text).unwrap();
    Config::parse(&text, &dir.join("collector.toml")).unwrap()
}

struct Running {
    ingest: SocketAddr,
    metrics: Metrics,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<trustwatch_collector::Result<()>>,
}

async fn start(config: Config) -> Running {
    let collector = Collector::start(config).await.unwrap();
    let (stop, mut rx) = watch::channel(false);
    let (ingest, metrics) = (collector.ingest_addr(), collector.metrics().clone());
    let task = tokio::spawn(collector.run(async move {
        trustwatch_collector::shutdown::stopped(&mut rx).await;
    }));
    Running {
        ingest,
        metrics,
        stop,
        task,
    }
}

fn roots(ca_pem: &str) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    roots
}

fn tls_client(ca_pem: &str, identity: Option<(&str, &KeyPair)>) -> Arc<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(trustwatch_collector::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(ca_pem));
    Arc::new(match identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).unwrap(),
            )
            .unwrap(),
    })
}

/// One POST over a fresh TLS connection (`Connection: close`).
async fn post(
    addr: SocketAddr,
    client: Arc<ClientConfig>,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    tokio::time::timeout(BOUND, async {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let mut tls = tokio_rustls::TlsConnector::from(client)
            .connect(name, tcp)
            .await
            .unwrap();
        let body = serde_json::to_vec(body).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        tls.write_all(head.as_bytes()).await.unwrap();
        tls.write_all(&body).await.unwrap();
        let mut raw = Vec::new();
        // The server may close without close_notify after its answer.
        let _ = tls.read_to_end(&mut raw).await;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, serde_json::from_str(body).unwrap())
    })
    .await
    .expect("answered within the bound")
}

fn csr(key: &KeyPair) -> String {
    CertificateParams::default()
        .serialize_request(key)
        .unwrap()
        .pem()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_collectors_on_one_postgres_share_tokens_and_revocations() {
    let pg = PgServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = pg_config(dir.path(), &pg.create_database("conformance"));
    registry_conformance(
        &Store::connect(&config.store, &config.data_dir)
            .await
            .unwrap(),
    )
    .await;
    // The SQL that enforces the rules ran; the events it wrote are there.
    assert_eq!(
        pg.psql(
            "conformance",
            "SELECT count(*) FROM admin_events WHERE action = 'agent.enrol'"
        ),
        "4"
    );

    // Two collectors sharing the database AND the CA files, as a load
    // balanced deployment must.
    let url = pg.create_database("shared");
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ca, _) = Ca::load_or_create(&d1.path().join("data")).unwrap();
    std::fs::create_dir_all(d2.path().join("data")).unwrap();
    for f in ["ca.crt", "ca.key"] {
        std::fs::copy(
            d1.path().join("data").join(f),
            d2.path().join("data").join(f),
        )
        .unwrap();
    }
    let (c1, c2) = (pg_config(d1.path(), &url), pg_config(d2.path(), &url));
    let a = start(c1.clone()).await;
    let b = start(c2).await;
    let store = Store::connect(&c1.store, &c1.data_dir).await.unwrap();
    let ca_pem = ca.cert_pem().to_owned();

    // Rounds of eight simultaneous enrolments (four per collector), each
    // round with its own single-use token: exactly one may win.
    const ROUNDS: usize = 3;
    let mut winners = Vec::new();
    for round in 0..ROUNDS {
        let spec = TokenSpec {
            site: "north".into(),
            ttl: time::Duration::hours(1),
            max_uses: 1,
            url: None,
        };
        let created = enrol::create_token(
            &store,
            &c1,
            &fingerprint(ca.cert_der()),
            spec,
            &actor(),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        let token = EnrolToken::decode(&created.text).unwrap();
        assert_eq!(token.ca_sha256, fingerprint(ca.cert_der()));
        let barrier = Arc::new(tokio::sync::Barrier::new(8));
        let mut tasks = Vec::new();
        for i in 0..8 {
            let addr = if i % 2 == 0 { a.ingest } else { b.ingest };
            let (token, barrier, ca_pem) = (token.clone(), barrier.clone(), ca_pem.clone());
            tasks.push(tokio::spawn(async move {
                let key = KeyPair::generate().unwrap();
                let body = json!({ "token_id": token.id, "secret": token.secret,
                                   "name": format!("r{round}-agent-{i}"), "csr": csr(&key) });
                barrier.wait().await;
                let (status, reply) =
                    post(addr, tls_client(&ca_pem, None), "/api/v1/enrol", &body).await;
                (status, reply, key)
            }));
        }
        let mut issued = Vec::new();
        for t in tasks {
            let (status, reply, key) = t.await.unwrap();
            match status {
                201 => issued.push((reply, key)),
                401 => assert_eq!(reply["reason"], "token_used_up", "{reply}"),
                other => panic!("unexpected {other}: {reply}"),
            }
        }
        assert_eq!(issued.len(), 1, "round {round}: exactly one certificate");
        winners.push(issued.pop().unwrap());
        assert_eq!(
            pg.psql(
                "shared",
                &format!("SELECT uses FROM enrol_tokens WHERE id = '{}'", token.id)
            ),
            "1"
        );
    }
    assert_eq!(
        pg.psql("shared", "SELECT count(*) FROM agents"),
        ROUNDS.to_string()
    );
    assert_eq!(
        pg.psql(
            "shared",
            "SELECT count(*) FROM admin_events WHERE action = 'agent.enrol'"
        ),
        ROUNDS.to_string()
    );
    let issued =
        a.metrics.enrol.issued(IssuedVia::Enrol) + b.metrics.enrol.issued(IssuedVia::Enrol);
    assert_eq!(issued, ROUNDS as u64);
    let used_up =
        a.metrics.refused(AuthRefusal::TokenUsedUp) + b.metrics.refused(AuthRefusal::TokenUsedUp);
    assert_eq!(used_up, 7 * ROUNDS as u64);

    // The winner renews through either collector; revoked by the real CLI
    // (an operator's shell on the same database), it is refused by both
    // from its next request.
    let (reply, key) = &winners[0];
    let name = reply["agent"].as_str().unwrap().to_owned();
    let client = tls_client(&ca_pem, Some((reply["certificate"].as_str().unwrap(), key)));
    let renew = json!({ "csr": csr(key) });
    for addr in [a.ingest, b.ingest] {
        let (status, reply) = post(addr, client.clone(), "/api/v1/renew", &renew).await;
        assert_eq!(status, 200, "{reply}");
    }
    let out = std::process::Command::new(trustwatch_e2e::binary("trustwatch-collector"))
        .args(["agent", "revoke", &name, "--reason", "test", "--config"])
        .arg(d2.path().join("collector.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for addr in [a.ingest, b.ingest] {
        let (status, reply) = post(addr, client.clone(), "/api/v1/renew", &renew).await;
        assert_eq!(
            (status, reply["reason"].as_str()),
            (403, Some("revoked")),
            "{reply}"
        );
    }
    assert_eq!(
        a.metrics.refused(AuthRefusal::Revoked) + b.metrics.refused(AuthRefusal::Revoked),
        2
    );

    for c in [a, b] {
        c.stop.send(true).unwrap();
        tokio::time::timeout(BOUND, c.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}
