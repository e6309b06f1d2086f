//! The first RDP exchange (MS-RDPBCGR §2.2.1.1, §2.2.1.2): an X.224
//! Connection Request carrying RDP_NEG_REQ inside a TPKT (T.123), and the
//! Connection Confirm carrying RDP_NEG_RSP or RDP_NEG_FAILURE.

use thiserror::Error;

pub(super) const PROTOCOL_RDP: u32 = 0x0000_0000;
pub(super) const PROTOCOL_SSL: u32 = 0x0000_0001;
pub(super) const PROTOCOL_HYBRID: u32 = 0x0000_0002;
pub(super) const PROTOCOL_RDSTLS: u32 = 0x0000_0004;
pub(super) const PROTOCOL_HYBRID_EX: u32 = 0x0000_0008;
pub(super) const PROTOCOL_RDSAAD: u32 = 0x0000_0010;

pub(super) const SSL_REQUIRED_BY_SERVER: u32 = 1;
pub(super) const HYBRID_REQUIRED_BY_SERVER: u32 = 5;

const TPKT_VERSION: u8 = 3;
const TPKT_HEADER: usize = 4;
/// X.224 TPDU codes (upper nibble).
const CONNECTION_REQUEST: u8 = 0xe0;
const CONNECTION_CONFIRM: u8 = 0xd0;
const DISCONNECT_REQUEST: u8 = 0x80;
/// rdpNegData types.
const NEG_REQ: u8 = 0x01;
const NEG_RSP: u8 = 0x02;
const NEG_FAILURE: u8 = 0x03;

/// Why a server's answer could not be read as a Connection Confirm.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(super) enum X224Error {
    #[error("truncated {0}")]
    Truncated(&'static str),
    #[error("not a TPKT (first bytes {0:02x} {1:02x})")]
    NotTpkt(u8, u8),
    #[error("TPKT length {0} is too short")]
    BadLength(usize),
    #[error("the server sent an X.224 Disconnect Request")]
    Disconnect,
    #[error("unexpected X.224 TPDU code 0x{0:02x}")]
    UnexpectedTpdu(u8),
    #[error("unknown negotiation data type 0x{0:02x}")]
    UnknownNegType(u8),
}

/// What the Connection Confirm says about security.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Negotiation {
    /// No negotiation data: a server older than RDP 5.2, which knows only
    /// standard RDP security.
    Absent,
    /// RDP_NEG_RSP: the protocol it selected, and its flags.
    Selected { protocol: u32, flags: u8 },
    /// RDP_NEG_FAILURE: the failure code.
    Failure(u32),
}

/// A Connection Request asking for `requested` protocols, with no cookie
/// or routing token: 19 bytes.
pub(super) fn connection_request(requested: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(19);
    out.extend_from_slice(&[TPKT_VERSION, 0, 0, 19]);
    // LI counts the bytes after itself: 6 of fixed header, 8 of RDP_NEG_REQ.
    out.extend_from_slice(&[14, CONNECTION_REQUEST, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&[NEG_REQ, 0]);
    out.extend_from_slice(&8u16.to_le_bytes());
    out.extend_from_slice(&requested.to_le_bytes());
    out
}

/// True once `bytes` hold the whole TPKT its header announces (or cannot
/// be a TPKT at all, so parsing can say so).
pub(super) fn tpkt_complete(bytes: &[u8]) -> bool {
    match bytes {
        [TPKT_VERSION, 0, hi, lo, ..] => bytes.len() >= usize::from(u16::from_be_bytes([*hi, *lo])),
        [_, _, _, _, ..] => true,
        [TPKT_VERSION] | [TPKT_VERSION, 0] | [TPKT_VERSION, 0, _] | [] => false,
        _ => true,
    }
}

/// Reads a Connection Confirm.
pub(super) fn parse_connection_confirm(bytes: &[u8]) -> Result<Negotiation, X224Error> {
    let header = bytes
        .get(..TPKT_HEADER)
        .ok_or(X224Error::Truncated("TPKT header"))?;
    if header[0] != TPKT_VERSION || header[1] != 0 {
        return Err(X224Error::NotTpkt(header[0], header[1]));
    }
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    // TPKT header plus the 7-byte fixed part of a CC.
    if len < TPKT_HEADER + 2 {
        return Err(X224Error::BadLength(len));
    }
    let tpdu = bytes
        .get(TPKT_HEADER..len)
        .ok_or(X224Error::Truncated("TPKT"))?;
    let li = usize::from(tpdu[0]);
    let code = tpdu[1] & 0xf0;
    match code {
        CONNECTION_CONFIRM => {}
        DISCONNECT_REQUEST => return Err(X224Error::Disconnect),
        other => return Err(X224Error::UnexpectedTpdu(other)),
    }
    // LI covers the header after itself, variable part included.
    let header = tpdu
        .get(1..1 + li)
        .ok_or(X224Error::Truncated("X.224 header"))?;
    let variable = header
        .get(6..)
        .ok_or(X224Error::Truncated("X.224 connection confirm"))?;
    if variable.is_empty() {
        return Ok(Negotiation::Absent);
    }
    let neg = variable
        .get(..8)
        .ok_or(X224Error::Truncated("RDP negotiation data"))?;
    let value = u32::from_le_bytes([neg[4], neg[5], neg[6], neg[7]]);
    match neg[0] {
        NEG_RSP => Ok(Negotiation::Selected {
            protocol: value,
            flags: neg[1],
        }),
        NEG_FAILURE => Ok(Negotiation::Failure(value)),
        other => Err(X224Error::UnknownNegType(other)),
    }
}

/// The protocol's name as `RdpDetail::selected` lists it.
pub(super) fn protocol_name(protocol: u32) -> String {
    match protocol {
        PROTOCOL_RDP => "rdp".into(),
        PROTOCOL_SSL => "ssl".into(),
        PROTOCOL_HYBRID => "hybrid".into(),
        PROTOCOL_RDSTLS => "rdstls".into(),
        PROTOCOL_HYBRID_EX => "hybrid_ex".into(),
        PROTOCOL_RDSAAD => "rdsaad".into(),
        other => format!("0x{other:08x}"),
    }
}

/// The failure code's name (MS-RDPBCGR §2.2.1.2.2).
pub(super) fn failure_name(code: u32) -> String {
    match code {
        SSL_REQUIRED_BY_SERVER => "SSL_REQUIRED_BY_SERVER".into(),
        2 => "SSL_NOT_ALLOWED_BY_SERVER".into(),
        3 => "SSL_CERT_NOT_ON_SERVER".into(),
        4 => "INCONSISTENT_FLAGS".into(),
        HYBRID_REQUIRED_BY_SERVER => "HYBRID_REQUIRED_BY_SERVER".into(),
        6 => "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER".into(),
        other => format!("UNKNOWN_0x{other:08x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::identify::mutate::mutate;

    #[test]
    fn the_request_matches_the_spec_example() {
        // MS-RDPBCGR §4.1.1 without its cookie: TPKT, X.224 CR, RDP_NEG_REQ.
        assert_eq!(
            connection_request(PROTOCOL_SSL),
            [
                0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08,
                0x00, 0x01, 0x00, 0x00, 0x00
            ]
        );
    }

    #[test]
    fn confirms_are_read() {
        // xrdp 0.9.21 with security_layer=tls, asked for standard security.
        let failure = [
            0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x03, 0x00, 0x08,
            0x00, 0x01, 0x00, 0x00, 0x00,
        ];
        assert!(tpkt_complete(&failure));
        assert!(!tpkt_complete(&failure[..18]));
        assert_eq!(
            parse_connection_confirm(&failure),
            Ok(Negotiation::Failure(SSL_REQUIRED_BY_SERVER))
        );
        // The same server asked for TLS: selected, flags 0x01.
        let selected = [
            0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x01, 0x08,
            0x00, 0x01, 0x00, 0x00, 0x00,
        ];
        assert_eq!(
            parse_connection_confirm(&selected),
            Ok(Negotiation::Selected {
                protocol: PROTOCOL_SSL,
                flags: 1
            })
        );
        // A pre-5.2 server: a bare confirm, LI 6.
        let bare = [
            0x03, 0x00, 0x00, 0x0b, 0x06, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00,
        ];
        assert_eq!(parse_connection_confirm(&bare), Ok(Negotiation::Absent));
    }

    #[test]
    fn names() {
        assert_eq!(protocol_name(PROTOCOL_HYBRID_EX), "hybrid_ex");
        assert_eq!(protocol_name(3), "0x00000003");
        assert_eq!(failure_name(5), "HYBRID_REQUIRED_BY_SERVER");
        assert_eq!(failure_name(6), "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER");
        assert_eq!(failure_name(99), "UNKNOWN_0x00000063");
    }

    #[test]
    fn hostile_answers_are_errors_not_panics() {
        let good = [
            0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x01, 0x08,
            0x00, 0x01, 0x00, 0x00, 0x00,
        ];
        for cut in 0..good.len() {
            assert!(parse_connection_confirm(&good[..cut]).is_err(), "{cut}");
        }
        // A TPKT claiming 65535 bytes.
        let mut long = good;
        long[2] = 0xff;
        long[3] = 0xff;
        assert!(!tpkt_complete(&long));
        assert_eq!(
            parse_connection_confirm(&long),
            Err(X224Error::Truncated("TPKT"))
        );
        // An LI pointing past the TPKT.
        let mut li = good;
        li[4] = 200;
        assert_eq!(
            parse_connection_confirm(&li),
            Err(X224Error::Truncated("X.224 header"))
        );
        // A TPKT length below its own header.
        let mut short = good;
        short[3] = 2;
        assert_eq!(
            parse_connection_confirm(&short),
            Err(X224Error::BadLength(2))
        );
        // An LI too short for negotiation data it claims.
        let mut partial = good;
        partial[4] = 9;
        assert_eq!(
            parse_connection_confirm(&partial),
            Err(X224Error::Truncated("RDP negotiation data"))
        );
        // A disconnect, and something else entirely.
        let dr = [
            0x03, 0x00, 0x00, 0x0b, 0x06, 0x80, 0x00, 0x00, 0x12, 0x34, 0x00,
        ];
        assert_eq!(parse_connection_confirm(&dr), Err(X224Error::Disconnect));
        assert!(tpkt_complete(b"HTTP/1.1 400 Bad Request"));
        assert_eq!(
            parse_connection_confirm(b"HTTP/1.1"),
            Err(X224Error::NotTpkt(b'H', b'T'))
        );
    }

    proptest::proptest! {
        #[test]
        fn mutated_confirms_never_panic(
            cut in proptest::prelude::any::<usize>(),
            edits in proptest::collection::vec(proptest::prelude::any::<(usize, u8)>(), 0..8),
        ) {
            let bytes = mutate(&[0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x01, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00], cut, &edits);
            let _ = tpkt_complete(&bytes);
            let _ = parse_connection_confirm(&bytes);
        }
    }
}
