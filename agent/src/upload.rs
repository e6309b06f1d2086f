//! Delivering a report to the collector: HTTP/1.1 POST over mutual TLS,
//! trusting only the collector's own CA, bounded by a timeout.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HOST, USER_AGENT};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde::Deserialize;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use trustwatch_rules::Report;

use crate::error::{Error, Result};
use crate::net::{self, Resolver};
use crate::target::Host;

/// The collector's reply is a small JSON receipt; more is not read.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// The collector's path for reports, below the configured URL.
pub const REPORTS_PATH: &str = "/api/v1/reports";

/// What the collector answers when it accepts a report.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Receipt {
    pub report_id: i64,
    pub findings: u64,
}

/// Where and how to reach the collector.
#[derive(Debug, Clone)]
pub struct Collector {
    /// `{url}/api/v1/reports`, for messages.
    reports_url: String,
    host: Host,
    port: u16,
    authority: String,
    path: String,
    tls: Arc<ClientConfig>,
}

impl Collector {
    /// Validates the URL and the agent's identity; opens nothing.
    pub fn new(
        url: &str,
        ca: Vec<CertificateDer<'static>>,
        cert: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Collector> {
        let bad_url = |problem: &str| Error::Invalid {
            what: "url",
            problem: format!("{url:?} {problem}"),
        };
        let uri: Uri = url.parse().map_err(|_| bad_url("is not a URL"))?;
        if uri.scheme_str() != Some("https") {
            return Err(bad_url(
                "must start with https:// (reports describe the estate's weaknesses)",
            ));
        }
        let authority = uri.authority().ok_or_else(|| bad_url("has no host"))?;
        if authority.as_str().contains('@') || uri.query().is_some() {
            return Err(bad_url("must not carry user information or a query"));
        }
        let host_text = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let host = Host::parse(host_text)
            .ok_or_else(|| bad_url("has a host that is neither an IP address nor a DNS name"))?;
        let port = authority.port_u16().unwrap_or(443);
        let path = format!("{}{REPORTS_PATH}", uri.path().trim_end_matches('/'));

        let mut roots = RootCertStore::empty();
        for (i, der) in ca.into_iter().enumerate() {
            roots.add(der).map_err(|e| Error::Invalid {
                what: "ca",
                problem: format!("certificate {} is not a usable CA certificate ({e})", i + 1),
            })?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                b.with_root_certificates(roots)
                    .with_client_auth_cert(cert, key)
            })
            .map_err(|e| Error::Invalid {
                what: "key",
                problem: format!("cannot be used with the certificate in collector.cert ({e})"),
            })?;
        Ok(Collector {
            reports_url: format!("https://{}{path}", authority.as_str()),
            host,
            port,
            authority: authority.as_str().to_owned(),
            path,
            tls: Arc::new(tls),
        })
    }

    pub fn reports_url(&self) -> &str {
        &self.reports_url
    }

    /// POSTs `report`; the whole exchange is bounded by `timeout`.
    pub async fn upload(
        &self,
        report: &Report,
        resolver: &Resolver,
        timeout: Duration,
    ) -> Result<Receipt> {
        let body = serde_json::to_vec(report)?;
        match tokio::time::timeout(timeout, self.post(body, resolver, Instant::now() + timeout))
            .await
        {
            Ok(result) => result,
            Err(_) => Err(self.error(format!("no answer within {}s", timeout.as_secs()))),
        }
    }

    fn error(&self, problem: impl Into<String>) -> Error {
        Error::Upload {
            url: self.reports_url.clone(),
            problem: problem.into(),
        }
    }

    async fn post(&self, body: Vec<u8>, resolver: &Resolver, deadline: Instant) -> Result<Receipt> {
        let addrs = resolver
            .resolve(&self.host, deadline)
            .await
            .map_err(|u| self.error(u.reason))?;
        let tcp = net::connect(&addrs, self.port, deadline)
            .await
            .map_err(|u| self.error(u.reason))?;
        let name: ServerName<'static> = self.host.server_name();
        let tls = TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| self.error(format!("TLS handshake failed: {e}")))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| self.error(format!("HTTP setup failed: {e}")))?;
        // The connection task ends when the exchange does (or with the
        // timeout that bounds this whole function).
        let driver = tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "collector connection ended with an error");
            }
        });
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.path.as_str())
            .header(HOST, self.authority.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(
                USER_AGENT,
                concat!("trustwatch-agent/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| self.error(format!("request could not be built: {e}")))?;
        let result = self.exchange(&mut sender, request).await;
        driver.abort();
        result
    }

    async fn exchange(
        &self,
        sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
        request: Request<Full<Bytes>>,
    ) -> Result<Receipt> {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| self.error(format!("request failed: {e}")))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| self.error(format!("reading the answer failed: {e}")))?
            .to_bytes();
        if status != StatusCode::ACCEPTED && !status.is_success() {
            let text = String::from_utf8_lossy(&body);
            let text: String = text.chars().take(200).collect();
            return Err(self.error(format!("the collector answered {status}: {}", text.trim())));
        }
        serde_json::from_slice(&body).map_err(|e| {
            self.error(format!(
                "the collector answered {status} without a valid receipt ({e})"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> (
        Vec<CertificateDer<'static>>,
        Vec<CertificateDer<'static>>,
        PrivateKeyDer<'static>,
    ) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let cert = rcgen::CertificateParams::new(vec!["agent".to_owned()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        let key = PrivateKeyDer::Pkcs8(key.serialize_der().into());
        (vec![ca.der().clone()], vec![cert.der().clone()], key)
    }

    fn problem(url: &str) -> String {
        let (ca, cert, key) = identity();
        match Collector::new(url, ca, cert, key) {
            Err(Error::Invalid {
                what: "url",
                problem,
            }) => problem,
            other => panic!("expected a url error for {url}, got {other:?}"),
        }
    }

    #[test]
    fn builds_the_reports_url() {
        let (ca, cert, key) = identity();
        let c = Collector::new("https://127.0.0.1:8443/", ca, cert, key).unwrap();
        assert_eq!(c.reports_url(), "https://127.0.0.1:8443/api/v1/reports");
        assert_eq!(c.port, 443 + 8000);
        let (ca, cert, key) = identity();
        let c = Collector::new("https://[::1]/base", ca, cert, key).unwrap();
        assert_eq!(c.path, "/base/api/v1/reports");
        assert_eq!(c.host, Host::parse("::1").unwrap());
        assert_eq!(c.port, 443);
    }

    #[test]
    fn refuses_anything_but_https() {
        assert!(problem("http://127.0.0.1:8443").contains("https://"));
        assert!(problem("not a url").contains("is not a URL"));
        assert!(problem("https://user@host.example").contains("user information"));
    }

    #[test]
    fn refuses_a_key_that_does_not_match_the_certificate() {
        let (ca, cert, _) = identity();
        let (_, _, other_key) = identity();
        match Collector::new("https://127.0.0.1:8443", ca, cert, other_key) {
            Err(Error::Invalid {
                what: "key",
                problem,
            }) => assert!(problem.contains("collector.cert"), "{problem}"),
            other => panic!("{other:?}"),
        }
    }
}
