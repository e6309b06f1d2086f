//! SSH: the identification string, the server's KEXINIT lists and the host
//! key it presents in the key exchange.
//!
//! The exchange stops at the server's KEX_ECDH_REPLY: no NEWKEYS, no
//! authentication, nothing that could count as a login. The reply's host
//! key is what SSH-003 judges (RSA modulus size, DSA), so the probe asks
//! for RSA first. Gentle mode keeps to the identification string.

pub(super) mod ident;
pub(super) mod kex;
pub(super) mod wire;

use std::time::Duration;

use ring::agreement::{self, EphemeralPrivateKey};
use ring::rand::{SecureRandom, SystemRandom};
use thiserror::Error;
use tokio::time::Instant;
use trustwatch_rules::observe::{IdentifiedBy, ServiceDetail, SshDetail};

use self::kex::Curve;
use self::wire::WireError;
use super::{printable_line, read_until, Session};

/// What we tell the server we are: honest, and without spaces or dashes
/// in the software version (RFC 4253 §4.2).
const CLIENT_IDENT: &str = concat!("SSH-2.0-Trustwatch_", env!("CARGO_PKG_VERSION"), "\r\n");

/// Why the exchange after the identification string stopped short.
#[derive(Debug, Error)]
enum Stopped {
    #[error("ssh: {0}")]
    Io(#[from] std::io::Error),
    #[error("ssh: {0}")]
    Wire(#[from] WireError),
    #[error("ssh: no {0} within {1:?}")]
    Timeout(&'static str, Duration),
    #[error("ssh: connection closed before {0}")]
    Closed(&'static str),
    #[error("ssh: more than {0} bytes before {1}")]
    TooMuch(usize, &'static str),
    #[error("ssh: server disconnected: {0}")]
    Disconnected(String),
    #[error("ssh: no ECDH key exchange offered (curve25519-sha256, ecdh-sha2-nistp256): host key not read")]
    NoEcdh,
    #[error("ssh: no plain host-key algorithm offered: host key not read")]
    NoHostKeyAlgorithm,
    #[error("ssh: host key of a type that is not sized")]
    HostKeyType,
    #[error("ssh: could not make an ephemeral key")]
    Crypto,
}

pub(super) async fn identify(s: &mut Session<'_>) {
    let mut buf = s.banner.clone();
    if !ident::has_ident_line(&buf) && buf.len() < s.opts.max_read {
        // Text lines may come before the identification (RFC 4253 §4.2):
        // read on, sending nothing, until the SSH- line is whole.
        let prev = buf.clone();
        let more = s
            .read_until(s.opts.io_timeout, |b| {
                ident::has_ident_line(&[prev.as_slice(), b].concat())
            })
            .await
            .unwrap_or_default();
        buf.extend_from_slice(&more);
    }
    let Some((id, line)) = ident::find_ident(&buf) else {
        if s.obs.service.is_none() {
            s.found("ssh", IdentifiedBy::Port);
        }
        s.note("ssh: no identification string");
        return;
    };
    s.found("ssh", IdentifiedBy::Banner);
    s.obs.banner = printable_line(&buf[line.clone()]);
    s.obs.product = id.product.clone();
    s.obs.version = id.version.clone();
    let mut detail = SshDetail {
        protocol: id.protocol.clone(),
        software: id.software.clone(),
        ..SshDetail::default()
    };
    if !s.may_send() {
        s.note("gentle mode: identification string only");
    } else if !id.speaks_v2() {
        s.note("ssh: protocol 1 only: key exchange not attempted");
    } else {
        let rest = buf[line.end..].to_vec();
        if let Err(stopped) = exchange(s, rest, &mut detail).await {
            s.note(stopped.to_string());
        }
    }
    s.obs.detail = ServiceDetail::Ssh(detail);
    // Close without NEWKEYS: the server just sees a client go away.
    s.stream = None;
}

/// Our identification, the server's KEXINIT, our KEXINIT and ECDH init,
/// the server's reply; fills `detail` as far as it gets.
async fn exchange(
    s: &mut Session<'_>,
    mut buf: Vec<u8>,
    detail: &mut SshDetail,
) -> Result<(), Stopped> {
    s.send(CLIENT_IDENT.as_bytes()).await?;
    let mut budget = s.opts.max_read;
    let payload = next_packet(s, &mut buf, &mut budget, "KEXINIT").await?;
    let server = kex::parse_kexinit(&payload)?;
    detail.kex_algorithms = server.kex.clone();
    detail.host_key_algorithms = server.host_key.clone();
    detail.ciphers = server.ciphers_s2c.clone();
    detail.macs = server.macs_s2c.clone();
    let (kex_name, curve) = kex::choose_kex(&server.kex).ok_or(Stopped::NoEcdh)?;
    let host_key_alg = kex::choose_host_key(&server.host_key).ok_or(Stopped::NoHostKeyAlgorithm)?;

    let rng = SystemRandom::new();
    let mut cookie = [0u8; 16];
    rng.fill(&mut cookie).map_err(|_| Stopped::Crypto)?;
    let alg = match curve {
        Curve::X25519 => &agreement::X25519,
        Curve::P256 => &agreement::ECDH_P256,
    };
    // A real ephemeral key, so the server sees a valid point; the shared
    // secret is never computed because the exchange is never finished.
    let private = EphemeralPrivateKey::generate(alg, &rng).map_err(|_| Stopped::Crypto)?;
    let public = private.compute_public_key().map_err(|_| Stopped::Crypto)?;
    let mut out = wire::frame(&kex::build_kexinit(cookie, kex_name, host_key_alg, &server));
    out.extend_from_slice(&wire::frame(&kex::ecdh_init(public.as_ref())));
    s.send(&out).await?;

    let reply = next_packet(s, &mut buf, &mut budget, "KEX_ECDH_REPLY").await?;
    let blob = kex::ecdh_reply_host_key(&reply)?;
    detail.host_key = Some(kex::parse_host_key(blob)?.ok_or(Stopped::HostKeyType)?);
    Ok(())
}

/// The next packet that is not IGNORE, DEBUG or UNIMPLEMENTED, reading
/// (within `io_timeout` and `budget` bytes) as needed; `buf` holds bytes
/// already received.
async fn next_packet(
    s: &mut Session<'_>,
    buf: &mut Vec<u8>,
    budget: &mut usize,
    what: &'static str,
) -> Result<Vec<u8>, Stopped> {
    let wait = s.opts.io_timeout;
    let deadline = Instant::now() + wait;
    loop {
        if let Some((payload, used)) = wire::split_packet(buf)? {
            let payload = payload.to_vec();
            buf.drain(..used);
            match payload.first().copied() {
                Some(kex::MSG_IGNORE | kex::MSG_DEBUG | kex::MSG_UNIMPLEMENTED) => continue,
                Some(kex::MSG_DISCONNECT) => {
                    return Err(Stopped::Disconnected(kex::disconnect_reason(&payload)))
                }
                _ => return Ok(payload),
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Stopped::Timeout(what, wait));
        }
        if *budget == 0 {
            return Err(Stopped::TooMuch(s.opts.max_read, what));
        }
        let Some(stream) = s.stream.as_mut() else {
            return Err(Stopped::Closed(what));
        };
        let prev = buf.clone();
        let more = read_until(stream, deadline - now, *budget, |b| {
            wire::packet_ready(&[prev.as_slice(), b].concat())
        })
        .await?;
        if more.is_empty() {
            return Err(if Instant::now() >= deadline {
                Stopped::Timeout(what, wait)
            } else {
                Stopped::Closed(what)
            });
        }
        *budget = budget.saturating_sub(more.len());
        buf.extend_from_slice(&more);
    }
}
