//! Observations of one TLS endpoint: which protocol versions it accepted and
//! the certificate chain it served.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A protocol version a probe may try.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TlsVersion {
    #[serde(rename = "SSLv2")]
    Ssl2,
    #[serde(rename = "SSLv3")]
    Ssl3,
    #[serde(rename = "TLSv1.0")]
    Tls10,
    #[serde(rename = "TLSv1.1")]
    Tls11,
    #[serde(rename = "TLSv1.2")]
    Tls12,
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

impl TlsVersion {
    /// Every version, oldest first.
    pub const ALL: [TlsVersion; 6] = [
        TlsVersion::Ssl2,
        TlsVersion::Ssl3,
        TlsVersion::Tls10,
        TlsVersion::Tls11,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::Ssl2 => "SSLv2",
            TlsVersion::Ssl3 => "SSLv3",
            TlsVersion::Tls10 => "TLSv1.0",
            TlsVersion::Tls11 => "TLSv1.1",
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        }
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened when one protocol version was offered on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// The handshake completed at this version.
    Accepted { cipher_suite: String },
    /// The server answered but would not negotiate this version (an alert,
    /// or it closed the connection during the handshake).
    Rejected { reason: String },
    /// Nothing could be learnt: connect refused or timed out, the server
    /// stalled, or it sent something that is not TLS.
    Failed { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolAttempt {
    pub version: TlsVersion,
    #[serde(flatten)]
    pub outcome: AttemptOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyAlgorithm {
    Rsa,
    Ec,
    Ed25519,
    Ed448,
    Dsa,
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeySummary {
    pub algorithm: KeyAlgorithm,
    /// RSA/DSA modulus size, or the curve's field size for EC.
    pub bits: u32,
    /// Named curve for EC keys, e.g. `P-256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
}

/// The facts of one certificate that the baseline's rules look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSummary {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// DNS names and IP addresses from subjectAltName.
    pub subject_alt_names: Vec<String>,
    pub public_key: PublicKeySummary,
    /// Signature algorithm name, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
    /// Subject equals issuer and the signature verifies with its own key.
    pub self_signed: bool,
    pub sha256_fingerprint: String,
}

/// Result of path validation of the served chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum TrustVerdict {
    /// Chains to an anchor; `public` is true for the public (Mozilla) roots,
    /// false for a trust's own CA given to the agent.
    Trusted {
        public: bool,
    },
    Untrusted {
        reason: String,
    },
}

/// The chain served on the first successful handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainObservation {
    /// Leaf first, in the order served.
    pub certificates: Vec<CertificateSummary>,
    pub trust: TrustVerdict,
    /// The name the leaf was checked against (SNI, else the host given).
    pub checked_name: String,
    pub name_matches: bool,
}

/// Weakness and strength classes of a cipher suite, from its IANA name.
/// A suite has every class that applies (e.g. `TLS_RSA_WITH_3DES_EDE_CBC_SHA`
/// is `static_rsa`, `triple_des`, `cbc` and `sha1_mac`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuiteClass {
    /// No encryption (`_WITH_NULL_`).
    Null,
    /// No authentication of the server (`DH_anon`, `ECDH_anon`).
    Anonymous,
    /// Export-grade (40/56-bit) cryptography.
    Export,
    Rc4,
    /// Single DES.
    Des,
    TripleDes,
    /// CBC-mode block cipher (MAC-then-encrypt).
    Cbc,
    Sha1Mac,
    Md5Mac,
    /// RSA key transport: no forward secrecy.
    StaticRsa,
    /// Fixed (EC)DH key exchange: no forward secrecy.
    StaticDh,
    /// Ephemeral (EC)DHE key exchange (or TLS 1.3).
    ForwardSecret,
    /// Authenticated encryption (GCM, CCM, ChaCha20-Poly1305).
    Aead,
}

/// A cipher suite the server accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CipherSuite {
    /// IANA code point, e.g. 0x002F (SSL 2.0 kinds use their 3-byte code).
    pub id: u32,
    /// IANA name, e.g. `TLS_RSA_WITH_AES_128_CBC_SHA`.
    pub name: String,
    pub classes: Vec<SuiteClass>,
}

impl CipherSuite {
    pub fn is(&self, class: SuiteClass) -> bool {
        self.classes.contains(&class)
    }
}

/// The suites accepted at one protocol version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionSuites {
    pub version: TlsVersion,
    /// In the server's order of preference when it has one, else as found.
    pub accepted: Vec<CipherSuite>,
    /// `Some(true)` when the server picks by its own order, `Some(false)`
    /// when it follows the client's, `None` when fewer than two suites were
    /// accepted or it could not be told.
    pub server_preference: Option<bool>,
}

/// A key-exchange group (named curve or finite-field group) the server
/// accepted, with its strength in bits (e.g. x25519 → 255, secp256r1 → 256,
/// ffdhe2048 → 2048).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyExchangeGroup {
    pub name: String,
    pub bits: u32,
}

/// Protocol features observed across the probe's handshakes. `None` means
/// "not determined" (e.g. no TLS ≤ 1.2 version to test it on).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFeatures {
    /// Groups accepted for ECDHE/FFDHE (TLS 1.2 and 1.3).
    #[serde(default)]
    pub groups: Vec<KeyExchangeGroup>,
    /// The smallest DHE prime the server used, from ServerKeyExchange.
    #[serde(default)]
    pub dhe_min_bits: Option<u32>,
    /// True when the server agreed to TLS compression (CRIME).
    #[serde(default)]
    pub compression: Option<bool>,
    /// True when the server supports RFC 5746 secure renegotiation.
    #[serde(default)]
    pub secure_renegotiation: Option<bool>,
    /// True when the server refuses an inappropriate version fallback
    /// signalled by TLS_FALLBACK_SCSV (RFC 7507).
    #[serde(default)]
    pub fallback_scsv: Option<bool>,
    /// True when the server stapled an OCSP response.
    #[serde(default)]
    pub ocsp_stapling: Option<bool>,
}

/// Everything one TLS probe saw of one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsObservation {
    /// `host:port` exactly as given.
    pub target: String,
    /// The SNI sent, if any (none for an IP address without `--sni`).
    pub sni: Option<String>,
    /// The plaintext protocol upgraded with STARTTLS, if any (`smtp`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starttls: Option<String>,
    /// One entry per protocol version tried (SSL 2.0 … TLS 1.3).
    pub attempts: Vec<ProtocolAttempt>,
    /// Accepted suites per version that was accepted.
    #[serde(default)]
    pub cipher_suites: Vec<VersionSuites>,
    #[serde(default)]
    pub features: TlsFeatures,
    /// Absent when no handshake succeeded or the server sent no certificate.
    pub chain: Option<ChainObservation>,
    /// A certificate that could not be parsed: recorded, not fatal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_error: Option<String>,
}

impl TlsObservation {
    pub fn attempt(&self, version: TlsVersion) -> Option<&AttemptOutcome> {
        self.attempts
            .iter()
            .find(|a| a.version == version)
            .map(|a| &a.outcome)
    }

    pub fn suites(&self, version: TlsVersion) -> Option<&VersionSuites> {
        self.cipher_suites.iter().find(|s| s.version == version)
    }

    pub fn accepted(&self, version: TlsVersion) -> bool {
        matches!(self.attempt(version), Some(AttemptOutcome::Accepted { .. }))
    }

    /// The reason every attempt failed, when none got an answer from a TLS
    /// server at all: the target is unreachable for this scan.
    pub fn unreachable_reason(&self) -> Option<&str> {
        let mut reason = None;
        for a in &self.attempts {
            match &a.outcome {
                AttemptOutcome::Failed { reason: r } => reason = reason.or(Some(r.as_str())),
                _ => return None,
            }
        }
        reason
    }
}
