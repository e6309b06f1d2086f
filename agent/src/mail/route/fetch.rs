//! The MTA-STS policy fetch: one HTTPS `GET` of
//! `/.well-known/mta-sts.txt` from `mta-sts.<domain>`, at the address the
//! [`Resolve`] seam gives, with hyper over rustls.
//!
//! As RFC 8461 3.3 asks of senders: the certificate is judged for
//! `mta-sts.<domain>` against the public roots and the caller's anchors,
//! redirects are recorded and not followed, and the body is bounded
//! ([`MAX_POLICY_BYTES`]). The handshake itself accepts any certificate
//! (the TLS probe's recording verifier), so that a wrong or untrusted one
//! is reported with what the server then serves, not as a bare failure.

use std::sync::Arc;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HOST, LOCATION, USER_AGENT};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use rustls::crypto::CryptoProvider;
use rustls::ClientConfig;
use rustls_pki_types::{DnsName, ServerName};
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use trustwatch_rules::observe::PolicyFetch;

use super::{addresses, judge_chain, RouteConfig};
use crate::dns::Resolve;
use crate::net;
use crate::probe::tls::verifier::RecordingVerifier;

/// The largest policy read. Real policies are a few hundred bytes; RFC
/// 8461 leaves the bound to senders, and 64 KiB is the usual one.
pub const MAX_POLICY_BYTES: usize = 64 * 1024;

const PATH: &str = "/.well-known/mta-sts.txt";

/// Fetches the policy: what the fetch saw, and the body when one was read.
pub(super) async fn policy<R: Resolve>(
    resolver: &R,
    domain: &str,
    config: &RouteConfig,
    budget_end: Instant,
) -> (PolicyFetch, Option<String>) {
    let host = format!("mta-sts.{domain}");
    let authority = if config.https_port == 443 {
        host.clone()
    } else {
        format!("{host}:{}", config.https_port)
    };
    let mut out = PolicyFetch {
        url: format!("https://{authority}{PATH}"),
        address: None,
        chain: None,
        status: None,
        content_type: None,
        location: None,
        body_bytes: 0,
        error: None,
    };
    let body = match fetch(resolver, &host, &authority, config, budget_end, &mut out).await {
        Ok(body) => body,
        Err(why) => {
            out.error = Some(why);
            None
        }
    };
    (out, body)
}

async fn fetch<R: Resolve>(
    resolver: &R,
    host: &str,
    authority: &str,
    config: &RouteConfig,
    budget_end: Instant,
    out: &mut PolicyFetch,
) -> Result<Option<String>, String> {
    let (addrs, problems) = addresses(resolver, host, config.timeout).await;
    if addrs.is_empty() {
        let why = if problems.is_empty() {
            "A and AAAA: no records".to_owned()
        } else {
            problems.join("; ")
        };
        return Err(format!("{host} has no address ({why})"));
    }
    let deadline = (Instant::now() + config.timeout).min(budget_end);
    let tcp = net::connect(&addrs, config.https_port, deadline)
        .await
        .map_err(|u| u.reason)?;
    out.address = tcp.peer_addr().ok().map(|a| a.to_string());

    let name = DnsName::try_from(host.to_owned())
        .map(ServerName::DnsName)
        .map_err(|_| format!("{host:?} is not a valid DNS name"))?;
    let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = RecordingVerifier::new(provider.signature_verification_algorithms);
    let mut client = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("internal error setting up the TLS client: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    client.alpn_protocols = vec![b"http/1.1".to_vec()];
    let handshake = TlsConnector::from(Arc::new(client)).connect(name.clone(), tcp);
    let tls = tokio::time::timeout_at(deadline, handshake).await;
    if let Some(chain) = verifier.take_chain() {
        out.chain = judge_chain(&chain, &name, host, &config.anchors, config.now)?;
    }
    let tls = match tls {
        Err(_) => return Err("the TLS handshake timed out".into()),
        Ok(Err(e)) => return Err(format!("the TLS handshake failed: {e}")),
        Ok(Ok(tls)) => tls,
    };

    let exchange = async {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| format!("HTTP set-up failed: {e}"))?;
        // Ends with the exchange, or with the deadline around it.
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let result = get(&mut sender, authority, out).await;
        driver.abort();
        result
    };
    match tokio::time::timeout_at(deadline, exchange).await {
        Err(_) => Err("the HTTP exchange timed out".into()),
        Ok(result) => result,
    }
}

/// The request and the bounded response.
async fn get(
    sender: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    authority: &str,
    out: &mut PolicyFetch,
) -> Result<Option<String>, String> {
    let request = Request::builder()
        .method(Method::GET)
        .uri(PATH)
        .header(HOST, authority)
        .header(
            USER_AGENT,
            concat!(
                "trustwatch-agent/",
                env!("CARGO_PKG_VERSION"),
                " (security posture scan)"
            ),
        )
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("the request could not be built: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("the request failed: {e}"))?;
    let text = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &hyper::header::HeaderValue| {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            })
    };
    out.status = Some(response.status().as_u16());
    out.content_type = text(CONTENT_TYPE);
    out.location = text(LOCATION);
    let body = Limited::new(response.into_body(), MAX_POLICY_BYTES)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                format!("the policy is larger than {} KiB", MAX_POLICY_BYTES / 1024)
            } else {
                format!("reading the policy failed: {e}")
            }
        })?
        .to_bytes();
    out.body_bytes = body.len() as u64;
    Ok(Some(String::from_utf8_lossy(&body).into_owned()))
}
