//! Delivering reports to the collector: HTTP/1.1 POST over mutual TLS,
//! trusting only the collector's own CA, bounded by a timeout; the answer
//! becomes an [`Outcome`] the delivery loop acts on.
//!
//! The client identity (key and certificate) can be replaced while the
//! daemon runs, after a renewal: the TLS settings sit behind a lock that
//! every request reads once, so a request in flight keeps the identity it
//! started with.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use hyper::{Method, StatusCode};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::https::{self, Endpoint, Response};
use crate::net::{Resolver, Unreachable};

/// The collector's path for reports, below the configured URL.
pub const REPORTS_PATH: &str = "/api/v1/reports";

/// `Retry-After` is obeyed up to this long: a collector asking for more is
/// misconfigured, and reports should not wait on it for days.
pub const MAX_RETRY_AFTER_SECS: u64 = 3600;

/// What the collector answers when it accepts a report.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Receipt {
    pub report_id: i64,
    pub findings: u64,
    /// True when the collector already had this exact report (a retry
    /// after a lost answer); older collectors leave it out.
    #[serde(default)]
    pub duplicate: bool,
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 202: stored.
    Accepted(Receipt),
    /// 200 with `duplicate: true`: stored before; delivered all the same.
    Duplicate(Receipt),
    /// A 4xx other than 429: `status`, the answer's `reason` (or the
    /// status's name) and its message.
    Refused {
        status: u16,
        reason: String,
        message: String,
    },
    /// 429, or 503 with `Retry-After`: wait at least this long (capped at
    /// [`MAX_RETRY_AFTER_SECS`]).
    RetryAfter { status: u16, secs: u64 },
    /// No usable answer: network failure, timeout, 5xx, or an answer that
    /// makes no sense. Retried with backoff.
    Unreachable(String),
}

/// What the delivery loop does about an [`Outcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The collector has the report: remove it from the spool.
    Delivered,
    /// Refused for good (400, 409, 413): move it to `rejected/`.
    Reject,
    /// Refused because of who we are (401, 403): keep it, say so loudly,
    /// back off.
    Unauthorised,
    /// Keep it and try again after the backoff (or the `Retry-After`).
    Retry,
}

impl Outcome {
    /// Classifies an answer. Pure, so every status the contract names is
    /// unit-tested.
    pub fn from_response(r: &Response) -> Outcome {
        let status = r.status.as_u16();
        let reason = || r.reason().unwrap_or_else(|| default_reason(r.status));
        match r.status {
            StatusCode::ACCEPTED | StatusCode::OK => {
                match serde_json::from_slice::<Receipt>(&r.body) {
                    Ok(receipt) if r.status == StatusCode::OK && receipt.duplicate => {
                        Outcome::Duplicate(receipt)
                    }
                    Ok(receipt) if r.status == StatusCode::ACCEPTED => Outcome::Accepted(receipt),
                    // 200 without the duplicate flag is not in the contract:
                    // something other than the collector answered.
                    Ok(_) => Outcome::Unreachable(format!(
                        "the collector answered {status} without `duplicate: true`"
                    )),
                    Err(e) => Outcome::Unreachable(format!(
                        "the collector answered {status} without a valid receipt ({e})"
                    )),
                }
            }
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                if r.retry_after.is_some() =>
            {
                Outcome::RetryAfter {
                    status,
                    secs: r.retry_after.unwrap_or(0).min(MAX_RETRY_AFTER_SECS),
                }
            }
            s if s.is_client_error() && s != StatusCode::TOO_MANY_REQUESTS => Outcome::Refused {
                status,
                reason: reason(),
                message: r.message(),
            },
            _ => Outcome::Unreachable(format!(
                "the collector answered {}: {}",
                r.status,
                r.message()
            )),
        }
    }

    pub fn action(&self) -> Action {
        match self {
            Outcome::Accepted(_) | Outcome::Duplicate(_) => Action::Delivered,
            Outcome::Refused { status, .. } => match status {
                400 | 409 | 413 => Action::Reject,
                401 | 403 => Action::Unauthorised,
                // 404, 408 and the like: the URL or a proxy is wrong, or
                // slow; the report is still good, so keep it.
                _ => Action::Retry,
            },
            Outcome::RetryAfter { .. } | Outcome::Unreachable(_) => Action::Retry,
        }
    }
}

fn default_reason(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("refused")
        .to_ascii_lowercase()
        .replace(' ', "_")
}

/// Where and how to reach the collector. Clones share the identity, so a
/// renewal seen by one is seen by all.
#[derive(Debug, Clone)]
pub struct Collector {
    endpoint: Endpoint,
    roots: Arc<RootCertStore>,
    tls: Arc<RwLock<Arc<ClientConfig>>>,
}

impl Collector {
    /// Validates the URL and the agent's identity; opens nothing.
    pub fn new(
        url: &str,
        ca: Vec<CertificateDer<'static>>,
        cert: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Collector> {
        let endpoint = Endpoint::parse(url)?;
        let mut roots = RootCertStore::empty();
        for (i, der) in ca.into_iter().enumerate() {
            roots.add(der).map_err(|e| Error::Invalid {
                what: "ca",
                problem: format!("certificate {} is not a usable CA certificate ({e})", i + 1),
            })?;
        }
        let roots = Arc::new(roots);
        let tls = client_config(&roots, cert, key)?;
        Ok(Collector {
            endpoint,
            roots,
            tls: Arc::new(RwLock::new(Arc::new(tls))),
        })
    }

    pub fn reports_url(&self) -> String {
        self.endpoint.url(REPORTS_PATH)
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// TLS settings for a new identity (after a renewal), checked but not
    /// yet in use: refused if the key does not match the certificate.
    pub fn prepare_identity(
        &self,
        cert: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Arc<ClientConfig>> {
        client_config(&self.roots, cert, key).map(Arc::new)
    }

    /// Uses `tls` from the next request on; a request in flight keeps the
    /// settings it started with.
    pub fn use_identity(&self, tls: Arc<ClientConfig>) {
        // A poisoned lock only means a panic elsewhere while swapping an
        // Arc; the value inside is whole either way.
        *self.tls.write().unwrap_or_else(|e| e.into_inner()) = tls;
    }

    fn tls(&self) -> Arc<ClientConfig> {
        self.tls.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// One request to the collector's API over mutual TLS.
    pub async fn call(
        &self,
        method: Method,
        api: &str,
        body: Option<Vec<u8>>,
        resolver: &Resolver,
        timeout: Duration,
    ) -> std::result::Result<Response, Unreachable> {
        https::request(
            &self.endpoint,
            self.tls(),
            method,
            api,
            body,
            resolver,
            timeout,
        )
        .await
    }

    /// POSTs one spooled report (its bytes as spooled).
    pub async fn deliver(&self, body: Vec<u8>, resolver: &Resolver, timeout: Duration) -> Outcome {
        match self
            .call(Method::POST, REPORTS_PATH, Some(body), resolver, timeout)
            .await
        {
            Ok(response) => Outcome::from_response(&response),
            Err(u) => Outcome::Unreachable(u.reason),
        }
    }
}

fn client_config(
    roots: &Arc<RootCertStore>,
    cert: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_root_certificates(roots.clone())
                .with_client_auth_cert(cert, key)
        })
        .map_err(|e| Error::Invalid {
            what: "key",
            problem: format!("cannot be used with the certificate in collector.cert ({e})"),
        })
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

    #[test]
    fn builds_the_reports_url() {
        let (ca, cert, key) = identity();
        let c = Collector::new("https://127.0.0.1:8443/", ca, cert, key).unwrap();
        assert_eq!(c.reports_url(), "https://127.0.0.1:8443/api/v1/reports");
        let (ca, cert, key) = identity();
        assert!(matches!(
            Collector::new("http://127.0.0.1:8443", ca, cert, key),
            Err(Error::Invalid { what: "url", .. })
        ));
    }

    fn answer(status: u16, retry_after: Option<u64>, body: &'static str) -> Outcome {
        Outcome::from_response(&Response {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after,
            body: hyper::body::Bytes::from_static(body.as_bytes()),
        })
    }

    #[test]
    fn answers_become_outcomes_as_the_contract_says() {
        let receipt = Receipt {
            report_id: 7,
            findings: 3,
            duplicate: false,
        };
        let accepted = answer(202, None, r#"{"report_id":7,"findings":3}"#);
        assert_eq!(accepted, Outcome::Accepted(receipt.clone()));
        assert_eq!(accepted.action(), Action::Delivered);
        let dup = answer(
            200,
            None,
            r#"{"report_id":7,"findings":3,"duplicate":true}"#,
        );
        assert_eq!(
            dup,
            Outcome::Duplicate(Receipt {
                duplicate: true,
                ..receipt
            })
        );
        assert_eq!(dup.action(), Action::Delivered);
        // A 200 that is not a duplicate receipt is not a delivery.
        assert_eq!(
            answer(200, None, r#"{"report_id":7,"findings":3}"#).action(),
            Action::Retry
        );
        assert_eq!(answer(202, None, "<html>").action(), Action::Retry);

        for (status, reason) in [
            (400, "malformed"),
            (409, "stale_sequence"),
            (413, "too_large"),
        ] {
            let body = match reason {
                "malformed" => r#"{"error":"bad","reason":"malformed"}"#,
                "stale_sequence" => r#"{"error":"old","reason":"stale_sequence"}"#,
                _ => r#"{"error":"big","reason":"too_large"}"#,
            };
            let o = answer(status, None, body);
            assert_eq!(o.action(), Action::Reject, "{status}");
            assert!(matches!(o, Outcome::Refused { reason: ref r, .. } if r == reason));
        }
        let revoked = answer(403, None, r#"{"error":"revoked","reason":"revoked"}"#);
        assert_eq!(revoked.action(), Action::Unauthorised);
        assert_eq!(answer(401, None, "").action(), Action::Unauthorised);
        // Without a JSON reason the status names itself.
        assert!(matches!(
            answer(413, None, "too big"),
            Outcome::Refused { ref reason, ref message, .. }
                if reason == "payload_too_large" && message == "too big"
        ));
        assert_eq!(answer(404, None, "").action(), Action::Retry);

        assert_eq!(
            answer(429, Some(30), ""),
            Outcome::RetryAfter {
                status: 429,
                secs: 30
            }
        );
        assert_eq!(
            answer(503, Some(86_400), ""),
            Outcome::RetryAfter {
                status: 503,
                secs: MAX_RETRY_AFTER_SECS
            }
        );
        // 429 or 503 without a usable Retry-After: the agent's own backoff.
        assert!(matches!(answer(429, None, ""), Outcome::Unreachable(_)));
        assert!(matches!(answer(503, None, ""), Outcome::Unreachable(_)));
        assert!(
            matches!(answer(500, None, "boom"), Outcome::Unreachable(ref m) if m.contains("500") && m.contains("boom"))
        );
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
