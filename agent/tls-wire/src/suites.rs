//! Cipher suites: the IANA registry as data, and what each suite is, read
//! from its name. The name encodes everything the baseline asks about:
//! `TLS_<key exchange>_WITH_<cipher>_<mac>`.

mod registry;

use trustwatch_rules::observe::{SuiteClass, TlsVersion};

/// Signals secure renegotiation support in place of the extension (RFC 5746).
pub const RENEGOTIATION_INFO_SCSV: u16 = 0x00FF;
/// Signals a fallback retry at a lower version (RFC 7507).
pub const FALLBACK_SCSV: u16 = 0x5600;

/// One registered cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SuiteInfo {
    pub id: u16,
    pub name: &'static str,
}

/// Every suite in the registry subset we scan, in code-point order.
pub static SUITES: std::sync::LazyLock<Vec<SuiteInfo>> = std::sync::LazyLock::new(|| {
    registry::REGISTRY
        .iter()
        .map(|&(id, name)| SuiteInfo { id, name })
        .collect()
});

/// How the premaster secret is agreed: decides what the ServerKeyExchange
/// carries and whether there is forward secrecy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyExchange {
    /// RSA key transport.
    Rsa,
    /// RSA with a temporary 512-bit key in the ServerKeyExchange.
    RsaExport,
    /// Fixed Diffie-Hellman from the certificate.
    Dh,
    Dhe,
    DhAnon,
    /// Fixed ECDH from the certificate.
    Ecdh,
    Ecdhe,
    EcdhAnon,
    /// TLS 1.3: the suite does not name the key exchange, it is always
    /// ephemeral.
    Tls13,
}

impl KeyExchange {
    /// Parses the `<key exchange>` part of a suite name.
    fn from_name(name: &str) -> KeyExchange {
        let body = name.strip_prefix("TLS_").unwrap_or(name);
        let Some((kx, _)) = body.split_once("_WITH_") else {
            return KeyExchange::Tls13;
        };
        if kx.starts_with("ECDHE_") {
            KeyExchange::Ecdhe
        } else if kx.starts_with("ECDH_anon") {
            KeyExchange::EcdhAnon
        } else if kx.starts_with("ECDH_") {
            KeyExchange::Ecdh
        } else if kx.starts_with("DHE_") {
            KeyExchange::Dhe
        } else if kx.starts_with("DH_anon") {
            KeyExchange::DhAnon
        } else if kx.starts_with("DH_") {
            KeyExchange::Dh
        } else if kx.starts_with("RSA_EXPORT") {
            KeyExchange::RsaExport
        } else {
            KeyExchange::Rsa
        }
    }

    /// The ServerKeyExchange carries finite-field DH parameters.
    pub fn is_dhe(self) -> bool {
        matches!(self, KeyExchange::Dhe | KeyExchange::DhAnon)
    }

    /// The ServerKeyExchange carries an ECDH curve and point.
    pub fn is_ecdhe(self) -> bool {
        matches!(self, KeyExchange::Ecdhe | KeyExchange::EcdhAnon)
    }
}

impl SuiteInfo {
    /// The registered suite with this code point.
    pub fn lookup(id: u16) -> Option<SuiteInfo> {
        SUITES
            .binary_search_by_key(&id, |s| s.id)
            .ok()
            .map(|i| SUITES[i])
    }

    pub fn classes(&self) -> Vec<SuiteClass> {
        classes_from_name(self.name)
    }

    pub fn key_exchange(&self) -> KeyExchange {
        KeyExchange::from_name(self.name)
    }

    /// A TLS 1.3 suite (which no earlier version can negotiate).
    pub fn is_tls13(&self) -> bool {
        self.key_exchange() == KeyExchange::Tls13
    }

    /// The oldest version that defines this suite: SHA-256/384 PRFs and
    /// AEAD modes arrived with TLS 1.2.
    pub fn min_version(&self) -> TlsVersion {
        if self.is_tls13() {
            TlsVersion::Tls13
        } else if ["SHA256", "SHA384", "GCM", "CCM", "CHACHA20"]
            .iter()
            .any(|m| self.name.contains(m))
        {
            TlsVersion::Tls12
        } else {
            TlsVersion::Ssl3
        }
    }

    /// Whether a ClientHello for `version` should offer this suite.
    pub fn offered_at(&self, version: TlsVersion) -> bool {
        if version == TlsVersion::Tls13 {
            self.is_tls13()
        } else {
            !self.is_tls13() && self.min_version() <= version
        }
    }
}

/// Every registered suite a ClientHello for `version` offers, in
/// code-point order.
pub fn offered_at(version: TlsVersion) -> Vec<u16> {
    SUITES
        .iter()
        .filter(|s| s.offered_at(version))
        .map(|s| s.id)
        .collect()
}

/// The weakness and strength classes of a suite, from its IANA (or SSL 2.0)
/// name; sorted and without duplicates.
pub fn classes_from_name(name: &str) -> Vec<SuiteClass> {
    let mut out = Vec::new();
    if let Some(kind) = name.strip_prefix("SSL_CK_") {
        // Every SSL 2.0 cipher kind is RSA key transport with an MD5 MAC.
        out.extend([SuiteClass::StaticRsa, SuiteClass::Md5Mac]);
        cipher_classes(kind, &mut out);
        if kind.contains("EXPORT") {
            out.push(SuiteClass::Export);
        }
        if kind.contains("DES_64") {
            out.push(SuiteClass::Des);
        }
        if kind.contains("EDE3") {
            out.push(SuiteClass::TripleDes);
        }
    } else {
        let body = name.strip_prefix("TLS_").unwrap_or(name);
        let (kx, cipher) = body.split_once("_WITH_").unwrap_or(("", body));
        match KeyExchange::from_name(name) {
            KeyExchange::Rsa | KeyExchange::RsaExport => out.push(SuiteClass::StaticRsa),
            KeyExchange::Dh | KeyExchange::Ecdh => out.push(SuiteClass::StaticDh),
            KeyExchange::Dhe | KeyExchange::Ecdhe | KeyExchange::Tls13 => {
                out.push(SuiteClass::ForwardSecret)
            }
            // Ephemeral, but with no authentication at all: its class is
            // the weakness, not forward secrecy.
            KeyExchange::DhAnon | KeyExchange::EcdhAnon => out.push(SuiteClass::Anonymous),
        }
        if kx.contains("EXPORT") {
            out.push(SuiteClass::Export);
        }
        if cipher.starts_with("NULL") {
            out.push(SuiteClass::Null);
        }
        if cipher.contains("3DES") {
            out.push(SuiteClass::TripleDes);
        } else if cipher.contains("DES_CBC") || cipher.contains("DES40") {
            out.push(SuiteClass::Des);
        }
        cipher_classes(cipher, &mut out);
        if cipher.ends_with("_SHA") {
            out.push(SuiteClass::Sha1Mac);
        } else if cipher.ends_with("_MD5") {
            out.push(SuiteClass::Md5Mac);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn cipher_classes(cipher: &str, out: &mut Vec<SuiteClass>) {
    if cipher.contains("RC4") {
        out.push(SuiteClass::Rc4);
    }
    if cipher.contains("CBC") {
        out.push(SuiteClass::Cbc);
    }
    if ["GCM", "CCM", "CHACHA20_POLY1305"]
        .iter()
        .any(|m| cipher.contains(m))
    {
        out.push(SuiteClass::Aead);
    }
}

#[cfg(test)]
mod tests;
