//! The agent's one HTTPS client: a single HTTP/1.1 request over TLS to the
//! collector, bounded by a timeout, with the answer read up to a small
//! limit. Reports, enrolment, renewal and policy all go through it; each
//! caller brings its own TLS settings (mutual TLS with the collector's CA,
//! or the enrolment token's pinned CA).

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HOST, RETRY_AFTER, USER_AGENT};
use hyper::{HeaderMap, Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;

use crate::error::{Error, Result};
use crate::net::{self, Resolver, Unreachable};
use crate::target::Host;

/// The collector's answers are small JSON documents; more is not read.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Where the collector is: the parts of an `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    host: Host,
    port: u16,
    authority: String,
    /// The URL's path without a trailing `/`; API paths go below it.
    base: String,
}

impl Endpoint {
    /// Validates an `https://HOST[:PORT][/PATH]` URL; opens nothing.
    pub fn parse(url: &str) -> Result<Endpoint> {
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
        Ok(Endpoint {
            host,
            port: authority.port_u16().unwrap_or(443),
            authority: authority.as_str().to_owned(),
            base: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    /// The request path of `api` (e.g. `/api/v1/reports`) below the base.
    pub fn path(&self, api: &str) -> String {
        format!("{}{api}", self.base)
    }

    /// The full URL of `api`, for messages.
    pub fn url(&self, api: &str) -> String {
        format!("https://{}{}", self.authority, self.path(api))
    }

    pub fn host(&self) -> &Host {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

/// An answer, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: StatusCode,
    /// `Retry-After` in seconds, when given as a number.
    pub retry_after: Option<u64>,
    pub body: Bytes,
}

impl Response {
    /// The `reason` of a JSON error answer (`{"error", "reason"}`).
    pub fn reason(&self) -> Option<String> {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()?
            .get("reason")?
            .as_str()
            .map(str::to_owned)
    }

    /// The answer's text for a message: its `error` sentence when it has
    /// one, else the start of the body.
    pub fn message(&self) -> String {
        let error = serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v.get("error")?.as_str().map(str::to_owned));
        let text = error.unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned());
        let text: String = text.trim().chars().take(200).collect();
        text.chars().filter(|c| !c.is_control()).collect()
    }
}

/// Sends one request and reads the answer; the whole exchange, connect to
/// last byte, is bounded by `timeout`. Failures to get an answer at all
/// (name, connect, TLS, HTTP, timeout) are [`Unreachable`].
pub async fn request(
    endpoint: &Endpoint,
    tls: Arc<ClientConfig>,
    method: Method,
    api: &str,
    body: Option<Vec<u8>>,
    resolver: &Resolver,
    timeout: Duration,
) -> std::result::Result<Response, Unreachable> {
    let deadline = Instant::now() + timeout;
    let exchange = exchange(endpoint, tls, method, api, body, resolver, deadline);
    match tokio::time::timeout(timeout, exchange).await {
        Ok(result) => result,
        Err(_) => Err(Unreachable::new(format!(
            "no answer from {} within {}s",
            endpoint.url(api),
            timeout.as_secs()
        ))),
    }
}

async fn exchange(
    endpoint: &Endpoint,
    tls: Arc<ClientConfig>,
    method: Method,
    api: &str,
    body: Option<Vec<u8>>,
    resolver: &Resolver,
    deadline: Instant,
) -> std::result::Result<Response, Unreachable> {
    let addrs = resolver.resolve(&endpoint.host, deadline).await?;
    let tcp = net::connect(&addrs, endpoint.port, deadline).await?;
    let name: ServerName<'static> = endpoint.host.server_name();
    let stream = TlsConnector::from(tls)
        .connect(name, tcp)
        .await
        .map_err(|e| Unreachable::new(format!("TLS handshake failed: {e}")))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| Unreachable::new(format!("HTTP setup failed: {e}")))?;
    // The connection task ends when the exchange does (or with the
    // timeout that bounds the caller).
    let driver = tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "collector connection ended with an error");
        }
    });
    let mut builder = Request::builder()
        .method(method)
        .uri(endpoint.path(api))
        .header(HOST, endpoint.authority.as_str())
        .header(
            USER_AGENT,
            concat!("trustwatch-agent/", env!("CARGO_PKG_VERSION")),
        );
    if body.is_some() {
        builder = builder.header(CONTENT_TYPE, "application/json");
    }
    let request = builder
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| Unreachable::new(format!("request could not be built: {e}")));
    let result = match request {
        Ok(request) => read(&mut sender, request).await,
        Err(e) => Err(e),
    };
    driver.abort();
    result
}

async fn read(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> std::result::Result<Response, Unreachable> {
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| Unreachable::new(format!("request failed: {e}")))?;
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map_err(|e| Unreachable::new(format!("reading the answer failed: {e}")))?
        .to_bytes();
    Ok(Response {
        status,
        retry_after,
        body,
    })
}

/// `Retry-After: <seconds>`; the HTTP-date form is not used by the
/// collector and is ignored (the caller's own backoff applies).
fn retry_after(headers: &HeaderMap) -> Option<u64> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(url: &str) -> String {
        match Endpoint::parse(url) {
            Err(Error::Invalid {
                what: "url",
                problem,
            }) => problem,
            other => panic!("expected a url error for {url}, got {other:?}"),
        }
    }

    #[test]
    fn builds_api_urls_below_the_base() {
        let e = Endpoint::parse("https://127.0.0.1:8443/").unwrap();
        assert_eq!(
            e.url("/api/v1/reports"),
            "https://127.0.0.1:8443/api/v1/reports"
        );
        assert_eq!(e.port(), 8443);
        let e = Endpoint::parse("https://[::1]/base").unwrap();
        assert_eq!(e.path("/api/v1/policy"), "/base/api/v1/policy");
        assert_eq!(e.host(), &Host::parse("::1").unwrap());
        assert_eq!(e.port(), 443);
    }

    #[test]
    fn refuses_anything_but_https() {
        assert!(problem("http://127.0.0.1:8443").contains("https://"));
        assert!(problem("not a url").contains("is not a URL"));
        assert!(problem("https://user@host.example").contains("user information"));
        assert!(problem("https://host.example/?q=1").contains("query"));
    }

    #[test]
    fn reasons_and_messages_come_from_json_errors() {
        let r = Response {
            status: StatusCode::CONFLICT,
            retry_after: None,
            body: Bytes::from_static(br#"{"error":"name taken\u001b","reason":"name_taken"}"#),
        };
        assert_eq!(r.reason().as_deref(), Some("name_taken"));
        assert_eq!(r.message(), "name taken");
        let r = Response {
            body: Bytes::from_static(b"  plain text  "),
            ..r
        };
        assert_eq!(r.reason(), None);
        assert_eq!(r.message(), "plain text");
    }

    #[test]
    fn retry_after_is_read_as_seconds() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, "120".parse().unwrap());
        assert_eq!(retry_after(&h), Some(120));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }
}
