//! RDP: whether the server accepts standard RDP security (RDP-002) and
//! whether it insists on NLA/CredSSP (RDP-001), from the X.224 connection
//! negotiation alone.
//!
//! Probe 1 asks for standard RDP security only. A server that selects it
//! (or sends no negotiation data: one older than RDP 5.2) accepts it; one
//! that answers HYBRID_REQUIRED_BY_SERVER requires NLA. One that answers
//! SSL_REQUIRED_BY_SERVER is asked again on a second connection, for TLS
//! only: HYBRID_REQUIRED_BY_SERVER there means NLA is required, TLS
//! selected means it is not. Each connection is closed after its Connection
//! Confirm: no TLS, no CredSSP, no credentials.
//!
//! The product is left unset: Windows and xrdp confirm alike (xrdp even
//! copies Windows' source reference 0x1234), and we do not guess.

mod x224;

use std::time::Duration;

use tokio::net::TcpStream;
use trustwatch_rules::observe::{IdentifiedBy, RdpDetail, ServiceDetail};

use super::{io, Session};
use x224::{Negotiation, X224Error};

/// How one connection request ended.
#[derive(Debug)]
enum Outcome {
    Confirmed(Negotiation),
    Refused(X224Error),
    Closed,
    Failed(String),
}

pub(super) async fn identify(s: &mut Session<'_>) {
    if !s.may_send() {
        return;
    }
    let wait = s.opts.io_timeout;
    let max = s.opts.max_read;
    let Some(mut stream) = s.stream.take() else {
        return;
    };
    let first = negotiate(&mut stream, x224::PROTOCOL_RDP, wait, max).await;
    drop(stream);
    let mut detail = RdpDetail::default();
    let mut is_rdp = true;
    let mut ask_for_tls = false;
    match first {
        Outcome::Confirmed(Negotiation::Absent) => {
            detail
                .selected
                .push(x224::protocol_name(x224::PROTOCOL_RDP));
            detail.standard_security_accepted = Some(true);
            detail.nla_required = Some(false);
            s.note("no RDP negotiation data: a server older than RDP 5.2");
        }
        Outcome::Confirmed(Negotiation::Selected { protocol, .. }) => {
            detail.selected.push(x224::protocol_name(protocol));
            detail.standard_security_accepted = Some(protocol == x224::PROTOCOL_RDP);
            if protocol == x224::PROTOCOL_RDP {
                detail.nla_required = Some(false);
            } else {
                s.note("the server selected a protocol that was not offered");
            }
        }
        Outcome::Confirmed(Negotiation::Failure(code)) => {
            detail.failures.push(x224::failure_name(code));
            detail.standard_security_accepted = Some(false);
            match code {
                x224::HYBRID_REQUIRED_BY_SERVER => {
                    detail
                        .selected
                        .push(x224::protocol_name(x224::PROTOCOL_HYBRID));
                    detail.nla_required = Some(true);
                }
                x224::SSL_REQUIRED_BY_SERVER => {
                    detail
                        .selected
                        .push(x224::protocol_name(x224::PROTOCOL_SSL));
                    ask_for_tls = true;
                }
                _ => {}
            }
        }
        Outcome::Refused(e) => {
            s.note(format!("X.224 connection request: {e}"));
            match e {
                // A TPKT all the same: an RDP server refusing us.
                X224Error::Disconnect | X224Error::UnexpectedTpdu(_) => {}
                // Another protocol answered: the port's name would be wrong.
                X224Error::NotTpkt(..) => return,
                _ => is_rdp = false,
            }
        }
        Outcome::Closed => {
            is_rdp = false;
            s.note("no answer to the X.224 connection request");
        }
        Outcome::Failed(e) => {
            is_rdp = false;
            s.note(format!("X.224 connection request: {e}"));
        }
    }

    if ask_for_tls {
        tls_only(s, &mut detail, wait, max).await;
    }

    if is_rdp {
        s.found("rdp", IdentifiedBy::Probe);
        s.obs.detail = ServiceDetail::Rdp(detail);
    } else if s.obs.service.is_none() {
        s.found("rdp", IdentifiedBy::Port);
    }
}

/// Probe 2, for a server that demanded TLS: does it take TLS alone, or
/// does it want CredSSP on top?
async fn tls_only(s: &mut Session<'_>, detail: &mut RdpDetail, wait: Duration, max: usize) {
    let mut stream = match s.reconnect().await {
        Ok(stream) => stream,
        Err(e) => {
            s.note(format!("could not reconnect to ask for TLS only: {e}"));
            return;
        }
    };
    let second = negotiate(&mut stream, x224::PROTOCOL_SSL, wait, max).await;
    drop(stream);
    match second {
        Outcome::Confirmed(Negotiation::Selected { protocol, .. }) => {
            push_unique(&mut detail.selected, x224::protocol_name(protocol));
            if protocol == x224::PROTOCOL_SSL {
                detail.nla_required = Some(false);
            } else {
                s.note("the server selected a protocol that was not offered");
            }
        }
        Outcome::Confirmed(Negotiation::Failure(code)) => {
            push_unique(&mut detail.failures, x224::failure_name(code));
            if code == x224::HYBRID_REQUIRED_BY_SERVER {
                push_unique(
                    &mut detail.selected,
                    x224::protocol_name(x224::PROTOCOL_HYBRID),
                );
                detail.nla_required = Some(true);
            }
        }
        Outcome::Confirmed(Negotiation::Absent) => {
            s.note("no negotiation data in the answer to a TLS-only request");
        }
        Outcome::Refused(e) => s.note(format!("TLS-only connection request: {e}")),
        Outcome::Closed => s.note("no answer to the TLS-only connection request"),
        Outcome::Failed(e) => s.note(format!("TLS-only connection request: {e}")),
    }
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Sends one Connection Request and reads the Confirm.
async fn negotiate(stream: &mut TcpStream, requested: u32, wait: Duration, max: usize) -> Outcome {
    let request = x224::connection_request(requested);
    if let Err(e) = io::write_all(stream, &request, wait).await {
        return Outcome::Failed(e.to_string());
    }
    match io::read_until(stream, wait, max, x224::tpkt_complete).await {
        Ok(bytes) if bytes.is_empty() => Outcome::Closed,
        Ok(bytes) => match x224::parse_connection_confirm(&bytes) {
            Ok(n) => Outcome::Confirmed(n),
            Err(e) => Outcome::Refused(e),
        },
        Err(_) => Outcome::Closed,
    }
}

/// For [`super::parse`] (fuzzing and tests): whether `bytes` read as an
/// X.224 Connection Confirm, its protocol or failure named as the detail
/// names it.
pub(super) fn parse_confirm(bytes: &[u8]) -> bool {
    x224::tpkt_complete(bytes);
    match x224::parse_connection_confirm(bytes) {
        Ok(Negotiation::Selected { protocol, .. }) => {
            x224::protocol_name(protocol);
        }
        Ok(Negotiation::Failure(code)) => {
            x224::failure_name(code);
        }
        Ok(Negotiation::Absent) => {}
        Err(_) => return false,
    }
    true
}
