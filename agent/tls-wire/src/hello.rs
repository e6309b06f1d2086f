//! ClientHellos for SSL 3.0 to TLS 1.3, built from a chosen suite list and
//! the extensions a scan needs. SSL 2.0's hello is in `ssl2.rs`.

mod parse;

pub use parse::ParsedClientHello;
use trustwatch_rules::observe::TlsVersion;

use crate::error::WireError;
use crate::groups;
use crate::handshake::{HandshakeMessage, HandshakeType};
use crate::reader::put_vec;
use crate::record::{encode_records, ContentType};
use crate::server_hello::extension;
use crate::version::wire;

/// Signature schemes offered at TLS 1.2 and 1.3: every one a server might
/// sign with, weak ones included, so that no server refuses for lack of one.
pub const SIGNATURE_ALGORITHMS: &[u16] = &[
    0x0403, 0x0503, 0x0603, // ecdsa with SHA-256/384/512
    0x0807, 0x0808, // ed25519, ed448
    0x0804, 0x0805, 0x0806, // rsa_pss_rsae
    0x0809, 0x080a, 0x080b, // rsa_pss_pss
    0x081a, 0x081b, 0x081c, // ecdsa brainpool (TLS 1.3)
    0x0401, 0x0501, 0x0601, // rsa_pkcs1
    0x0402, 0x0502, 0x0602, // dsa
    0x0303, 0x0301, 0x0302, // SHA-224
    0x0203, 0x0201, 0x0202, // SHA-1
];

/// Compression methods: DEFLATE first, so a server that supports it picks it.
const DEFLATE: u8 = 1;
const NULL_COMPRESSION: u8 = 0;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// SSL 3.0 to TLS 1.3. For TLS 1.3 the legacy version is 1.2 and
    /// `supported_versions` lists 1.3 only, so the server cannot fall back.
    pub version: TlsVersion,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub cipher_suites: Vec<u16>,
    /// Offer DEFLATE besides null (never at TLS 1.3).
    pub offer_compression: bool,
    pub server_name: Option<String>,
    pub groups: Vec<u16>,
    pub signature_algorithms: Vec<u16>,
    /// `(group, key)`: TLS 1.3 only. Empty asks the server to choose with a
    /// HelloRetryRequest.
    pub key_shares: Vec<(u16, Vec<u8>)>,
    /// Send an empty `renegotiation_info` extension (the SCSV is a suite).
    pub renegotiation_info: bool,
    pub status_request: bool,
}

impl ClientHello {
    /// A hello for `version` offering `suites`, with that version's usual
    /// groups, signature algorithms and an OCSP status request.
    pub fn new(version: TlsVersion, random: [u8; 32], suites: Vec<u16>) -> ClientHello {
        let modern = version >= TlsVersion::Tls12;
        ClientHello {
            version,
            random,
            session_id: Vec::new(),
            cipher_suites: suites,
            offer_compression: false,
            server_name: None,
            groups: groups::offered_at(version),
            signature_algorithms: if modern {
                SIGNATURE_ALGORITHMS.to_vec()
            } else {
                Vec::new()
            },
            key_shares: Vec::new(),
            renegotiation_info: false,
            status_request: true,
        }
    }

    /// The record version: SSL 3.0 hellos say 3.0, every other says 1.0,
    /// which is what the widest range of servers accepts.
    pub fn record_version(&self) -> u16 {
        if self.version == TlsVersion::Ssl3 {
            0x0300
        } else {
            0x0301
        }
    }

    /// The hello in handshake records, ready to send.
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let message = HandshakeMessage::encode(HandshakeType::CLIENT_HELLO, &self.body()?)?;
        Ok(encode_records(
            ContentType::Handshake,
            self.record_version(),
            &message,
        ))
    }

    fn body(&self) -> Result<Vec<u8>, WireError> {
        if self.version == TlsVersion::Ssl2 {
            return Err(WireError::Encode("SSL 2.0 uses Ssl2ClientHello"));
        }
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(&wire(self.version.min(TlsVersion::Tls12)).to_be_bytes());
        out.extend_from_slice(&self.random);
        put_vec(&mut out, 1, "session id", |o| {
            o.extend_from_slice(&self.session_id);
            Ok(())
        })?;
        put_vec(&mut out, 2, "cipher suites", |o| {
            for s in &self.cipher_suites {
                o.extend_from_slice(&s.to_be_bytes());
            }
            Ok(())
        })?;
        let compression: &[u8] = if self.offer_compression && self.version < TlsVersion::Tls13 {
            &[DEFLATE, NULL_COMPRESSION]
        } else {
            &[NULL_COMPRESSION]
        };
        put_vec(&mut out, 1, "compression methods", |o| {
            o.extend_from_slice(compression);
            Ok(())
        })?;
        // SSL 3.0 predates extensions; servers that only speak it may choke
        // on them.
        if self.version >= TlsVersion::Tls10 {
            let mut ext = self.extensions()?;
            pad(&mut ext, out.len());
            put_vec(&mut out, 2, "extensions", |o| {
                o.extend_from_slice(&ext);
                Ok(())
            })?;
        }
        Ok(out)
    }

    fn extensions(&self) -> Result<Vec<u8>, WireError> {
        let mut ext = Vec::new();
        let mut add = |typ: u16, body: &[u8]| -> Result<(), WireError> {
            ext.extend_from_slice(&typ.to_be_bytes());
            put_vec(&mut ext, 2, "extension", |o| {
                o.extend_from_slice(body);
                Ok(())
            })
        };
        if let Some(name) = &self.server_name {
            let mut list = Vec::new();
            put_vec(&mut list, 2, "server name list", |o| {
                o.push(0); // host_name
                put_vec(o, 2, "server name", |o| {
                    o.extend_from_slice(name.as_bytes());
                    Ok(())
                })
            })?;
            add(extension::SERVER_NAME, &list)?;
        }
        if !self.groups.is_empty() {
            add(extension::SUPPORTED_GROUPS, &u16_list(&self.groups)?)?;
            if self.version < TlsVersion::Tls13 {
                add(extension::EC_POINT_FORMATS, &[1, 0])?; // uncompressed
            }
        }
        if !self.signature_algorithms.is_empty() {
            add(
                extension::SIGNATURE_ALGORITHMS,
                &u16_list(&self.signature_algorithms)?,
            )?;
        }
        if self.status_request {
            // OCSP, no responder ids, no request extensions.
            add(extension::STATUS_REQUEST, &[1, 0, 0, 0, 0])?;
        }
        if self.renegotiation_info && self.version < TlsVersion::Tls13 {
            add(extension::RENEGOTIATION_INFO, &[0])?;
        }
        if self.version == TlsVersion::Tls13 {
            add(extension::SUPPORTED_VERSIONS, &[2, 3, 4])?;
            add(extension::PSK_KEY_EXCHANGE_MODES, &[1, 1])?; // psk_dhe_ke
            let mut shares = Vec::new();
            put_vec(&mut shares, 2, "key shares", |o| {
                for (group, key) in &self.key_shares {
                    o.extend_from_slice(&group.to_be_bytes());
                    put_vec(o, 2, "key share", |o| {
                        o.extend_from_slice(key);
                        Ok(())
                    })?;
                }
                Ok(())
            })?;
            add(extension::KEY_SHARE, &shares)?;
        }
        Ok(ext)
    }
}

fn u16_list(items: &[u16]) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::new();
    put_vec(&mut out, 2, "list", |o| {
        for i in items {
            o.extend_from_slice(&i.to_be_bytes());
        }
        Ok(())
    })?;
    Ok(out)
}

/// RFC 7685 padding: some servers (an F5 bug) hang on a ClientHello whose
/// handshake message is 256 to 511 bytes long; pad such a hello to 512.
fn pad(ext: &mut Vec<u8>, body_before_ext: usize) {
    // Handshake header (4) + body so far + extensions length (2).
    let len = 4 + body_before_ext + 2 + ext.len();
    if (256..512).contains(&len) {
        let fill = 508usize.saturating_sub(len);
        ext.extend_from_slice(&extension::PADDING.to_be_bytes());
        ext.extend_from_slice(&(fill as u16).to_be_bytes());
        ext.extend(std::iter::repeat_n(0, fill));
    }
}

#[cfg(test)]
mod tests;
