//! SSL 2.0: its own record header, CLIENT-HELLO and SERVER-HELLO. Only the
//! hello exchange is needed to learn that a server still speaks it and
//! which cipher kinds it offers.

use crate::error::{first_bytes, WireError};
use crate::reader::Reader;

/// SSL 2.0 cipher kinds (three-byte codes) and their names.
pub const SSL2_CIPHER_KINDS: &[(u32, &str)] = &[
    (0x010080, "SSL_CK_RC4_128_WITH_MD5"),
    (0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5"),
    (0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5"),
    (0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5"),
    (0x050080, "SSL_CK_IDEA_128_CBC_WITH_MD5"),
    (0x060040, "SSL_CK_DES_64_CBC_WITH_MD5"),
    (0x0700C0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5"),
];

pub(crate) const MSG_ERROR: u8 = 0;
const MSG_CLIENT_HELLO: u8 = 1;
pub(crate) const MSG_SERVER_HELLO: u8 = 4;
const SSL2_VERSION: u16 = 0x0002;

/// The name of a cipher kind, if it is one of the seven.
pub fn cipher_kind_name(kind: u32) -> Option<&'static str> {
    SSL2_CIPHER_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, n)| *n)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ssl2ClientHello {
    pub cipher_kinds: Vec<u32>,
    /// 16 to 32 bytes.
    pub challenge: Vec<u8>,
}

impl Ssl2ClientHello {
    /// The CLIENT-HELLO in its two-byte-header record.
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        if !(16..=32).contains(&self.challenge.len()) {
            return Err(WireError::Encode(
                "SSL 2.0 challenge must be 16 to 32 bytes",
            ));
        }
        let mut msg = vec![MSG_CLIENT_HELLO];
        msg.extend_from_slice(&SSL2_VERSION.to_be_bytes());
        let specs_len = u16::try_from(self.cipher_kinds.len() * 3)
            .map_err(|_| WireError::Encode("too many SSL 2.0 cipher kinds"))?;
        msg.extend_from_slice(&specs_len.to_be_bytes());
        msg.extend_from_slice(&0u16.to_be_bytes()); // no session id
        msg.extend_from_slice(&(self.challenge.len() as u16).to_be_bytes());
        for kind in &self.cipher_kinds {
            msg.extend_from_slice(&kind.to_be_bytes()[1..]);
        }
        msg.extend_from_slice(&self.challenge);
        if msg.len() > 0x7fff {
            return Err(WireError::Encode("SSL 2.0 record longer than 32767 bytes"));
        }
        let mut out = vec![0x80 | (msg.len() >> 8) as u8, msg.len() as u8];
        out.extend(msg);
        Ok(out)
    }

    /// Decodes a CLIENT-HELLO message (after the record header).
    pub fn decode(msg: &[u8]) -> Result<Ssl2ClientHello, WireError> {
        const WHAT: &str = "SSL 2.0 CLIENT-HELLO";
        let mut r = Reader::new(msg);
        if r.u8(WHAT)? != MSG_CLIENT_HELLO {
            return Err(WireError::Malformed {
                what: WHAT,
                problem: "not a CLIENT-HELLO",
            });
        }
        let _version = r.u16(WHAT)?;
        let specs = usize::from(r.u16(WHAT)?);
        let session = usize::from(r.u16(WHAT)?);
        let challenge = usize::from(r.u16(WHAT)?);
        let specs = r.take(specs, WHAT)?;
        r.take(session, WHAT)?;
        let challenge = r.take(challenge, WHAT)?.to_vec();
        r.finish(WHAT)?;
        Ok(Ssl2ClientHello {
            cipher_kinds: kinds(specs, WHAT)?,
            challenge,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ssl2ServerHello {
    pub session_id_hit: bool,
    pub certificate_type: u8,
    pub version: u16,
    /// The server's X.509 certificate (DER).
    pub certificate: Vec<u8>,
    /// The cipher kinds the server supports among those offered.
    pub cipher_kinds: Vec<u32>,
    pub connection_id: Vec<u8>,
}

impl Ssl2ServerHello {
    /// Decodes a SERVER-HELLO message (after the record header).
    pub fn decode(msg: &[u8]) -> Result<Ssl2ServerHello, WireError> {
        const WHAT: &str = "SSL 2.0 SERVER-HELLO";
        let mut r = Reader::new(msg);
        if r.u8(WHAT)? != MSG_SERVER_HELLO {
            return Err(WireError::Malformed {
                what: WHAT,
                problem: "not a SERVER-HELLO",
            });
        }
        let session_id_hit = r.u8(WHAT)? != 0;
        let certificate_type = r.u8(WHAT)?;
        let version = r.u16(WHAT)?;
        let cert_len = usize::from(r.u16(WHAT)?);
        let specs_len = usize::from(r.u16(WHAT)?);
        let conn_len = usize::from(r.u16(WHAT)?);
        let certificate = r.take(cert_len, WHAT)?.to_vec();
        let specs = r.take(specs_len, WHAT)?;
        let connection_id = r.take(conn_len, WHAT)?.to_vec();
        r.finish(WHAT)?;
        Ok(Ssl2ServerHello {
            session_id_hit,
            certificate_type,
            version,
            certificate,
            cipher_kinds: kinds(specs, WHAT)?,
            connection_id,
        })
    }

    /// The SERVER-HELLO in a two-byte-header record (tests and fuzz seeds).
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let len16 =
            |n: usize| u16::try_from(n).map_err(|_| WireError::Encode("SSL 2.0 field too long"));
        let mut msg = vec![
            MSG_SERVER_HELLO,
            u8::from(self.session_id_hit),
            self.certificate_type,
        ];
        msg.extend_from_slice(&self.version.to_be_bytes());
        msg.extend_from_slice(&len16(self.certificate.len())?.to_be_bytes());
        msg.extend_from_slice(&len16(self.cipher_kinds.len() * 3)?.to_be_bytes());
        msg.extend_from_slice(&len16(self.connection_id.len())?.to_be_bytes());
        msg.extend_from_slice(&self.certificate);
        for kind in &self.cipher_kinds {
            msg.extend_from_slice(&kind.to_be_bytes()[1..]);
        }
        msg.extend_from_slice(&self.connection_id);
        if msg.len() > 0x7fff {
            return Err(WireError::Encode("SSL 2.0 record longer than 32767 bytes"));
        }
        let mut out = vec![0x80 | (msg.len() >> 8) as u8, msg.len() as u8];
        out.extend(msg);
        Ok(out)
    }
}

fn kinds(specs: &[u8], what: &'static str) -> Result<Vec<u32>, WireError> {
    if specs.len() % 3 != 0 {
        return Err(WireError::Malformed {
            what,
            problem: "cipher specs are not a multiple of three bytes",
        });
    }
    Ok(specs
        .chunks_exact(3)
        .map(|c| u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]))
        .collect())
}

/// The first complete SSL 2.0 record of `bytes` (its message, without
/// padding) and the bytes it took; `Ok(None)` when more are needed.
pub(crate) fn parse_record(bytes: &[u8]) -> Result<Option<(&[u8], usize)>, WireError> {
    let Some(&b0) = bytes.first() else {
        return Ok(None);
    };
    let (header, len, padding) = if b0 & 0x80 != 0 {
        let Some(&b1) = bytes.get(1) else {
            return Ok(None);
        };
        (2, usize::from(b0 & 0x7f) << 8 | usize::from(b1), 0)
    } else {
        // The three-byte header only carries padding for block ciphers,
        // which an unencrypted hello never needs; anything else is garbage.
        return Err(WireError::NotTls {
            first_bytes: first_bytes(bytes),
        });
    };
    if len == 0 {
        return Err(WireError::Malformed {
            what: "SSL 2.0 record",
            problem: "empty record",
        });
    }
    if bytes.len() < header + len {
        return Ok(None);
    }
    Ok(Some((&bytes[header..header + len - padding], header + len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_round_trips() {
        let hello = Ssl2ClientHello {
            cipher_kinds: SSL2_CIPHER_KINDS.iter().map(|(k, _)| *k).collect(),
            challenge: vec![9; 16],
        };
        let bytes = hello.encode().unwrap();
        assert_eq!(bytes[0], 0x80);
        assert_eq!(usize::from(bytes[1]), bytes.len() - 2);
        // Type, version 0.2, 21 bytes of specs.
        assert_eq!(&bytes[2..7], &[1, 0, 2, 0, 21]);
        let (msg, used) = parse_record(&bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(Ssl2ClientHello::decode(msg).unwrap(), hello);
    }

    #[test]
    fn server_hello_round_trips() {
        let hello = Ssl2ServerHello {
            session_id_hit: false,
            certificate_type: 1,
            version: 2,
            certificate: vec![0x30, 0x03, 1, 2, 3],
            cipher_kinds: vec![0x010080, 0x0700C0],
            connection_id: vec![5; 16],
        };
        let bytes = hello.encode().unwrap();
        let (msg, _) = parse_record(&bytes).unwrap().unwrap();
        assert_eq!(Ssl2ServerHello::decode(msg).unwrap(), hello);
        assert_eq!(parse_record(&bytes[..3]).unwrap(), None);
        for cut in 0..msg.len() {
            assert!(Ssl2ServerHello::decode(&msg[..cut]).is_err());
        }
    }

    #[test]
    fn names_cipher_kinds() {
        assert_eq!(
            cipher_kind_name(0x0700C0),
            Some("SSL_CK_DES_192_EDE3_CBC_WITH_MD5")
        );
        assert_eq!(cipher_kind_name(0x0000FF), None);
    }
}
