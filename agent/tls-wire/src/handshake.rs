//! Handshake message framing: a one-byte type and a three-byte length,
//! possibly spread over several records or several to a record.

use crate::error::WireError;
use crate::record::{encode_records, ContentType};

/// Handshake message types a scanner meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeType;

impl HandshakeType {
    pub const HELLO_REQUEST: u8 = 0;
    pub const CLIENT_HELLO: u8 = 1;
    pub const SERVER_HELLO: u8 = 2;
    pub const CERTIFICATE: u8 = 11;
    pub const SERVER_KEY_EXCHANGE: u8 = 12;
    pub const CERTIFICATE_REQUEST: u8 = 13;
    pub const SERVER_HELLO_DONE: u8 = 14;
    pub const CERTIFICATE_STATUS: u8 = 22;

    /// A name for reasons and errors.
    pub fn name(typ: u8) -> &'static str {
        match typ {
            0 => "HelloRequest",
            1 => "ClientHello",
            2 => "ServerHello",
            4 => "NewSessionTicket",
            8 => "EncryptedExtensions",
            11 => "Certificate",
            12 => "ServerKeyExchange",
            13 => "CertificateRequest",
            14 => "ServerHelloDone",
            15 => "CertificateVerify",
            16 => "ClientKeyExchange",
            20 => "Finished",
            22 => "CertificateStatus",
            _ => "handshake",
        }
    }
}

/// One complete handshake message borrowed from a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeMessage<'a> {
    pub typ: u8,
    pub body: &'a [u8],
}

impl<'a> HandshakeMessage<'a> {
    /// The first complete message of `buf` and the bytes it took, or
    /// `Ok(None)` when more are needed. A declared length beyond `limit` is
    /// refused at once, before the body is waited for or buffered.
    pub fn parse(
        buf: &'a [u8],
        limit: usize,
    ) -> Result<Option<(HandshakeMessage<'a>, usize)>, WireError> {
        if buf.len() < 4 {
            return Ok(None);
        }
        let typ = buf[0];
        let len = usize::from(buf[1]) << 16 | usize::from(buf[2]) << 8 | usize::from(buf[3]);
        if len > limit {
            return Err(WireError::MessageTooLong {
                what: HandshakeType::name(typ),
                len,
                limit,
            });
        }
        if buf.len() < 4 + len {
            return Ok(None);
        }
        Ok(Some((
            HandshakeMessage {
                typ,
                body: &buf[4..4 + len],
            },
            4 + len,
        )))
    }

    /// The message with its four-byte header.
    pub fn encode(typ: u8, body: &[u8]) -> Result<Vec<u8>, WireError> {
        if body.len() >= 1 << 24 {
            return Err(WireError::Encode("handshake message longer than 2^24"));
        }
        let mut out = Vec::with_capacity(body.len() + 4);
        out.push(typ);
        out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        out.extend_from_slice(body);
        Ok(out)
    }

    /// The message in handshake records.
    pub fn encode_records(typ: u8, body: &[u8], record_version: u16) -> Result<Vec<u8>, WireError> {
        Ok(encode_records(
            ContentType::Handshake,
            record_version,
            &Self::encode(typ, body)?,
        ))
    }
}

/// Every complete message of `buf` (tests and tools; the flight parser
/// reads incrementally).
pub fn split_messages(buf: &[u8], limit: usize) -> Result<Vec<HandshakeMessage<'_>>, WireError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some((msg, used)) = HandshakeMessage::parse(&buf[pos..], limit)? {
        out.push(msg);
        pos += used;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_refuses_oversized_messages() {
        let mut buf = HandshakeMessage::encode(14, &[]).unwrap();
        buf.extend(HandshakeMessage::encode(11, &[1, 2, 3]).unwrap());
        let msgs = split_messages(&buf, 100).unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[1].body, &[1, 2, 3]);
        // A Certificate claiming 16 MiB is refused from its header.
        let err = HandshakeMessage::parse(&[11, 0xff, 0xff, 0xff], 1000).unwrap_err();
        assert_eq!(
            err,
            WireError::MessageTooLong {
                what: "Certificate",
                len: 0xff_ffff,
                limit: 1000
            }
        );
        assert_eq!(HandshakeMessage::parse(&[11, 0, 0, 5, 1], 1000), Ok(None));
    }
}
