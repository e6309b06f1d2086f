//! A collector on loopback ports chosen by the kernel, and clients for it.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use trustwatch_collector::metrics::Metrics;
use trustwatch_collector::store::{Actor, Role};
use trustwatch_collector::{Collector, Config, Store};

/// Every network step of a test finishes within this, or the test fails.
pub const BOUND: Duration = Duration::from_secs(10);

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub struct Harness {
    pub tmp: tempfile::TempDir,
    pub ingest: SocketAddr,
    pub http: SocketAddr,
    pub store: Store,
    pub metrics: Metrics,
    pub ca_pem: String,
    stop: watch::Sender<bool>,
    task: JoinHandle<trustwatch_collector::Result<()>>,
}

impl Harness {
    /// A collector with `max_report_bytes` and short connection deadlines.
    pub async fn start(max_report_bytes: u64) -> Harness {
        Harness::start_with(max_report_bytes, |_| {}).await
    }

    /// As [`Harness::start`], with `adjust` applied to the parsed config.
    pub async fn start_with(max_report_bytes: u64, adjust: impl FnOnce(&mut Config)) -> Harness {
        let tmp = tempfile::tempdir().unwrap();
        let text = format!(
            "data_dir = \"data\"\n\
             [ingest]\nlisten = \"127.0.0.1:0\"\nmax_report_bytes = {max_report_bytes}\n\
             [http]\nlisten = \"127.0.0.1:0\"\n"
        );
        let mut config = Config::parse(&text, &tmp.path().join("collector.toml")).unwrap();
        config.ingest.limits.handshake_timeout = Duration::from_secs(1);
        config.ingest.limits.header_read_timeout = Duration::from_secs(1);
        config.ingest.limits.body_read_timeout = Duration::from_secs(2);
        adjust(&mut config);
        let collector = Collector::start(config).await.unwrap();
        let (stop, mut stop_rx) = watch::channel(false);
        let harness_parts = (
            collector.ingest_addr(),
            collector.http_addr(),
            collector.store().clone(),
            collector.metrics().clone(),
            collector.ca().cert_pem().to_owned(),
        );
        let task = tokio::spawn(collector.run(async move {
            trustwatch_collector::shutdown::stopped(&mut stop_rx).await;
        }));
        let (ingest, http, store, metrics, ca_pem) = harness_parts;
        Harness {
            tmp,
            ingest,
            http,
            store,
            metrics,
            ca_pem,
            stop,
            task,
        }
    }

    /// Issues an agent certificate from the collector's CA and returns a
    /// client configuration presenting it.
    pub fn agent_client(&self, name: &str, site: &str) -> Arc<ClientConfig> {
        let (ca, _) =
            trustwatch_collector::ca::Ca::load_or_create(&self.tmp.path().join("data")).unwrap();
        let dir = self.tmp.path().join(format!("agent-{name}"));
        let bundle = ca.issue_agent(name, site, 30, &dir).unwrap();
        client_with_cert(&self.ca_pem, &bundle.cert, &bundle.key)
    }

    /// A client that trusts the collector but presents no certificate.
    pub fn anonymous_client(
        &self,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> Arc<ClientConfig> {
        Arc::new(
            ClientConfig::builder_with_provider(trustwatch_collector::tls::provider())
                .with_protocol_versions(versions)
                .unwrap()
                .with_root_certificates(roots(&self.ca_pem))
                .with_no_client_auth(),
        )
    }

    /// An API token with `role`, made through the store as the CLI does.
    pub async fn token(&self, role: Role) -> String {
        self.store
            .create_api_token(
                &format!("test-{}", role.as_str()),
                role,
                None,
                &Actor::system("test"),
            )
            .await
            .unwrap()
            .text
    }

    /// The SQLite file, for tests that must age or break rows directly.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.tmp.path().join("data").join("trustwatch.db")).unwrap()
    }

    /// Stops the collector; must finish within the bound.
    pub async fn stop(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(BOUND, self.task)
            .await
            .expect("collector stops in time")
            .unwrap()
            .unwrap();
    }
}

pub fn roots(ca_pem: &str) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    roots
}

pub fn client_with_cert(ca_pem: &str, cert: &Path, key: &Path) -> Arc<ClientConfig> {
    let read = |p: &Path| std::fs::read_to_string(p).unwrap();
    client_from_pem(ca_pem, &read(cert), &read(key))
}

/// A client presenting the certificate chain and key given as PEM text.
pub fn client_from_pem(ca_pem: &str, cert_pem: &str, key_pem: &str) -> Arc<ClientConfig> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
    Arc::new(
        ClientConfig::builder_with_provider(trustwatch_collector::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots(ca_pem))
            .with_client_auth_cert(chain, key)
            .unwrap(),
    )
}

/// Connects over TLS to `addr` with SNI "localhost".
pub async fn tls_connect(
    addr: SocketAddr,
    client: Arc<ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, BoxError> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost")?;
    Ok(TlsConnector::from(client).connect(name, tcp).await?)
}

/// POSTs `body` to the ingest API; Err when TLS or HTTP fails.
pub async fn post_report(
    addr: SocketAddr,
    client: Arc<ClientConfig>,
    body: Vec<u8>,
) -> Result<(StatusCode, Value), BoxError> {
    let (status, _, reply) = post_report_with_headers(addr, client, body).await?;
    Ok((status, reply))
}

/// As [`post_report`], with the response headers.
pub async fn post_report_with_headers(
    addr: SocketAddr,
    client: Arc<ClientConfig>,
    body: Vec<u8>,
) -> Result<(StatusCode, hyper::HeaderMap, Value), BoxError> {
    tokio::time::timeout(BOUND, async {
        let tls = tls_connect(addr, client).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
        tokio::spawn(conn);
        let request = Request::post("/api/v1/reports")
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((status, headers, serde_json::from_slice(&bytes)?))
    })
    .await
    .map_err(|_| -> BoxError { "timed out".into() })?
}

/// One request to the plain HTTP listener, with a bearer token when given.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost");
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or("").to_owned())))
        .unwrap();
    let (status, text) = plain(addr, request).await;
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{method} {path}: {status}: {e}: {text}"));
    (status, value)
}

/// Sends one request on a new connection to the plain HTTP listener and
/// reads the whole answer as text, within [`BOUND`].
async fn plain(addr: SocketAddr, request: Request<Full<Bytes>>) -> (StatusCode, String) {
    let (status, _, text) = exchange(addr, request).await;
    (status, text)
}

/// As [`plain`], with the response headers.
pub async fn exchange(
    addr: SocketAddr,
    request: Request<Full<Bytes>>,
) -> (StatusCode, hyper::HeaderMap, String) {
    tokio::time::timeout(BOUND, async {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .unwrap();
        tokio::spawn(conn);
        let response = sender.send_request(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    })
    .await
    .expect("HTTP request within the bound")
}

/// GET with a token; panics unless the answer is 200 JSON.
pub async fn get_ok(addr: SocketAddr, path: &str, token: &str) -> Value {
    let (status, body) = http(addr, "GET", path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

/// GET over mutual TLS from the ingest listener (e.g. the agent's policy).
pub async fn tls_get(
    addr: SocketAddr,
    client: Arc<ClientConfig>,
    path: &str,
) -> Result<(StatusCode, Value), BoxError> {
    tokio::time::timeout(BOUND, async {
        let tls = tls_connect(addr, client).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
        tokio::spawn(conn);
        let request = Request::get(path)
            .header("host", "localhost")
            .body(Full::new(Bytes::new()))?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((status, serde_json::from_slice(&bytes)?))
    })
    .await
    .map_err(|_| -> BoxError { "timed out".into() })?
}

/// Uploads `report` over mutual TLS as agent `name` at `site`, with the
/// identity fields the daemon sets; panics unless it is accepted.
pub async fn seed(
    h: &Harness,
    client: Arc<ClientConfig>,
    name: &str,
    sequence: u64,
    mut report: Value,
) {
    stamp(&mut report, name, sequence);
    let (status, reply) = post_report(h.ingest, client, serde_json::to_vec(&report).unwrap())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{name}: {reply}");
}

/// GETs `path` from the plain HTTP listener.
pub async fn http_get(addr: SocketAddr, path: &str) -> (StatusCode, String) {
    let request = Request::get(path)
        .header("host", "localhost")
        .body(Full::new(Bytes::new()))
        .unwrap();
    plain(addr, request).await
}

/// [`sample_report`] stamped as the agent daemon stamps it: `agent`, a
/// `report_id` derived from the agent and sequence (distinct for every
/// pair, like the daemon's random ones), and `sequence`.
pub fn report_for(agent: &str, sequence: u64) -> Value {
    let mut body = sample_report();
    stamp(&mut body, agent, sequence);
    body
}

/// Sets `agent`, `report_id` and `sequence` on a report body.
pub fn stamp(body: &mut Value, agent: &str, sequence: u64) {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{agent}/{sequence}").as_bytes());
    let id = hex::encode(&digest[..16]);
    body["agent"] = agent.into();
    body["report_id"] = id.into();
    body["sequence"] = sequence.into();
}

/// A report with failing and passing findings over two targets, in the
/// shape the agent sends, without the daemon's stamps.
pub fn sample_report() -> Value {
    let finding = |rule: &str,
                   target: &str,
                   severity: &str,
                   status: &str,
                   controls: &[&str],
                   evidence: Value| {
        json!({
            "rule_id": rule,
            "title": format!("title of {rule}"),
            "severity": severity,
            "status": status,
            "target": target,
            "summary": format!("{rule} {status}"),
            "evidence": evidence,
            "controls": controls,
            "remediation": "fix it",
        })
    };
    json!({
        "schema_version": trustwatch_rules::SCHEMA_VERSION,
        "scanned_at": "2026-03-01T12:00:00Z",
        "baseline": { "id": "trustwatch-nhs-baseline", "version": "2026.11.0" },
        "tool": { "name": "trustwatch-agent", "version": "0.1.0" },
        "vantage": "scanner-host",
        "findings": [
            finding("CERT-001", "10.0.0.5:443", "critical", "fail", &["CAF:B3.b", "CAF:B4.c"],
                json!({ "not_after": "2026-02-01T00:00:00Z" })),
            finding("CERT-001", "10.0.0.6:443", "critical", "pass", &["CAF:B3.b", "CAF:B4.c"],
                json!({ "not_after": "2027-02-01T00:00:00Z" })),
            finding("TLS-002", "10.0.0.5:443", "high", "fail", &["CAF:B3.b", "CAF:B4.b", "NCSC-TLS"], json!({})),
            finding("TLS-002", "10.0.0.6:443", "high", "fail", &["CAF:B3.b", "CAF:B4.b", "NCSC-TLS"], json!({})),
            finding("TLS-001", "10.0.0.5:443", "critical", "pass", &["CAF:B3.b", "CAF:B4.b", "NCSC-TLS"], json!({})),
            finding("TLS-004", "10.0.0.5:443", "low", "fail", &["NCSC-TLS", "BP"], json!({})),
            finding("TLS-003", "10.0.0.7:443", "high", "error", &["CAF:B3.b"], json!({ "reason": "refused" })),
        ],
    })
}
