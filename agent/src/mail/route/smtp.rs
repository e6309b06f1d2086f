//! One SMTP session with one MX address: greeting, EHLO, STARTTLS, then a
//! TLS handshake offering TLS 1.3 and 1.2 as a current sending MTA does,
//! with the MX host name as SNI. The STARTTLS exchange is the TLS probe's
//! own (bounded lines, bytes and deadline; no bytes accepted after the
//! go-ahead), and so is the certificate judgement (the recording verifier,
//! webpki path validation against the public roots and the caller's
//! anchors, the SAN name check).
//!
//! One connection per address, within the step timeout and the domain's
//! budget. A server that answers 421 ("busy") is asked again twice, after
//! a pause, as it asked.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::ClientConfig;
use rustls_pki_types::{DnsName, ServerName};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use trustwatch_rules::observe::{NegotiatedTls, SmtpSession, TlsVersion};

use super::{judge_chain, RouteConfig};
use crate::net;
use crate::probe::tls::verifier::RecordingVerifier;
use crate::starttls::{self, Refusal, SmtpProgress};

/// New connections after a 421, at most.
const BUSY_RETRIES: u32 = 2;
const BUSY_PAUSE: Duration = Duration::from_millis(300);

/// The session with `ip` on the configured SMTP port, for the MX `name`.
pub(super) async fn session(
    ip: IpAddr,
    name: &str,
    config: &RouteConfig,
    budget_end: Instant,
) -> SmtpSession {
    let addr = SocketAddr::new(ip, config.smtp_port);
    let mut out = SmtpSession {
        address: addr.to_string(),
        connected: false,
        greeted: false,
        ehlo: false,
        starttls_offered: false,
        starttls_accepted: false,
        tls: None,
        chain: None,
        error: None,
    };
    let deadline = (Instant::now() + config.timeout).min(budget_end);
    let mut retries = 0;
    let stream = loop {
        let tcp = match net::connect(&[ip], config.smtp_port, deadline).await {
            Ok(s) => s,
            Err(u) => {
                out.error = Some(u.reason);
                return out;
            }
        };
        out.connected = true;
        let mut progress = SmtpProgress::default();
        let result = starttls::smtp_upgrade(tcp, deadline, &mut progress).await;
        out.greeted = progress.greeted;
        out.ehlo = progress.ehlo;
        out.starttls_offered = progress.offered;
        out.starttls_accepted = progress.accepted;
        match result {
            Ok(stream) => break stream,
            Err(Refusal::Busy(u))
                if retries < BUSY_RETRIES && Instant::now() + BUSY_PAUSE < deadline =>
            {
                tracing::debug!(reason = %u.reason, "MX busy; asking again");
                retries += 1;
                tokio::time::sleep(BUSY_PAUSE).await;
            }
            Err(refusal) => {
                out.error = Some(refusal.into_unreachable().reason);
                return out;
            }
        }
    };
    handshake(stream, name, config, deadline, &mut out).await;
    out
}

/// The TLS handshake on the upgraded stream, recording the version, suite
/// and the certificate (judged for `name`) in `out`.
async fn handshake(
    stream: tokio::net::TcpStream,
    name: &str,
    config: &RouteConfig,
    deadline: Instant,
    out: &mut SmtpSession,
) {
    let server_name = match DnsName::try_from(name.to_owned()) {
        Ok(n) => ServerName::DnsName(n),
        Err(_) => {
            out.error = Some(format!("the MX name {name:?} is not a valid DNS name"));
            return;
        }
    };
    let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = RecordingVerifier::new(provider.signature_verification_algorithms);
    let client = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map(|b| {
            b.dangerous()
                .with_custom_certificate_verifier(verifier.clone())
                .with_no_client_auth()
        });
    let client = match client {
        Ok(c) => c,
        Err(e) => {
            out.error = Some(format!("internal error setting up the TLS client: {e}"));
            return;
        }
    };
    let connect = TlsConnector::from(Arc::new(client)).connect(server_name.clone(), stream);
    let result = tokio::time::timeout_at(deadline, connect).await;
    // The chain reached the verifier even when the handshake then failed.
    if let Some(chain) = verifier.take_chain() {
        match judge_chain(&chain, &server_name, name, &config.anchors, config.now) {
            Ok(chain) => out.chain = chain,
            Err(bad) => out.error = Some(bad),
        }
    }
    match result {
        Err(_) => {
            out.error = Some(format!(
                "the TLS handshake after STARTTLS did not finish within {} s (timed out)",
                config.timeout.as_secs_f32()
            ))
        }
        Ok(Err(e)) => out.error = Some(format!("TLS handshake after STARTTLS failed: {e}")),
        Ok(Ok(mut tls)) => {
            let (_, conn) = tls.get_ref();
            let version = conn.protocol_version().and_then(version);
            let suite = conn.negotiated_cipher_suite().map(|s| {
                let suite = s.suite();
                suite
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{suite:?}"))
            });
            match (version, suite) {
                (Some(version), Some(cipher_suite)) => {
                    out.tls = Some(NegotiatedTls {
                        version,
                        cipher_suite,
                    })
                }
                _ => out.error = Some("the handshake finished without a version".into()),
            }
            // Leave politely: QUIT inside TLS, then close_notify.
            let _ = tokio::time::timeout_at(deadline, async {
                tls.write_all(b"QUIT\r\n").await?;
                tls.shutdown().await
            })
            .await;
        }
    }
}

fn version(v: rustls::ProtocolVersion) -> Option<TlsVersion> {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => Some(TlsVersion::Tls13),
        rustls::ProtocolVersion::TLSv1_2 => Some(TlsVersion::Tls12),
        rustls::ProtocolVersion::TLSv1_1 => Some(TlsVersion::Tls11),
        rustls::ProtocolVersion::TLSv1_0 => Some(TlsVersion::Tls10),
        _ => None,
    }
}
