//! LDAP StartTLS (RFC 4511 §4.14): an ExtendedRequest named
//! 1.3.6.1.4.1.1466.20037, answered by an ExtendedResponse with resultCode 0.
//!
//! Only the few BER forms LDAP uses (RFC 4511 §5.1: definite lengths, single
//! byte tags) are decoded; anything else is a broken server.

use std::fmt;

use super::wire::{quote, Wire};
use super::Refusal;
use crate::net::Unreachable;

const STARTTLS_OID: &[u8] = b"1.3.6.1.4.1.1466.20037";
const MESSAGE_ID: i64 = 1;
/// The largest response accepted: a StartTLS answer is a few dozen bytes.
pub(crate) const MAX_MESSAGE: usize = 16 * 1024;

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const ENUMERATED: u8 = 0x0a;
const OCTET_STRING: u8 = 0x04;
/// [APPLICATION 23] constructed: ExtendedRequest.
const EXTENDED_REQUEST: u8 = 0x77;
/// [APPLICATION 24] constructed: ExtendedResponse.
const EXTENDED_RESPONSE: u8 = 0x78;
/// [0] primitive: ExtendedRequest.requestName.
const REQUEST_NAME: u8 = 0x80;

/// A BER encoding LDAP does not allow, or a message that is cut short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BadBer {
    Truncated,
    IndefiniteLength,
    TooLong(usize),
    Tag { expected: u8, found: u8 },
    Integer,
}

impl fmt::Display for BadBer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadBer::Truncated => f.write_str("a truncated LDAP message"),
            BadBer::IndefiniteLength => f.write_str("an LDAP message of indefinite length"),
            BadBer::TooLong(n) => write!(f, "an LDAP message of {n} bytes (limit {MAX_MESSAGE})"),
            BadBer::Tag { expected, found } => {
                write!(f, "BER tag 0x{found:02x} where 0x{expected:02x} belongs")
            }
            BadBer::Integer => f.write_str("a malformed BER integer"),
        }
    }
}

/// The StartTLS ExtendedRequest with message id `id` (1 to 127).
pub(crate) fn request(id: u8) -> Vec<u8> {
    let name = tlv(REQUEST_NAME, STARTTLS_OID);
    let op = tlv(EXTENDED_REQUEST, &name);
    let mut body = tlv(INTEGER, &[id]);
    body.extend_from_slice(&op);
    tlv(SEQUENCE, &body)
}

/// Short-form only: everything we send is under 128 bytes.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    debug_assert!(content.len() < 0x80);
    let mut out = vec![tag, content.len() as u8];
    out.extend_from_slice(content);
    out
}

/// How many length bytes follow a first length byte `b`.
pub(crate) fn extra_length_bytes(b: u8) -> Result<usize, BadBer> {
    match b {
        0x80 => Err(BadBer::IndefiniteLength),
        0x81..=0x84 => Ok(usize::from(b & 0x7f)),
        0x85..=0xff => Err(BadBer::TooLong(usize::MAX)),
        _ => Ok(0),
    }
}

/// The content length from a first length byte and its extra bytes.
pub(crate) fn content_length(first: u8, extra: &[u8]) -> Result<usize, BadBer> {
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        extra.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b))
    };
    if len > MAX_MESSAGE {
        Err(BadBer::TooLong(len))
    } else {
        Ok(len)
    }
}

/// One tag-length-value: (tag, content, rest).
fn next(input: &[u8]) -> Result<(u8, &[u8], &[u8]), BadBer> {
    let (&tag, rest) = input.split_first().ok_or(BadBer::Truncated)?;
    let (&first, rest) = rest.split_first().ok_or(BadBer::Truncated)?;
    let extra = extra_length_bytes(first)?;
    let (len_bytes, rest) = rest.split_at_checked(extra).ok_or(BadBer::Truncated)?;
    let len = content_length(first, len_bytes)?;
    let (content, rest) = rest.split_at_checked(len).ok_or(BadBer::Truncated)?;
    Ok((tag, content, rest))
}

fn expect(input: &[u8], expected: u8) -> Result<(&[u8], &[u8]), BadBer> {
    let (found, content, rest) = next(input)?;
    if found == expected {
        Ok((content, rest))
    } else {
        Err(BadBer::Tag { expected, found })
    }
}

fn integer(content: &[u8]) -> Result<i64, BadBer> {
    if content.is_empty() || content.len() > 4 {
        return Err(BadBer::Integer);
    }
    let negative = content[0] & 0x80 != 0;
    let start: i64 = if negative { -1 } else { 0 };
    Ok(content.iter().fold(start, |n, &b| (n << 8) | i64::from(b)))
}

/// The parts of an ExtendedResponse StartTLS needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtendedResponse {
    pub message_id: i64,
    pub result_code: i64,
    pub diagnostic: String,
}

/// Decodes one whole LDAPMessage that must be an ExtendedResponse.
pub(crate) fn parse_response(message: &[u8]) -> Result<ExtendedResponse, BadBer> {
    let (body, _) = expect(message, SEQUENCE)?;
    let (id, body) = expect(body, INTEGER)?;
    let (op, _controls) = expect(body, EXTENDED_RESPONSE)?;
    let (code, op) = expect(op, ENUMERATED)?;
    let (_matched_dn, op) = expect(op, OCTET_STRING)?;
    let (diagnostic, _rest) = expect(op, OCTET_STRING)?;
    Ok(ExtendedResponse {
        message_id: integer(id)?,
        result_code: integer(code)?,
        diagnostic: String::from_utf8_lossy(diagnostic).into_owned(),
    })
}

/// RFC 4511 §4.1.9 names of the result codes a StartTLS refusal carries.
fn result_name(code: i64) -> &'static str {
    match code {
        1 => " operationsError",
        2 => " protocolError",
        12 => " unavailableCriticalExtension",
        52 => " unavailable",
        53 => " unwillingToPerform",
        80 => " other",
        _ => "",
    }
}

pub(super) async fn upgrade(wire: &mut Wire) -> Result<(), Refusal> {
    wire.send(&request(MESSAGE_ID as u8)).await?;
    let head = wire.exact(2).await?;
    let extra = extra_length_bytes(head[1]).map_err(|bad| answered(wire, bad))?;
    let len_bytes = wire.exact(extra).await?;
    let len = content_length(head[1], &len_bytes).map_err(|bad| answered(wire, bad))?;
    let content = wire.exact(len).await?;
    let message = [head, len_bytes, content].concat();
    let response = parse_response(&message).map_err(|bad| answered(wire, bad))?;
    if response.message_id == 0 {
        return Err(wire.refuse(format_args!(
            "ended the session (notice of disconnection: {})",
            quote(&response.diagnostic)
        )));
    }
    if response.message_id != MESSAGE_ID {
        return Err(wire.refuse(format_args!(
            "answered message {} instead of StartTLS (message {MESSAGE_ID})",
            response.message_id
        )));
    }
    if response.result_code != 0 {
        return Err(wire.refuse(format_args!(
            "refused StartTLS (result code {}{}: {})",
            response.result_code,
            result_name(response.result_code),
            quote(&response.diagnostic)
        )));
    }
    Ok(())
}

fn answered(wire: &Wire, bad: BadBer) -> Unreachable {
    wire.fail(format_args!("answered StartTLS with {bad}"))
}

#[cfg(test)]
mod tests;
