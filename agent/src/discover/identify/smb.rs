//! SMB: whether the server accepts SMB1 (SMB-001), its best SMB2/3 dialect
//! and whether it requires signing (SMB-002).
//!
//! Two connections, two negotiates, no session setup and no credentials:
//! the first offers only SMB1 dialects (an SMB1 answer choosing one means
//! SMB1 is on; a refusal, an SMB2 answer, a reset or a close means it is
//! off), the second offers SMB 2.0.2 to 3.1.1. Each connection is closed
//! after its negotiate response.
//!
//! The product is left unset: a negotiate response does not say Samba or
//! Windows (the native OS strings only come with a session setup), and we
//! do not guess.

mod netbios;
mod smb1;
mod smb2;

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;
use trustwatch_rules::observe::{IdentifiedBy, ServiceDetail, SmbDetail};

use super::{io, Session};
use smb1::Smb1Answer;

/// Why an SMB answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum SmbError {
    #[error("truncated {0}")]
    Truncated(&'static str),
    #[error("not a NetBIOS packet (type 0x{0:02x})")]
    NotNetbios(u8),
    #[error("unexpected NetBIOS packet type 0x{0:02x}")]
    UnexpectedPacket(u8),
    #[error("NetBIOS session refused (error {})", .0.map_or("unknown".into(), |c| format!("0x{c:02x}")))]
    SessionRefused(Option<u8>),
    #[error("NetBIOS session retargeted elsewhere")]
    SessionRetarget,
    #[error("not an SMB message")]
    NotSmb,
    #[error("SMB1 answer to an SMB2 negotiate")]
    Smb1Answer,
    #[error("unexpected SMB command 0x{0:04x}")]
    UnexpectedCommand(u16),
    #[error("SMB1 dialect index {0} was never offered")]
    BadDialectIndex(u16),
    #[error("negotiate failed with status 0x{0:08x}")]
    Status(u32),
}

/// How one negotiate exchange ended.
#[derive(Debug)]
enum Reply {
    /// One SMB message.
    Message(Vec<u8>),
    /// The server closed or reset the connection without answering.
    Closed,
    /// Nothing arrived in time.
    Silent,
    /// Bytes that are not a usable answer.
    Garbage(SmbError),
    /// Our side failed (a write timed out).
    Failed(String),
}

pub(super) async fn identify(s: &mut Session<'_>) {
    if !s.may_send() {
        return;
    }
    let netbios_session = s.addr.port() == 139;
    let wait = s.opts.io_timeout;
    let max = s.opts.max_read;
    let mut detail = SmbDetail::default();
    let mut is_smb = false;
    let mut closed_on_smb1 = false;
    let mut smb1_signing = None;

    // Connection 1: SMB1 dialects only.
    if let Some(mut stream) = s.stream.take() {
        let reply = exchange(
            &mut stream,
            netbios_session,
            &smb1::negotiate_request(),
            wait,
            max,
        )
        .await;
        drop(stream);
        match reply {
            Reply::Message(msg) => match smb1::parse_negotiate_response(&msg) {
                Ok(Smb1Answer::Accepted {
                    signing_required, ..
                }) => {
                    is_smb = true;
                    detail.smb1_accepted = Some(true);
                    smb1_signing = signing_required;
                }
                Ok(Smb1Answer::Refused | Smb1Answer::Smb2) => {
                    is_smb = true;
                    detail.smb1_accepted = Some(false);
                }
                Err(e) => s.note(format!("SMB1 negotiate: {e}")),
            },
            // A server without SMB1 (Windows with it removed) drops the
            // connection; that counts once the second negotiate shows an
            // SMB server.
            Reply::Closed => closed_on_smb1 = true,
            Reply::Silent => s.note("no answer to the SMB1 negotiate"),
            Reply::Garbage(e) => {
                s.note(format!("SMB1 negotiate: {e}"));
                // Another protocol answered: a second negotiate would learn
                // nothing, and the port's name would be wrong.
                if matches!(e, SmbError::NotNetbios(_) | SmbError::NotSmb) {
                    return;
                }
            }
            Reply::Failed(e) => s.note(format!("SMB1 negotiate: {e}")),
        }
    }

    // Connection 2: SMB 2.0.2 to 3.1.1.
    match s.reconnect().await {
        Ok(mut stream) => {
            let reply = exchange(
                &mut stream,
                netbios_session,
                &smb2::negotiate_request(),
                wait,
                max,
            )
            .await;
            drop(stream);
            match reply {
                Reply::Message(msg) => match smb2::parse_negotiate_response(&msg) {
                    Ok(n) => {
                        is_smb = true;
                        detail.smb2_dialect = Some(smb2::dialect_name(n.dialect));
                        detail.signing_required = Some(n.signing_required);
                    }
                    Err(e @ (SmbError::Status(_) | SmbError::Smb1Answer)) => {
                        is_smb = true;
                        s.note(format!("SMB2 negotiate: {e}"));
                    }
                    Err(e) => s.note(format!("SMB2 negotiate: {e}")),
                },
                Reply::Closed => s.note("SMB2 negotiate: connection closed (SMB1-only server?)"),
                Reply::Silent => s.note("no answer to the SMB2 negotiate"),
                Reply::Garbage(e) => s.note(format!("SMB2 negotiate: {e}")),
                Reply::Failed(e) => s.note(format!("SMB2 negotiate: {e}")),
            }
        }
        Err(e) => s.note(format!("could not reconnect for the SMB2 negotiate: {e}")),
    }

    if is_smb && closed_on_smb1 {
        detail.smb1_accepted = Some(false);
    }
    // An SMB1-only server answers no SMB2 negotiate: its SMB1 security
    // mode is then the only word on signing.
    if detail.signing_required.is_none() {
        detail.signing_required = smb1_signing;
    }
    finish(s, detail, is_smb);
}

/// Records the result: found by the probe when anything answered as SMB,
/// else (silence, closes, broken answers) by the port number alone, the
/// detail left empty.
fn finish(s: &mut Session<'_>, detail: SmbDetail, is_smb: bool) {
    if is_smb {
        s.found("smb", IdentifiedBy::Probe);
        s.obs.detail = ServiceDetail::Smb(detail);
    } else if s.obs.service.is_none() {
        s.found("smb", IdentifiedBy::Port);
    }
}

/// On port 139 a NetBIOS session request first, then `request` framed;
/// returns the first SMB message of the answer.
async fn exchange(
    stream: &mut TcpStream,
    netbios_session: bool,
    request: &[u8],
    wait: Duration,
    max: usize,
) -> Reply {
    if netbios_session {
        let hello = netbios::session_request("*SMBSERVER", "TRUSTWATCH");
        if let Err(e) = io::write_all(stream, &hello, wait).await {
            return write_failed(e);
        }
        match read_packet(stream, wait, max).await {
            Ok(bytes) => {
                if let Err(e) = netbios::parse_session_response(&bytes) {
                    return Reply::Garbage(e);
                }
            }
            Err(reply) => return reply,
        }
    }
    if let Err(e) = io::write_all(stream, &netbios::frame(request), wait).await {
        return write_failed(e);
    }
    match read_packet(stream, wait, max).await {
        Ok(bytes) => match netbios::first_message(&bytes) {
            Ok(msg) => Reply::Message(msg.to_vec()),
            Err(e) => Reply::Garbage(e),
        },
        Err(reply) => reply,
    }
}

/// A write that fails because the peer hung up is a close like any other.
fn write_failed(e: std::io::Error) -> Reply {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
    if matches!(e.kind(), BrokenPipe | ConnectionAborted | ConnectionReset) {
        Reply::Closed
    } else {
        Reply::Failed(e.to_string())
    }
}

/// Reads one NetBIOS packet; `Err` carries the reply that ends the
/// exchange. [`io::read_until`] returns nothing both at EOF and at the
/// deadline, so the clock tells them apart: nothing, well before the
/// deadline, means the peer closed.
async fn read_packet(stream: &mut TcpStream, wait: Duration, max: usize) -> Result<Vec<u8>, Reply> {
    let start = Instant::now();
    let bytes = match io::read_until(stream, wait, max, netbios::packet_complete).await {
        Ok(bytes) => bytes,
        // A reset before any byte: the server refused to talk.
        Err(_) => return Err(Reply::Closed),
    };
    if bytes.is_empty() {
        return Err(if start.elapsed() < wait {
            Reply::Closed
        } else {
            Reply::Silent
        });
    }
    Ok(bytes)
}

/// For [`super::parse`] (fuzzing and tests): what identification reads
/// from a NetBIOS answer; true when it holds a session message.
pub(super) fn parse_netbios(bytes: &[u8]) -> bool {
    netbios::packet_complete(bytes);
    let _ = netbios::parse_session_response(bytes);
    netbios::first_message(bytes).is_ok()
}

/// For [`super::parse`]: whether `msg` reads as an answer to the SMB1
/// negotiate.
pub(super) fn parse_smb1_negotiate(msg: &[u8]) -> bool {
    smb1::parse_negotiate_response(msg).is_ok()
}

/// For [`super::parse`]: whether `msg` reads as an answer to the SMB2
/// negotiate (its dialect named as the detail names it).
pub(super) fn parse_smb2_negotiate(msg: &[u8]) -> bool {
    smb2::parse_negotiate_response(msg)
        .map(|n| smb2::dialect_name(n.dialect))
        .is_ok()
}
