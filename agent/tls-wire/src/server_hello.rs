//! The ServerHello (and TLS 1.3's HelloRetryRequest, which shares its
//! format): the version, suite, compression and extensions the server chose.

use crate::error::WireError;
use crate::handshake::{HandshakeMessage, HandshakeType};
use crate::reader::{put_vec, Reader};

/// Extension code points a scanner reads or writes.
pub mod extension {
    pub const SERVER_NAME: u16 = 0;
    pub const STATUS_REQUEST: u16 = 5;
    pub const SUPPORTED_GROUPS: u16 = 10;
    pub const EC_POINT_FORMATS: u16 = 11;
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    pub const PADDING: u16 = 21;
    pub const SUPPORTED_VERSIONS: u16 = 43;
    pub const PSK_KEY_EXCHANGE_MODES: u16 = 45;
    pub const KEY_SHARE: u16 = 51;
    pub const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// The fixed `random` that marks a HelloRetryRequest (RFC 8446 4.1.3):
/// SHA-256 of "HelloRetryRequest".
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    pub legacy_version: u16,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub cipher_suite: u16,
    pub compression: u8,
    /// `(type, body)` in the order sent. SSL 3.0 servers may send none.
    pub extensions: Vec<(u16, Vec<u8>)>,
}

impl ServerHello {
    /// Decodes a ServerHello body (after the handshake header).
    pub fn decode(body: &[u8]) -> Result<ServerHello, WireError> {
        const WHAT: &str = "ServerHello";
        let mut r = Reader::new(body);
        let legacy_version = r.u16(WHAT)?;
        let mut random = [0u8; 32];
        random.copy_from_slice(r.take(32, WHAT)?);
        let session_id = r.vec8(WHAT)?;
        if session_id.len() > 32 {
            return Err(WireError::Malformed {
                what: WHAT,
                problem: "session id longer than 32 bytes",
            });
        }
        let cipher_suite = r.u16(WHAT)?;
        let compression = r.u8(WHAT)?;
        let mut extensions = Vec::new();
        if !r.is_empty() {
            let mut list = Reader::new(r.vec16("ServerHello extensions")?);
            while !list.is_empty() {
                let typ = list.u16("ServerHello extension")?;
                let data = list.vec16("ServerHello extension")?;
                extensions.push((typ, data.to_vec()));
            }
            r.finish(WHAT)?;
        }
        Ok(ServerHello {
            legacy_version,
            random,
            session_id: session_id.to_vec(),
            cipher_suite,
            compression,
            extensions,
        })
    }

    /// The body, for tests, test servers and fuzz seeds.
    pub fn encode_body(&self) -> Result<Vec<u8>, WireError> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.legacy_version.to_be_bytes());
        out.extend_from_slice(&self.random);
        put_vec(&mut out, 1, "session id", |o| {
            o.extend_from_slice(&self.session_id);
            Ok(())
        })?;
        out.extend_from_slice(&self.cipher_suite.to_be_bytes());
        out.push(self.compression);
        if !self.extensions.is_empty() {
            let mut list = Vec::new();
            for (typ, data) in &self.extensions {
                list.extend_from_slice(&typ.to_be_bytes());
                put_vec(&mut list, 2, "extension", |o| {
                    o.extend_from_slice(data);
                    Ok(())
                })?;
            }
            put_vec(&mut out, 2, "extensions", |o| {
                o.extend_from_slice(&list);
                Ok(())
            })?;
        }
        Ok(out)
    }

    /// The whole message in handshake records.
    pub fn encode_records(&self, record_version: u16) -> Result<Vec<u8>, WireError> {
        HandshakeMessage::encode_records(
            HandshakeType::SERVER_HELLO,
            &self.encode_body()?,
            record_version,
        )
    }

    pub fn extension(&self, typ: u16) -> Option<&[u8]> {
        self.extensions
            .iter()
            .find(|(t, _)| *t == typ)
            .map(|(_, d)| d.as_slice())
    }

    pub fn has_extension(&self, typ: u16) -> bool {
        self.extension(typ).is_some()
    }

    pub fn is_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }

    /// The negotiated version: `supported_versions` when the server sent
    /// it (TLS 1.3), else the legacy field.
    pub fn version(&self) -> u16 {
        match self.extension(extension::SUPPORTED_VERSIONS) {
            Some(&[hi, lo]) => u16::from_be_bytes([hi, lo]),
            _ => self.legacy_version,
        }
    }

    /// The key-share group: the server's share in a ServerHello, the group
    /// it asks for in a HelloRetryRequest (both start with the group id).
    pub fn key_share_group(&self) -> Option<u16> {
        match self.extension(extension::KEY_SHARE) {
            Some([hi, lo, ..]) => Some(u16::from_be_bytes([*hi, *lo])),
            _ => None,
        }
    }

    /// RFC 5746: the server answered our signal with its own.
    pub fn secure_renegotiation(&self) -> bool {
        self.has_extension(extension::RENEGOTIATION_INFO)
    }

    /// The server will staple an OCSP response (TLS ≤ 1.2).
    pub fn status_request(&self) -> bool {
        self.has_extension(extension::STATUS_REQUEST)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello() -> ServerHello {
        ServerHello {
            legacy_version: 0x0303,
            random: [7; 32],
            session_id: vec![1; 32],
            cipher_suite: 0xC02F,
            compression: 1,
            extensions: vec![(extension::RENEGOTIATION_INFO, vec![0]), (5, vec![])],
        }
    }

    #[test]
    fn round_trips_and_reads_extensions() {
        let h = hello();
        let decoded = ServerHello::decode(&h.encode_body().unwrap()).unwrap();
        assert_eq!(decoded, h);
        assert!(decoded.secure_renegotiation());
        assert!(decoded.status_request());
        assert_eq!(decoded.compression, 1, "DEFLATE chosen");
        assert_eq!(decoded.version(), 0x0303);
        assert!(!decoded.is_retry_request());
    }

    #[test]
    fn ssl3_hello_without_extensions() {
        let mut h = hello();
        h.legacy_version = 0x0300;
        h.extensions.clear();
        let body = h.encode_body().unwrap();
        assert_eq!(body.len(), 2 + 32 + 33 + 2 + 1);
        let d = ServerHello::decode(&body).unwrap();
        assert!(!d.secure_renegotiation());
        assert_eq!(d.version(), 0x0300);
    }

    #[test]
    fn tls13_retry_request() {
        let h = ServerHello {
            legacy_version: 0x0303,
            random: HELLO_RETRY_REQUEST_RANDOM,
            session_id: vec![],
            cipher_suite: 0x1301,
            compression: 0,
            extensions: vec![
                (extension::SUPPORTED_VERSIONS, vec![3, 4]),
                (extension::KEY_SHARE, vec![0, 23]),
            ],
        };
        let d = ServerHello::decode(&h.encode_body().unwrap()).unwrap();
        assert!(d.is_retry_request());
        assert_eq!(d.version(), 0x0304);
        assert_eq!(d.key_share_group(), Some(23));
    }

    #[test]
    fn bad_lengths_are_errors() {
        let body = hello().encode_body().unwrap();
        // Cut right after the compression byte it is a valid hello without
        // extensions; every other cut is truncated.
        let without_extensions = 2 + 32 + 33 + 2 + 1;
        for cut in (0..body.len()).filter(|&c| c != without_extensions) {
            assert!(ServerHello::decode(&body[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = body.clone();
        long.push(0);
        assert!(ServerHello::decode(&long).is_err());
    }
}
