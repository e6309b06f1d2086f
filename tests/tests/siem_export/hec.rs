//! A small HEC-compatible HTTPS receiver on 127.0.0.1: Splunk itself
//! cannot be installed here (proprietary, not packaged for Debian, and
//! downloaded only with an account), so the test stands in for `/services/collector/event`
//! as Splunk documents it: `Authorization: Splunk <token>`, a body of
//! concatenated event objects, `{"text":"Success","code":0}` on success.
//! It records every envelope, and can be told to answer 503 to the next
//! N requests to exercise the collector's retry.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

pub const TOKEN: &str = "5c9a8f0e-7d1b-4b6e-9f3a-2e8d1c0b7a64";

#[derive(Debug, Default)]
pub struct Seen {
    /// Every envelope accepted, in arrival order.
    pub envelopes: Vec<Value>,
    /// Requests answered 503 on purpose.
    pub unavailable: u64,
    /// Requests without the right `Authorization: Splunk` header.
    pub unauthorised: u64,
    /// Requests to any other path, or bodies that are not JSON objects.
    pub malformed: u64,
    /// The next this many requests get 503.
    pub fail_next: u64,
}

#[derive(Debug)]
pub struct Receiver {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Seen>>,
    _runtime: tokio::runtime::Runtime,
}

impl Receiver {
    /// Serves HTTPS with `cert`/`key` (PEM files) on 127.0.0.1.
    pub fn start(cert: &Path, key: &Path) -> Receiver {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .expect("server certificate")
            .collect::<Result<_, _>>()
            .expect("server certificate PEM");
        let key = PrivateKeyDer::from_pem_file(key).expect("server key");
        let tls =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .expect("server certificate and key");
        let acceptor = TlsAcceptor::from(Arc::new(tls));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind the HEC receiver");
        let addr = listener.local_addr().expect("local addr");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let state = seen.clone();
        runtime.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let state = state.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(move |req| handle(req, state.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Receiver {
            addr,
            seen,
            _runtime: runtime,
        }
    }

    pub fn envelopes(&self) -> Vec<Value> {
        self.seen.lock().expect("lock").envelopes.clone()
    }

    pub fn fail_next(&self, n: u64) {
        self.seen.lock().expect("lock").fail_next = n;
    }
}

fn answer(status: StatusCode, text: &str, code: u32) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "text": text, "code": code }).to_string();
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("response")
}

async fn handle(
    req: Request<Incoming>,
    seen: Arc<Mutex<Seen>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let authorised = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some(format!("Splunk {TOKEN}").as_str());
    let path_ok =
        req.method() == hyper::Method::POST && req.uri().path() == "/services/collector/event";
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(answer(StatusCode::BAD_REQUEST, "No data", 5)),
    };
    let mut seen = seen.lock().expect("lock");
    if !path_ok {
        seen.malformed += 1;
        return Ok(answer(StatusCode::NOT_FOUND, "Not Found", 404));
    }
    if !authorised {
        seen.unauthorised += 1;
        return Ok(answer(StatusCode::UNAUTHORIZED, "Invalid authorization", 3));
    }
    if seen.fail_next > 0 {
        seen.fail_next -= 1;
        seen.unavailable += 1;
        return Ok(answer(StatusCode::SERVICE_UNAVAILABLE, "Server is busy", 9));
    }
    let mut batch = Vec::new();
    for doc in serde_json::Deserializer::from_slice(&body).into_iter::<Value>() {
        match doc {
            Ok(v) if v.get("event").is_some_and(Value::is_object) => batch.push(v),
            _ => {
                seen.malformed += 1;
                return Ok(answer(StatusCode::BAD_REQUEST, "Invalid data format", 6));
            }
        }
    }
    seen.envelopes.extend(batch);
    Ok(answer(StatusCode::OK, "Success", 0))
}
