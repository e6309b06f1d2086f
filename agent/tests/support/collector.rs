//! A stand-in collector for upload tests: HTTPS on 127.0.0.1 that requires
//! a client certificate from the test CA, answers 202 to
//! `POST /api/v1/reports` (or what a test scripts: refusals, 429) and
//! serves a scripted central policy, and records what it received. A test
//! seam for answers the real collector gives rarely or (until its side of
//! issue 7 lands) not yet; the real collector is tested end to end
//! elsewhere.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::Path;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// One request as the collector saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// The DER of the client certificate of the connection.
    pub client_cert: Option<Vec<u8>>,
}

/// Answers `POST /api/v1/renew` from the request's `csr`.
#[derive(Clone)]
pub struct RenewFn(pub Arc<dyn Fn(&str) -> Answer + Send + Sync>);

impl std::fmt::Debug for RenewFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RenewFn")
    }
}

/// An answer to give: status, `Retry-After`, body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: String,
}

/// What the stand-in answers beyond its defaults.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// `GET /api/v1/policy` answers 200 with this, else 404 `no_policy`.
    pub policy: Option<String>,
    /// Answers to report POSTs, in order; 202 once they run out.
    pub reports: VecDeque<Answer>,
    /// Answers renewals; 404 when absent.
    pub renew: Option<RenewFn>,
}

#[derive(Debug)]
pub struct FakeCollector {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl FakeCollector {
    /// Serves with `cert`/`key`, trusting client certificates from `ca`.
    pub async fn start(cert: &Path, key: &Path, ca: &Path) -> FakeCollector {
        Self::scripted(cert, key, ca, Script::default()).await
    }

    /// Like [`FakeCollector::start`], answering as `script` says.
    pub async fn scripted(cert: &Path, key: &Path, ca: &Path, script: Script) -> FakeCollector {
        let script = Arc::new(Mutex::new(script));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(ca).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .unwrap();
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, PrivateKeyDer::from_pem_file(key).unwrap())
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    break;
                };
                let acceptor = acceptor.clone();
                let log = log.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    // Handshakes without a valid client certificate end here.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let client_cert = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .map(|c| c.as_ref().to_vec());
                    let service = hyper::service::service_fn(move |req| {
                        handle(req, log.clone(), script.clone(), client_cert.clone())
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        FakeCollector {
            port,
            received,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for FakeCollector {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    req: Request<Incoming>,
    log: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Script>>,
    client_cert: Option<Vec<u8>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let content_type = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match Limited::new(req.into_body(), 16 * 1024 * 1024)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let findings = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["findings"].as_array().map(Vec::len))
        .unwrap_or(0);
    let report = method == "POST" && path == "/api/v1/reports";
    let policy = method == "GET" && path == "/api/v1/policy";
    let renew = method == "POST" && path == "/api/v1/renew";
    let csr = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["csr"].as_str().map(str::to_owned));
    let n = {
        let mut log = log.lock().unwrap();
        log.push(Received {
            method,
            path,
            content_type,
            body,
            client_cert,
        });
        log.len()
    };
    let answer = {
        let mut script = script.lock().unwrap();
        if report {
            script.reports.pop_front().unwrap_or(Answer {
                status: 202,
                retry_after: None,
                body: format!(r#"{{"report_id": {n}, "findings": {findings}}}"#),
            })
        } else if let (true, Some(f), Some(csr)) = (renew, script.renew.clone(), csr) {
            (f.0)(&csr)
        } else if let (true, Some(p)) = (policy, script.policy.clone()) {
            Answer {
                status: 200,
                retry_after: None,
                body: p,
            }
        } else if policy {
            Answer {
                status: 404,
                retry_after: None,
                body: r#"{"error": "no policy", "reason": "no_policy"}"#.to_owned(),
            }
        } else {
            Answer {
                status: 404,
                retry_after: None,
                body: r#"{"error": "not found"}"#.to_owned(),
            }
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap();
    if let Some(secs) = answer.retry_after {
        response.headers_mut().insert(
            hyper::header::RETRY_AFTER,
            secs.to_string().parse().unwrap(),
        );
    }
    Ok(response)
}
