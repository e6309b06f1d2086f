//! The pure parsers identification runs on what a server sends, reachable
//! from outside the crate for fuzzing and tests; not a stable API.
//!
//! Each function takes bytes as a server could send them and runs the steps
//! identification takes on them: the "is the answer whole yet" check the
//! bounded read calls after every segment, the parser, and the reading of
//! the parsed facts into product names and notes. The requests, the reads
//! and the TLS handshake are left out: nothing here touches the network.
//! Most return whether the bytes were accepted; none may panic, whatever
//! the bytes (the fuzz targets in `fuzz/` and the property test in
//! `agent/tests/identify_parsers.rs` hold them to that).
//!
//! Left out: the TLS handshake of HTTPS (rustls reads those bytes, inside
//! the I/O), and a few one-line predicates private to their modules
//! (telnet's login prompt, the words of an IMAP capability list).
#![doc(hidden)]

use std::net::SocketAddr;

use tokio::net::TcpStream;
use trustwatch_rules::observe::{ServiceObservation, Transport};

use super::ssh::{ident, kex, wire};
use super::text::{ftp, ldap, mail, printer, product, reply, telnet};
use super::{io, printable_line, Dial, Hint, IdentifyOptions, Session};
use crate::probe::BoxFuture;

/// A greeting as the core reads it before choosing a module: whether it
/// is whole, its printable first line, and the service it suggests.
pub fn banner(bytes: &[u8]) -> Option<Hint> {
    io::greeting_complete(bytes);
    printable_line(bytes);
    Hint::from_banner(bytes)
}

/// An SSH greeting: text lines, then the identification string
/// (RFC 4253 §4.2), taken apart into protocol, product and version.
pub fn ssh_ident(bytes: &[u8]) -> bool {
    ident::has_ident_line(bytes);
    let Some((id, line)) = ident::find_ident(bytes) else {
        return false;
    };
    id.speaks_v2();
    printable_line(&bytes[line]);
    true
}

/// The unencrypted SSH packets after the identification string, split one
/// after another as the probe splits them; KEXINIT, KEX_ECDH_REPLY and
/// DISCONNECT payloads are read as the probe reads them. True when at
/// least one packet was whole.
pub fn ssh_packet(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    let mut any = false;
    loop {
        wire::packet_ready(rest);
        let Ok(Some((payload, used))) = wire::split_packet(rest) else {
            return any;
        };
        any = true;
        match payload.first().copied() {
            Some(kex::MSG_KEXINIT) => {
                ssh_kexinit(payload);
            }
            Some(kex::MSG_KEX_ECDH_REPLY) => {
                ssh_ecdh_reply(payload);
            }
            Some(kex::MSG_DISCONNECT) => {
                kex::disconnect_reason(payload);
            }
            _ => {}
        }
        rest = &rest[used..];
    }
}

/// A KEXINIT payload (message number included): its name-lists, the
/// algorithms the probe would choose from them, and the KEXINIT the probe
/// would answer with (it echoes the server's lists).
pub fn ssh_kexinit(payload: &[u8]) -> bool {
    let Ok(server) = kex::parse_kexinit(payload) else {
        return false;
    };
    if let (Some((kex_name, _)), Some(host_key)) = (
        kex::choose_kex(&server.kex),
        kex::choose_host_key(&server.host_key),
    ) {
        wire::frame(&kex::build_kexinit([0; 16], kex_name, host_key, &server));
    }
    true
}

/// A KEX_ECDH_REPLY payload: the host key blob in it, typed and sized.
pub fn ssh_ecdh_reply(payload: &[u8]) -> bool {
    kex::ecdh_reply_host_key(payload).is_ok_and(ssh_host_key)
}

/// A public host key blob (RFC 4253 §6.6): its type and size.
pub fn ssh_host_key(blob: &[u8]) -> bool {
    kex::parse_host_key(blob).is_ok()
}

/// A NetBIOS session service answer (RFC 1002): a session response, or
/// session messages after keep-alives.
pub fn netbios_packet(bytes: &[u8]) -> bool {
    super::smb::parse_netbios(bytes)
}

/// The SMB message answering the SMB1-only negotiate.
pub fn smb1_negotiate_response(msg: &[u8]) -> bool {
    super::smb::parse_smb1_negotiate(msg)
}

/// The SMB message answering the SMB2 negotiate.
pub fn smb2_negotiate_response(msg: &[u8]) -> bool {
    super::smb::parse_smb2_negotiate(msg)
}

/// A TPKT holding the X.224 Connection Confirm of an RDP server.
pub fn x224_confirm(bytes: &[u8]) -> bool {
    super::rdp::parse_confirm(bytes)
}

/// A TDS packet holding a PRELOGIN response (MS-TDS §2.2.6.5).
pub fn tds_prelogin(bytes: &[u8]) -> bool {
    super::mssql::parse_prelogin(bytes)
}

/// A MongoDB OP_MSG reply to buildInfo.
pub fn op_msg_reply(bytes: &[u8]) -> bool {
    super::mongodb::parse_op_msg_reply(bytes)
}

/// A BSON document's top-level fields.
pub fn bson_document(bytes: &[u8]) -> bool {
    super::mongodb::parse_bson(bytes)
}

/// A DICOM upper-layer PDU answering A-ASSOCIATE-RQ or A-RELEASE-RQ.
pub fn dicom_pdu(bytes: &[u8]) -> bool {
    super::dicom::parse_answer(bytes)
}

/// An SNMP v1/v2c GetResponse message (one UDP datagram).
pub fn snmp_message(bytes: &[u8]) -> bool {
    super::snmp::parse_message(bytes)
}

/// One BER TLV of the SNMP subset, its value read as INTEGER and OID.
pub fn ber_tlv(bytes: &[u8]) -> bool {
    super::snmp::parse_ber(bytes)
}

/// The answer to `GET /` (or an HTTP greeting): what identification
/// records of it, on a session that has no connection. `None` when it is
/// not an HTTP response.
pub fn http_response(bytes: &[u8]) -> Option<ServiceObservation> {
    let opts = IdentifyOptions::default();
    let addr = SocketAddr::from(([127, 0, 0, 1], 80));
    let mut s = Session {
        addr,
        opts: &opts,
        dialer: &Offline,
        stream: None,
        banner: Vec::new(),
        obs: ServiceObservation::open(addr.ip().to_string(), addr.port(), Transport::Tcp),
    };
    super::http::read_answer(&mut s, bytes.to_vec()).then_some(s.obs)
}

/// A dialer for a session that must not reach the network.
#[derive(Debug)]
struct Offline;

impl Dial for Offline {
    fn dial(&self, _: SocketAddr) -> BoxFuture<'_, std::io::Result<TcpStream>> {
        Box::pin(std::future::ready(Err(
            std::io::ErrorKind::Unsupported.into()
        )))
    }
}

/// An HL7 v2 answer in MLLP framing, its MSH and MSA read.
pub fn hl7_frame(bytes: &[u8]) -> bool {
    super::hl7::parse_answer(bytes)
}

/// A MySQL or MariaDB greeting: the v10 handshake or an ERR packet.
pub fn mysql_greeting(bytes: &[u8]) -> bool {
    super::mysql::parse_greeting(bytes).is_some()
}

/// A VNC greeting, `RFB 003.008\n`.
pub fn vnc_version(bytes: &[u8]) -> bool {
    super::vnc::parse_version(bytes).is_some()
}

/// A VNC security-types message, as each protocol version frames it.
pub fn vnc_security(bytes: &[u8]) -> bool {
    let mut any = false;
    for minor in [3, 7, 8] {
        match super::vnc::parse_security(minor, bytes) {
            Some(super::vnc::Security::Types(types)) => {
                super::vnc::describe(&types);
                any = true;
            }
            Some(super::vnc::Security::Refused(_)) => any = true,
            None => {}
        }
    }
    any
}

/// The answer to PostgreSQL's SSLRequest: `S`, `N` or an ErrorResponse.
pub fn postgres_ssl_answer(bytes: &[u8]) -> bool {
    super::postgres::parse_answer(bytes)
}

/// The RESP answer to Redis's `INFO server`.
pub fn redis_info_reply(bytes: &[u8]) -> bool {
    super::redis::parse_answer(bytes)
}

/// The answer to memcached's `version`.
pub fn memcached_version(bytes: &[u8]) -> bool {
    super::memcached::parse_version_answer(bytes).is_some()
}

/// A numbered reply as FTP and SMTP send them (greeting, FEAT, EHLO):
/// its lines, the product they name, and whether AUTH TLS or STARTTLS is
/// listed.
pub fn numbered_reply(bytes: &[u8]) -> bool {
    reply::numbered_done(bytes);
    let Some((_, lines)) = reply::numbered_reply(bytes) else {
        return false;
    };
    for text in &lines {
        product::find(text, product::FTP);
        product::find(text, product::SMTP);
    }
    ftp::auth_tls_offered(bytes);
    mail::smtp_starttls_offered(bytes);
    true
}

/// A POP3 greeting or CAPA answer.
pub fn pop3_reply(bytes: &[u8]) -> bool {
    reply::pop3_multi_done(bytes);
    reply::pop3_multi_lines(bytes);
    mail::pop3_stls_offered(bytes);
    let Some(first) = reply::lines(bytes).into_iter().next() else {
        return false;
    };
    product::find(&first, product::MAILBOX);
    true
}

/// An IMAP greeting or CAPABILITY answer: the product in the greeting and
/// the capability list.
pub fn imap_reply(bytes: &[u8]) -> bool {
    reply::imap_tagged_done(bytes, "a1");
    if let Some(first) = reply::lines(bytes).first() {
        let text = first.rsplit(']').next().unwrap_or(first);
        product::find(text, product::MAILBOX);
    }
    reply::imap_capabilities(bytes).is_some()
}

/// A telnet greeting: option negotiation, then text naming the system.
pub fn telnet_greeting(bytes: &[u8]) -> bool {
    let (negotiates, lines) = telnet::strip_iac(bytes);
    for line in &lines {
        product::find(line, product::TELNET);
    }
    negotiates
}

/// A printer's answer to PJL `INFO ID`.
pub fn pjl_info_id(bytes: &[u8]) -> bool {
    printer::parse_info_id(bytes).is_some()
}

/// LDAP messages answering the RootDSE search (RFC 4511), the product
/// named from them. True once the search is finished.
pub fn ldap_search_reply(bytes: &[u8]) -> bool {
    let _ = ldap::tlv(bytes);
    match ldap::parse_answer(bytes) {
        Ok(Some(dse)) => {
            ldap::product(&dse);
            true
        }
        Ok(None) | Err(_) => false,
    }
}
