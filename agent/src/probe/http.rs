//! The HTTP step of the TLS probe: for an HTTPS endpoint, the response to
//! `GET /` over TLS (HSTS, version disclosure, security headers) and what
//! the same host serves on plain HTTP — rules HTTP-001…HTTP-005.
//!
//! When it runs (decided by [`HttpCheck::for_endpoint`]): on ports 443 and
//! 8443, or on any port when the user says the endpoint is HTTPS (`--http`),
//! and never over STARTTLS (mail, directory and database protocols are not
//! HTTP). The TLS probe calls [`observe`] after its handshakes, and only
//! when the endpoint answered TLS at all: an unreachable endpoint gets
//! `error` findings for the HTTP rules too, without knocking again.
//!
//! Two connections at most, one after the other: the HTTPS fetch, then the
//! plain-HTTP check. Each is bounded by the probe's timeout and byte limit.

mod fetch;
pub mod response;
mod tls_client;

use std::sync::Arc;

use rustls_pki_types::ServerName;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use trustwatch_rules::observe::{HttpObservation, HttpsOutcome, PlainHttp};

use self::fetch::{exchange, request, MAX_HEAD_BYTES};
use crate::net::{self, Endpoint};
use crate::probe::Limits;

/// HTTP-001's usual partner port for HTTPS on 443.
pub const DEFAULT_PLAIN_PORT: u16 = 80;
/// Ports assumed to carry HTTPS without being told.
pub const HTTPS_PORTS: [u16; 2] = [443, 8443];

/// Whether and how to check the web server behind a TLS endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpCheck {
    /// The plain-HTTP port of the same host checked for HTTP-001; `None`
    /// leaves HTTP-001 not applicable.
    pub plain_port: Option<u16>,
}

impl HttpCheck {
    /// The check for a TLS endpoint on `port`, or `None` when it is not to
    /// be treated as HTTPS. `forced` is the user's `--http`; `plain_port` an
    /// explicit plain-HTTP port. Port 443 pairs with 80 by default; other
    /// ports have no conventional partner, so HTTP-001 needs one given.
    pub fn for_endpoint(
        port: u16,
        starttls: bool,
        forced: bool,
        plain_port: Option<u16>,
    ) -> Option<HttpCheck> {
        if starttls || !(forced || HTTPS_PORTS.contains(&port)) {
            return None;
        }
        let plain_port = plain_port.or((port == 443).then_some(DEFAULT_PLAIN_PORT));
        Some(HttpCheck { plain_port })
    }
}

/// The endpoint the HTTP step talks to, as the TLS probe already knows it.
#[derive(Debug, Clone, Copy)]
pub struct HttpTarget<'a> {
    /// `host:port` exactly as given: the findings' target.
    pub target: &'a str,
    /// Resolved addresses and the TLS port (`starttls` must be `None`).
    pub endpoint: &'a Endpoint,
    /// SNI for the HTTPS fetch (an IP address sends none).
    pub server_name: &'a ServerName<'static>,
    /// The host as written in a URL (the `--sni` name if one was given,
    /// IPv6 in brackets): the Host header, and where a plain-HTTP redirect
    /// must point.
    pub host: &'a str,
}

/// `host` or `host:port`, leaving out the scheme's default port.
fn authority(host: &str, port: u16, default: u16) -> String {
    if port == default {
        host.to_owned()
    } else {
        format!("{host}:{port}")
    }
}

/// Fetches `/` over HTTPS and checks plain HTTP. Never fails: what could not
/// be learnt is recorded as the reason in the observation.
pub async fn observe(to: HttpTarget<'_>, check: HttpCheck, limits: Limits) -> HttpObservation {
    let https_authority = authority(to.host, to.endpoint.port, 443);
    let https = fetch_https(to, &https_authority, limits).await;
    tracing::debug!(target = %to.target, ?https, "HTTPS fetch");
    let (plain_url, plain) = match check.plain_port {
        None => (
            None,
            PlainHttp::NotChecked {
                reason: format!(
                    "no plain-HTTP port is known to pair with port {}",
                    to.endpoint.port
                ),
            },
        ),
        Some(port) => {
            let plain_authority = authority(to.host, port, 80);
            let plain = check_plain(to.endpoint, port, &plain_authority, limits).await;
            tracing::debug!(target = %to.target, ?plain, "plain HTTP check");
            (Some(format!("http://{plain_authority}/")), plain)
        }
    };
    HttpObservation {
        target: to.target.to_owned(),
        host: to.host.to_owned(),
        https_url: format!("https://{https_authority}/"),
        https,
        plain_url,
        plain,
    }
}

async fn fetch_https(to: HttpTarget<'_>, authority: &str, limits: Limits) -> HttpsOutcome {
    let failed = |reason: String| HttpsOutcome::Failed { reason };
    let deadline = Instant::now() + limits.timeout;
    let config = match tls_client::config() {
        Ok(c) => c,
        // Only reachable through a bug: the versions and provider are ours.
        Err(e) => return failed(format!("internal error setting up the TLS client: {e}")),
    };
    let tcp = match net::open(to.endpoint, deadline).await {
        Ok(s) => s,
        Err(u) => return failed(u.reason),
    };
    let connector = TlsConnector::from(Arc::new(config));
    let handshake = connector.connect(to.server_name.clone(), tcp);
    let mut tls = match tokio::time::timeout_at(deadline, handshake).await {
        Err(_) => return failed("timed out during the TLS handshake".to_owned()),
        Ok(Err(e)) => return failed(format!("TLS handshake failed: {e}")),
        Ok(Ok(s)) => s,
    };
    let max_head = MAX_HEAD_BYTES.min(limits.max_read_bytes);
    let got = exchange(&mut tls, &request(authority), max_head, false, deadline).await;
    // Leave politely (close_notify), but never wait past the deadline.
    let _ = tokio::time::timeout_at(deadline, tls.shutdown()).await;
    match got {
        Ok(f) => HttpsOutcome::Response(f.head.response),
        Err(reason) => failed(reason),
    }
}

async fn check_plain(endpoint: &Endpoint, port: u16, authority: &str, limits: Limits) -> PlainHttp {
    let deadline = Instant::now() + limits.timeout;
    let mut tcp = match net::connect(&endpoint.addrs, port, deadline).await {
        Ok(s) => s,
        Err(u) => {
            // A refused connect, or one that got no answer at all (a
            // firewall dropping the SYN), means nothing is served to this
            // vantage point. The seam reports these with fixed wording.
            let closed = u.reason.starts_with("connection refused")
                || u.reason.starts_with("timed out connecting");
            return if closed {
                PlainHttp::Closed { reason: u.reason }
            } else {
                PlainHttp::Failed { reason: u.reason }
            };
        }
    };
    let max_head = MAX_HEAD_BYTES.min(limits.max_read_bytes);
    let got = exchange(&mut tcp, &request(authority), max_head, true, deadline).await;
    let _ = tokio::time::timeout_at(deadline, tcp.shutdown()).await;
    match got {
        Ok(f) => PlainHttp::Response {
            response: f.head.response,
            body_bytes: f.body_bytes,
        },
        Err(reason) => PlainHttp::Failed { reason },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_on_https_ports_or_when_asked_and_never_over_starttls() {
        let check =
            |port, starttls, forced, plain| HttpCheck::for_endpoint(port, starttls, forced, plain);
        assert_eq!(
            check(443, false, false, None),
            Some(HttpCheck {
                plain_port: Some(80)
            })
        );
        assert_eq!(
            check(8443, false, false, None),
            Some(HttpCheck { plain_port: None })
        );
        assert_eq!(
            check(8443, false, false, Some(8080)),
            Some(HttpCheck {
                plain_port: Some(8080)
            })
        );
        assert_eq!(
            check(4443, false, true, None),
            Some(HttpCheck { plain_port: None })
        );
        assert_eq!(check(4443, false, false, None), None);
        assert_eq!(check(443, true, true, None), None);
        assert_eq!(check(636, false, false, None), None);
    }

    #[test]
    fn default_ports_are_left_out_of_urls() {
        assert_eq!(authority("a.test", 443, 443), "a.test");
        assert_eq!(authority("[::1]", 8443, 443), "[::1]:8443");
        assert_eq!(authority("10.0.0.1", 80, 80), "10.0.0.1");
    }
}
