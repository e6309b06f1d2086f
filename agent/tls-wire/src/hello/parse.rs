//! Decoding a ClientHello: for round-trip tests, and for test servers that
//! answer what they were offered.

use crate::error::WireError;
use crate::reader::Reader;
use crate::server_hello::extension;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedClientHello {
    pub legacy_version: u16,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub cipher_suites: Vec<u16>,
    pub compression_methods: Vec<u8>,
    pub extensions: Vec<(u16, Vec<u8>)>,
}

impl ParsedClientHello {
    /// Decodes a ClientHello body (after the handshake header).
    pub fn decode(body: &[u8]) -> Result<ParsedClientHello, WireError> {
        const WHAT: &str = "ClientHello";
        let mut r = Reader::new(body);
        let legacy_version = r.u16(WHAT)?;
        let mut random = [0u8; 32];
        random.copy_from_slice(r.take(32, WHAT)?);
        let session_id = r.vec8(WHAT)?.to_vec();
        let suites = r.vec16(WHAT)?;
        if suites.len() % 2 != 0 {
            return Err(WireError::Malformed {
                what: WHAT,
                problem: "odd cipher suite list length",
            });
        }
        let cipher_suites = suites
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        let compression_methods = r.vec8(WHAT)?.to_vec();
        let mut extensions = Vec::new();
        if !r.is_empty() {
            let mut list = Reader::new(r.vec16(WHAT)?);
            while !list.is_empty() {
                let typ = list.u16(WHAT)?;
                extensions.push((typ, list.vec16(WHAT)?.to_vec()));
            }
            r.finish(WHAT)?;
        }
        Ok(ParsedClientHello {
            legacy_version,
            random,
            session_id,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }

    pub fn extension(&self, typ: u16) -> Option<&[u8]> {
        self.extensions
            .iter()
            .find(|(t, _)| *t == typ)
            .map(|(_, d)| d.as_slice())
    }

    /// The SNI host name, if sent.
    pub fn server_name(&self) -> Option<String> {
        let mut r = Reader::new(self.extension(extension::SERVER_NAME)?);
        let mut list = Reader::new(r.vec16("server_name").ok()?);
        while !list.is_empty() {
            let typ = list.u8("server_name").ok()?;
            let name = list.vec16("server_name").ok()?;
            if typ == 0 {
                return String::from_utf8(name.to_vec()).ok();
            }
        }
        None
    }

    /// A two-byte-length list of u16 (supported_groups, signature_algorithms).
    pub fn u16_list(&self, typ: u16) -> Vec<u16> {
        let Some(data) = self.extension(typ) else {
            return Vec::new();
        };
        let mut r = Reader::new(data);
        let Ok(list) = r.vec16("list") else {
            return Vec::new();
        };
        list.chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect()
    }

    /// The versions of `supported_versions`, if sent.
    pub fn supported_versions(&self) -> Vec<u16> {
        let Some(data) = self.extension(extension::SUPPORTED_VERSIONS) else {
            return Vec::new();
        };
        let mut r = Reader::new(data);
        let Ok(list) = r.vec8("supported_versions") else {
            return Vec::new();
        };
        list.chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect()
    }

    /// The `(group, key length)` of each key share, if sent.
    pub fn key_shares(&self) -> Vec<(u16, usize)> {
        let Some(data) = self.extension(extension::KEY_SHARE) else {
            return Vec::new();
        };
        let mut r = Reader::new(data);
        let Ok(list) = r.vec16("key_share") else {
            return Vec::new();
        };
        let mut list = Reader::new(list);
        let mut out = Vec::new();
        while list.remaining() >= 4 {
            let (Ok(group), Ok(key)) = (list.u16("key_share"), list.vec16("key_share")) else {
                break;
            };
            out.push((group, key.len()));
        }
        out
    }
}
