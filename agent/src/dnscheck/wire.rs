//! DNS messages the resolver cannot send, built and read with
//! hickory-proto: a recursive query straight to one server, a DNSKEY
//! question with the DO bit, and a zone transfer over TCP.
//!
//! Every exchange is bounded: a connect and each read wait at most the
//! timeout, a transfer reads at most [`AXFR_MAX_MESSAGES`] messages within
//! [`AXFR_DEADLINE_FACTOR`] timeouts, and a UDP socket skips at most a few
//! datagrams that are not the answer.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Edns, Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{timeout, Instant};

use trustwatch_rules::observe::AxfrProbe;

/// Messages of a transfer read before stopping: enough to show a zone is
/// handed out without pulling a large one.
pub const AXFR_MAX_MESSAGES: usize = 64;
/// A transfer may take this many timeouts in all.
pub const AXFR_DEADLINE_FACTOR: u32 = 3;
/// Owner names kept as a sample of a transferred zone.
const SAMPLE: usize = 8;
/// Datagrams with the wrong id skipped before giving up.
const STRAY_DATAGRAMS: usize = 4;

/// A response code as the protocol names it (`NOERROR`, `REFUSED`…).
pub fn rcode_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".into(),
        ResponseCode::FormErr => "FORMERR".into(),
        ResponseCode::ServFail => "SERVFAIL".into(),
        ResponseCode::NXDomain => "NXDOMAIN".into(),
        ResponseCode::NotImp => "NOTIMP".into(),
        ResponseCode::Refused => "REFUSED".into(),
        ResponseCode::NotAuth => "NOTAUTH".into(),
        other => format!("RCODE{}", u16::from(other)),
    }
}

/// A query for `name` `rtype`, fully qualified.
pub fn query(name: &str, rtype: RecordType, recursion: bool) -> Result<Message, String> {
    let fqdn = Name::from_ascii(format!("{}.", name.trim_end_matches('.')))
        .map_err(|e| format!("{name:?} is not a valid DNS name ({e})"))?;
    let mut msg = Message::query();
    msg.add_query(Query::query(fqdn, rtype));
    msg.metadata.recursion_desired = recursion;
    Ok(msg)
}

/// Adds EDNS with the DO bit (RFC 3225) and a payload that avoids
/// fragmentation (1232 bytes, the DNS flag day 2020 value).
pub fn with_dnssec_ok(mut msg: Message) -> Message {
    let mut edns = Edns::new();
    edns.set_max_payload(1232).set_dnssec_ok(true);
    msg.set_edns(edns);
    msg
}

/// Sends `msg` over UDP to `addr` and reads its answer.
pub async fn udp(addr: SocketAddr, msg: &Message, wait: Duration) -> Result<Message, String> {
    let bytes = msg.to_vec().map_err(|e| format!("encode: {e}"))?;
    let local: SocketAddr = if addr.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| format!("bind: {e}"))?;
    socket
        .connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    socket
        .send(&bytes)
        .await
        .map_err(|e| format!("send to {addr}: {e}"))?;
    let deadline = Instant::now() + wait;
    let mut buf = vec![0u8; 65_535];
    for _ in 0..=STRAY_DATAGRAMS {
        let n = match tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
            Err(_) => return Err("timed out".into()),
            Ok(Err(e)) => return Err(format!("receive from {addr}: {e}")),
            Ok(Ok(n)) => n,
        };
        match Message::from_vec(&buf[..n]) {
            Ok(answer) if answer.metadata.id == msg.metadata.id => return Ok(answer),
            // A stray or garbled datagram: wait for the real answer.
            _ => continue,
        }
    }
    Err(format!("no answer from {addr} matched the question"))
}

/// Sends `msg` over TCP and reads one answer (RFC 7766 framing).
pub async fn tcp(addr: SocketAddr, msg: &Message, wait: Duration) -> Result<Message, String> {
    let mut stream = connect(addr, wait).await?;
    send(&mut stream, msg, wait).await?;
    match read_message(&mut stream, Instant::now() + wait).await? {
        Some(answer) => Ok(answer),
        None => Err(format!("{addr} closed the connection without answering")),
    }
}

/// UDP, then TCP when the answer was truncated.
pub async fn exchange(addr: SocketAddr, msg: &Message, wait: Duration) -> Result<Message, String> {
    let answer = udp(addr, msg, wait).await?;
    if answer.metadata.truncation {
        tcp(addr, msg, wait).await
    } else {
        Ok(answer)
    }
}

async fn connect(addr: SocketAddr, wait: Duration) -> Result<TcpStream, String> {
    match timeout(wait, TcpStream::connect(addr)).await {
        Err(_) => Err("connect timed out".into()),
        Ok(Err(e)) => Err(format!("connect {addr}: {e}")),
        Ok(Ok(s)) => Ok(s),
    }
}

async fn send(stream: &mut TcpStream, msg: &Message, wait: Duration) -> Result<(), String> {
    let bytes = msg.to_vec().map_err(|e| format!("encode: {e}"))?;
    let len = u16::try_from(bytes.len()).map_err(|_| "question too long".to_owned())?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(&bytes);
    match timeout(wait, stream.write_all(&framed)).await {
        Err(_) => Err("send timed out".into()),
        Ok(Err(e)) => Err(format!("send: {e}")),
        Ok(Ok(())) => Ok(()),
    }
}

/// One framed message; `None` when the peer closed before a length.
async fn read_message(
    stream: &mut TcpStream,
    deadline: Instant,
) -> Result<Option<Message>, String> {
    let mut len = [0u8; 2];
    match tokio::time::timeout_at(deadline, stream.read_exact(&mut len)).await {
        Err(_) => return Err("timed out".into()),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(None),
        Ok(Err(e)) => return Err(format!("read: {e}")),
        Ok(Ok(_)) => {}
    }
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
    match tokio::time::timeout_at(deadline, stream.read_exact(&mut body)).await {
        Err(_) => return Err("timed out".into()),
        Ok(Err(e)) => return Err(format!("read: {e}")),
        Ok(Ok(_)) => {}
    }
    Message::from_vec(&body)
        .map(Some)
        .map_err(|e| format!("unreadable answer: {e}"))
}

/// Asks `addr` for a zone transfer of `zone` and judges what came back.
pub async fn axfr(addr: SocketAddr, zone: &str, wait: Duration) -> AxfrProbe {
    let msg = match query(zone, RecordType::AXFR, false) {
        Ok(m) => m,
        Err(reason) => return AxfrProbe::NoAnswer { reason },
    };
    let mut stream = match timeout(wait, TcpStream::connect(addr)).await {
        Err(_) => {
            return AxfrProbe::NoAnswer {
                reason: "connect timed out".into(),
            }
        }
        // Nothing listening on TCP: no transfer can be had.
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return AxfrProbe::Refused {
                reason: "TCP connection refused".into(),
            }
        }
        Ok(Err(e)) => {
            return AxfrProbe::NoAnswer {
                reason: format!("connect {addr}: {e}"),
            }
        }
        Ok(Ok(s)) => s,
    };
    if let Err(reason) = send(&mut stream, &msg, wait).await {
        return AxfrProbe::NoAnswer { reason };
    }
    let deadline = Instant::now() + wait.saturating_mul(AXFR_DEADLINE_FACTOR);
    let mut records = 0usize;
    let mut soas = 0usize;
    let mut sample: Vec<String> = Vec::new();
    for i in 0..AXFR_MAX_MESSAGES {
        let answer = match read_message(&mut stream, deadline).await {
            Ok(Some(a)) => a,
            Ok(None) if i == 0 => {
                return AxfrProbe::Refused {
                    reason: "the server closed the connection without an answer".into(),
                }
            }
            Ok(None) => break,
            Err(reason) if i == 0 => return AxfrProbe::NoAnswer { reason },
            // Part of the zone has already come: that is the finding.
            Err(_) => break,
        };
        let code = answer.metadata.response_code;
        if code != ResponseCode::NoError {
            if records == 0 {
                return AxfrProbe::Refused {
                    reason: rcode_name(code),
                };
            }
            break;
        }
        if i == 0 && answer.answers.first().map(|r| r.record_type()) != Some(RecordType::SOA) {
            return AxfrProbe::Refused {
                reason: "the answer did not start with the zone's SOA".into(),
            };
        }
        for r in &answer.answers {
            records += 1;
            if r.record_type() == RecordType::SOA {
                soas += 1;
            }
            let owner = crate::dns::answer::normalise(&r.name.to_ascii());
            if sample.len() < SAMPLE && !sample.contains(&owner) {
                sample.push(owner);
            }
        }
        // RFC 5936 section 2.2: the transfer ends with the SOA again.
        if soas >= 2 {
            break;
        }
    }
    AxfrProbe::Allowed { records, sample }
}
