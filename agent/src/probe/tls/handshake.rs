//! One handshake attempt pinned to one TLS version.
//!
//! rustls is driven by hand over the TCP stream (rather than through
//! tokio-rustls) so that, when a handshake fails part-way, the negotiated
//! cipher suite is still readable and every byte read is counted against the
//! limit.

use std::sync::Arc;

use rustls::client::Resumption;
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, ClientConnection, SupportedProtocolVersion};
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use trustwatch_rules::observe::{AttemptOutcome, ProtocolAttempt, TlsVersion};

use super::classify::{self, Ended, Stop};
use super::verifier::{ClientCertRequest, RecordingVerifier};
use crate::net::{self, Endpoint};
use crate::probe::Limits;

/// Where and how to attempt a handshake.
#[derive(Debug)]
pub(crate) struct AttemptSpec<'a> {
    /// Where to connect, and the STARTTLS upgrade if any.
    pub endpoint: &'a Endpoint,
    /// A DNS name is sent as SNI; an IP address sends none.
    pub server_name: &'a ServerName<'static>,
    pub limits: Limits,
}

/// What one attempt learnt.
#[derive(Debug)]
pub(crate) struct Attempt {
    pub outcome: AttemptOutcome,
    /// The chain the server sent, if it reached our verifier.
    pub chain: Option<Vec<CertificateDer<'static>>>,
    /// Nothing answers: the connect failed, or the server accepted and then
    /// sent nothing at all until the timeout. Offering another version
    /// would only knock again on a device that is not talking to us.
    pub give_up: bool,
    /// Whether an OCSP response was stapled, once the chain arrived.
    pub ocsp_stapled: Option<bool>,
    /// A ClientHello went out (the connection was made).
    pub hello_sent: bool,
}

/// What the real (rustls) handshakes learnt.
#[derive(Debug, Default)]
pub(crate) struct RealHandshakes {
    pub attempts: Vec<ProtocolAttempt>,
    /// The chain of the first version that got as far as the certificate,
    /// TLS 1.3 first.
    pub chain: Option<Vec<CertificateDer<'static>>>,
    /// Stapling as seen at TLS 1.3 (the crafted hellos cover 1.2 and older).
    pub ocsp_stapled_tls13: Option<bool>,
    pub handshakes: u32,
}

/// Full handshakes at TLS 1.3 then 1.2, one after the other. If the first
/// finds nothing answering, the second is not tried.
pub(crate) async fn real_handshakes(spec: &AttemptSpec<'_>) -> RealHandshakes {
    let mut out = RealHandshakes::default();
    let mut unreachable: Option<String> = None;
    for version in [TlsVersion::Tls13, TlsVersion::Tls12] {
        if let Some(reason) = &unreachable {
            out.attempts.push(ProtocolAttempt {
                version,
                outcome: AttemptOutcome::Failed {
                    reason: reason.clone(),
                },
            });
            continue;
        }
        let attempt = attempt(version, spec).await;
        tracing::debug!(version = %version, outcome = ?attempt.outcome, "rustls handshake");
        out.handshakes += u32::from(attempt.hello_sent);
        if version == TlsVersion::Tls13 {
            out.ocsp_stapled_tls13 = attempt.ocsp_stapled;
        }
        match &attempt.outcome {
            AttemptOutcome::Accepted { .. } if out.chain.is_none() => out.chain = attempt.chain,
            AttemptOutcome::Failed { reason } if attempt.give_up => {
                unreachable = Some(reason.clone())
            }
            _ => {}
        }
        out.attempts.push(ProtocolAttempt {
            version,
            outcome: attempt.outcome,
        });
    }
    out
}

pub(crate) async fn attempt(version: TlsVersion, spec: &AttemptSpec<'_>) -> Attempt {
    let deadline = Instant::now() + spec.limits.timeout;
    let mut stream = match net::open(spec.endpoint, deadline).await {
        Ok(s) => s,
        Err(u) => {
            return Attempt {
                outcome: classify::outcome(ended(Some(Stop::Connect(u.reason)))),
                chain: None,
                give_up: true,
                ocsp_stapled: None,
                hello_sent: false,
            }
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = RecordingVerifier::new(provider.signature_verification_algorithms);
    let cert_request = Arc::new(ClientCertRequest::default());
    let conn = client_config(version, provider, verifier.clone(), cert_request.clone())
        .and_then(|config| ClientConnection::new(Arc::new(config), spec.server_name.clone()));
    let mut conn = match conn {
        Ok(c) => c,
        // Only reachable through a bug (the versions and provider are ours).
        Err(e) => {
            return Attempt {
                outcome: AttemptOutcome::Failed {
                    reason: format!("internal error setting up the TLS client: {e}"),
                },
                chain: None,
                give_up: false,
                ocsp_stapled: None,
                hello_sent: false,
            }
        }
    };

    let mut received = 0usize;
    let driven = tokio::time::timeout_at(
        deadline,
        drive(
            &mut conn,
            &mut stream,
            spec.limits.max_read_bytes,
            &mut received,
        ),
    )
    .await;
    let stop = match driven {
        Ok(Ok(())) => None,
        Ok(Err(stop)) => Some(stop),
        Err(_) if received == 0 => Some(Stop::Silent(spec.limits.timeout)),
        Err(_) => Some(Stop::TimedOut(spec.limits.timeout)),
    };
    let silent = matches!(stop, Some(Stop::Silent(_)));
    if stop.is_none() {
        // Leave politely; a fragile device should not see a torn connection.
        conn.send_close_notify();
        let _ = tokio::time::timeout_at(deadline, async {
            flush(&mut conn, &mut stream).await?;
            stream.shutdown().await
        })
        .await;
    }
    let chain = verifier.take_chain();
    let outcome = classify::outcome(Ended {
        stop,
        cipher_suite: conn.negotiated_cipher_suite().map(|s| {
            let suite = s.suite();
            suite
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{suite:?}"))
        }),
        saw_certificate: chain.is_some(),
        client_cert_requested: cert_request.was_requested(),
    });
    Attempt {
        outcome,
        chain,
        give_up: silent,
        ocsp_stapled: verifier.ocsp_stapled(),
        hello_sent: true,
    }
}

fn ended(stop: Option<Stop>) -> Ended {
    Ended {
        stop,
        cipher_suite: None,
        saw_certificate: false,
        client_cert_requested: false,
    }
}

fn client_config(
    version: TlsVersion,
    provider: Arc<CryptoProvider>,
    verifier: Arc<RecordingVerifier>,
    cert_request: Arc<ClientCertRequest>,
) -> Result<ClientConfig, rustls::Error> {
    let pinned: &'static SupportedProtocolVersion = match version {
        TlsVersion::Tls13 => &rustls::version::TLS13,
        // rustls speaks nothing older than 1.2; callers only ask for 1.2/1.3.
        _ => &rustls::version::TLS12,
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[pinned])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(cert_request);
    // Every attempt must be a full handshake that shows the certificate.
    config.resumption = Resumption::disabled();
    Ok(config)
}

/// Runs the handshake to completion or to the first reason it stopped.
async fn drive(
    conn: &mut ClientConnection,
    stream: &mut TcpStream,
    max_read: usize,
    total: &mut usize,
) -> Result<(), Stop> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        flush(conn, stream).await.map_err(Stop::Io)?;
        if !conn.is_handshaking() {
            return Ok(());
        }
        let n = stream.read(&mut buf).await.map_err(Stop::Io)?;
        if n == 0 {
            return Err(Stop::Eof);
        }
        *total += n;
        if *total > max_read {
            return Err(Stop::TooMuchData(max_read));
        }
        let mut input = &buf[..n];
        while !input.is_empty() {
            conn.read_tls(&mut input).map_err(Stop::Io)?;
            if let Err(e) = conn.process_new_packets() {
                // rustls has queued an alert for the server; send it so the
                // other side logs a clean failure, then report ours.
                let _ = flush(conn, stream).await;
                return Err(Stop::Tls(e));
            }
        }
    }
}

async fn flush(conn: &mut ClientConnection, stream: &mut TcpStream) -> std::io::Result<()> {
    while conn.wants_write() {
        let mut out = Vec::new();
        conn.write_tls(&mut out)?;
        stream.write_all(&out).await?;
    }
    stream.flush().await
}
