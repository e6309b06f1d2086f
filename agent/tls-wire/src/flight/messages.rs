//! The messages of a TLS ≤ 1.2 first flight after the ServerHello that a
//! scan reads: Certificate and ServerKeyExchange.

use crate::error::WireError;
use crate::reader::Reader;
use crate::suites::{KeyExchange, SuiteInfo};

/// The most certificates kept from one Certificate message. Real chains
/// have two to four; the rest is counted, not kept.
pub const MAX_CERTIFICATES: usize = 10;

/// The parameters of a ServerKeyExchange that the baseline judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKeyExchange {
    /// Finite-field DHE: the size of the prime.
    Dh { prime_bits: u32 },
    /// ECDHE over a named curve.
    Ecdh { group: u16 },
    /// ECDHE over explicit curve parameters (deprecated).
    EcdhExplicit,
    /// A temporary RSA key (export suites).
    Rsa { modulus_bits: u32 },
    /// A key exchange this crate does not read (the suite is unknown).
    Other,
}

/// The certificate list of a TLS ≤ 1.2 Certificate message, and whether
/// more than [`MAX_CERTIFICATES`] were sent.
pub(super) fn certificates(body: &[u8]) -> Result<(Vec<Vec<u8>>, bool), WireError> {
    const WHAT: &str = "Certificate message";
    let mut r = Reader::new(body);
    let mut list = Reader::new(r.vec24(WHAT)?);
    r.finish(WHAT)?;
    let mut certs = Vec::new();
    let mut truncated = false;
    while !list.is_empty() {
        let cert = list.vec24(WHAT)?;
        if certs.len() < MAX_CERTIFICATES {
            certs.push(cert.to_vec());
        } else {
            truncated = true;
        }
    }
    Ok((certs, truncated))
}

/// Reads the parameters (not the signature) of a ServerKeyExchange; what
/// they are depends on the suite the server chose.
pub(super) fn key_exchange(suite: u16, body: &[u8]) -> Result<ServerKeyExchange, WireError> {
    const WHAT: &str = "ServerKeyExchange";
    let Some(kx) = SuiteInfo::lookup(suite).map(|s| s.key_exchange()) else {
        return Ok(ServerKeyExchange::Other);
    };
    let mut r = Reader::new(body);
    if kx.is_dhe() {
        let p = r.vec16(WHAT)?;
        let _g = r.vec16(WHAT)?;
        let _ys = r.vec16(WHAT)?;
        let prime_bits = bit_len(p);
        if prime_bits == 0 {
            return Err(WireError::Malformed {
                what: WHAT,
                problem: "a DH prime of zero",
            });
        }
        return Ok(ServerKeyExchange::Dh { prime_bits });
    }
    if kx.is_ecdhe() {
        return match r.u8(WHAT)? {
            3 => Ok(ServerKeyExchange::Ecdh {
                group: r.u16(WHAT)?,
            }),
            1 | 2 => Ok(ServerKeyExchange::EcdhExplicit),
            _ => Err(WireError::Malformed {
                what: WHAT,
                problem: "unknown ECParameters curve type",
            }),
        };
    }
    if kx == KeyExchange::RsaExport || kx == KeyExchange::Rsa {
        let modulus = r.vec16(WHAT)?;
        let _exponent = r.vec16(WHAT)?;
        return Ok(ServerKeyExchange::Rsa {
            modulus_bits: bit_len(modulus),
        });
    }
    Ok(ServerKeyExchange::Other)
}

/// The bit length of a big-endian unsigned integer.
pub(crate) fn bit_len(bytes: &[u8]) -> u32 {
    let Some(first) = bytes.iter().position(|&b| b != 0) else {
        return 0;
    };
    let significant = (bytes.len() - first) as u32;
    significant * 8 - bytes[first].leading_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[]), 0);
        assert_eq!(bit_len(&[0, 0]), 0);
        assert_eq!(bit_len(&[0, 1]), 1);
        assert_eq!(bit_len(&[0x80; 128]), 1024);
        assert_eq!(bit_len(&[0, 0x7f, 0]), 15);
    }

    #[test]
    fn dhe_and_ecdhe_parameters() {
        let mut dh = vec![0, 129, 0];
        dh.extend([0xff; 128]);
        dh.extend([0, 1, 2, 0, 2, 9, 9]);
        dh.extend([0xaa; 10]); // signature, not read
        assert_eq!(
            key_exchange(0x0033, &dh).unwrap(),
            ServerKeyExchange::Dh { prime_bits: 1024 }
        );
        assert_eq!(
            key_exchange(0xC02F, &[3, 0, 29, 32]).unwrap(),
            ServerKeyExchange::Ecdh { group: 29 }
        );
        assert!(key_exchange(0xC02F, &[9, 0, 29]).is_err());
        assert!(key_exchange(0x0033, &[0, 200, 1]).is_err());
        assert_eq!(key_exchange(0xFFFF, &[]).unwrap(), ServerKeyExchange::Other);
    }

    #[test]
    fn certificate_lists_are_bounded() {
        let mut list = Vec::new();
        for i in 0..12u8 {
            list.extend([0, 0, 2, i, i]);
        }
        let mut body = vec![0, 0, list.len() as u8];
        body.extend(&list);
        let (certs, truncated) = certificates(&body).unwrap();
        assert_eq!(certs.len(), MAX_CERTIFICATES);
        assert_eq!(certs[1], [1, 1]);
        assert!(truncated);
        assert!(certificates(&body[..body.len() - 1]).is_err());
    }
}
