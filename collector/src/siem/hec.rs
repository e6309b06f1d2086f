//! A Splunk HTTP Event Collector client: one POST of a batch of events to
//! `{url}/services/collector/event` over TLS (rustls with ring, as
//! everywhere in the workspace), bounded by a timeout.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, USER_AGENT};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio_rustls::TlsConnector;

use crate::config::HecConfig;
use crate::error::{Error, Result};

/// HEC answers are short JSON (`{"text":"Success","code":0}`).
const MAX_ANSWER_BYTES: usize = 16 * 1024;

/// What one POST came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: the HEC has the batch.
    Accepted,
    /// Worth trying again later: no answer, a timeout, 5xx, 429, and any
    /// other refusal that is about the endpoint rather than the events
    /// (401/403 token, 404 path: fixed by the operator, not by dropping
    /// findings).
    Retry(String),
    /// The HEC refused the batch itself (400 malformed, 413 too large):
    /// sending it again would be refused again.
    Refused(String),
}

/// A ready client: the TLS settings are built once.
#[derive(Clone)]
pub struct Hec {
    config: HecConfig,
    tls: Arc<ClientConfig>,
    timeout: Duration,
}

impl std::fmt::Debug for Hec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hec").field("config", &self.config).finish()
    }
}

impl Hec {
    pub fn new(config: HecConfig, timeout: Duration) -> Result<Hec> {
        let tls_err = |reason: String| Error::Tls {
            what: "Splunk HEC client",
            reason,
        };
        let mut roots = RootCertStore::empty();
        match &config.ca_file {
            Some(path) => {
                let certs = CertificateDer::pem_file_iter(path)
                    .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
                    .map_err(|e| tls_err(format!("{}: {e}", path.display())))?;
                for cert in certs {
                    roots
                        .add(cert)
                        .map_err(|e| tls_err(format!("{}: {e}", path.display())))?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_err(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Hec {
            config,
            tls: Arc::new(tls),
            timeout,
        })
    }

    pub fn config(&self) -> &HecConfig {
        &self.config
    }

    /// POSTs `body` (concatenated HEC event objects).
    pub async fn post(&self, body: Vec<u8>) -> Outcome {
        let url = format!("{}/services/collector/event", self.config.url);
        match tokio::time::timeout(self.timeout, self.exchange(body)).await {
            Err(_) => Outcome::Retry(format!(
                "no answer from {url} within {}s",
                self.timeout.as_secs()
            )),
            Ok(Err(reason)) => Outcome::Retry(format!("{url}: {reason}")),
            Ok(Ok((status, text))) => classify(status, &url, &text),
        }
    }

    async fn exchange(&self, body: Vec<u8>) -> std::result::Result<(StatusCode, String), String> {
        let c = &self.config;
        let tcp = tokio::net::TcpStream::connect((c.host.as_str(), c.port))
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        let name = ServerName::try_from(c.host.clone())
            .map_err(|e| format!("`{}` is not a TLS server name: {e}", c.host))?;
        let stream = TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP setup failed: {e}"))?;
        let driver = tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "HEC connection ended with an error");
            }
        });
        let authority = match c.port {
            443 => c.host.clone(),
            port if c.host.contains(':') => format!("[{}]:{port}", c.host),
            port => format!("{}:{port}", c.host),
        };
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("{}/services/collector/event", c.base_path))
            .header(HOST, authority)
            .header(AUTHORIZATION, format!("Splunk {}", c.token))
            .header(CONTENT_TYPE, "application/json")
            .header(
                USER_AGENT,
                concat!("trustwatch-collector/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("request could not be built: {e}"));
        let result = match request {
            Ok(request) => match sender.send_request(request).await {
                Ok(response) => {
                    let status = response.status();
                    Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                        .collect()
                        .await
                        .map(|b| (status, String::from_utf8_lossy(&b.to_bytes()).into_owned()))
                        .map_err(|e| format!("reading the answer failed: {e}"))
                }
                Err(e) => Err(format!("request failed: {e}")),
            },
            Err(e) => Err(e),
        };
        driver.abort();
        result
    }
}

fn classify(status: StatusCode, url: &str, text: &str) -> Outcome {
    let text: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let said = format!("{url} answered {status}: {text}");
    if status.is_success() {
        Outcome::Accepted
    } else if status == StatusCode::BAD_REQUEST || status == StatusCode::PAYLOAD_TOO_LARGE {
        Outcome::Refused(said)
    } else {
        Outcome::Retry(said)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_sorted_into_retry_and_refused() {
        let c = |s: u16| classify(StatusCode::from_u16(s).unwrap(), "u", "");
        assert_eq!(c(200), Outcome::Accepted);
        for s in [500, 503, 429, 401, 403, 404, 408] {
            assert!(matches!(c(s), Outcome::Retry(_)), "{s}");
        }
        for s in [400, 413] {
            assert!(matches!(c(s), Outcome::Refused(_)), "{s}");
        }
    }
}
