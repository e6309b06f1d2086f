//! The facts of a served certificate that the baseline's rules look at,
//! parsed from DER with x509-parser.
//!
//! The DER came from a server we do not trust, so every step is fallible and
//! a bad certificate becomes a [`BadCertificate`] observation, never a panic.

mod key;

use std::fmt;
use std::net::IpAddr;

use sha2::{Digest, Sha256};
use trustwatch_rules::observe::{CertificateSummary, KeyAlgorithm};
use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;

/// A served certificate that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCertificate {
    /// Position in the served chain, 0 for the leaf.
    pub index: usize,
    pub reason: String,
}

impl fmt::Display for BadCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let which = if self.index == 0 {
            "the leaf certificate".to_owned()
        } else {
            format!("certificate {} of the served chain", self.index)
        };
        write!(f, "{which} cannot be parsed: {}", self.reason)
    }
}

/// Summarises every certificate of a served chain, leaf first.
pub fn summarise_chain<C: AsRef<[u8]>>(
    chain: &[C],
) -> Result<Vec<CertificateSummary>, BadCertificate> {
    chain
        .iter()
        .enumerate()
        .map(|(index, der)| {
            summarise(der.as_ref()).map_err(|e| BadCertificate {
                index,
                reason: e.to_string(),
            })
        })
        .collect()
}

/// Summarises one DER certificate.
pub fn summarise(der: &[u8]) -> Result<CertificateSummary, X509Error> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| match e {
        x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => e,
        x509_parser::nom::Err::Incomplete(_) => X509Error::InvalidCertificate,
    })?;
    if !rest.is_empty() {
        return Err(X509Error::InvalidCertificate);
    }
    let public_key = key::summarise(cert.public_key());
    let self_signed = self_signed(&cert, &public_key.algorithm, public_key.bits);
    Ok(CertificateSummary {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: serial_hex(cert.raw_serial()),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        subject_alt_names: subject_alt_names(&cert)?,
        signature_algorithm: key::signature_name(&cert.signature_algorithm.algorithm),
        public_key,
        self_signed,
        sha256_fingerprint: hex::encode(Sha256::digest(der)),
    })
}

/// Serial as lower-case hex without DER's sign-padding zero bytes.
fn serial_hex(raw: &[u8]) -> String {
    let first = raw
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(raw.len().saturating_sub(1));
    hex::encode(&raw[first..])
}

fn subject_alt_names(cert: &X509Certificate<'_>) -> Result<Vec<String>, X509Error> {
    let Some(san) = cert.subject_alternative_name()? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for name in &san.value.general_names {
        match name {
            GeneralName::DNSName(dns) => out.push((*dns).to_owned()),
            GeneralName::IPAddress(bytes) => {
                let ip = match bytes.len() {
                    4 => <[u8; 4]>::try_from(*bytes).ok().map(IpAddr::from),
                    16 => <[u8; 16]>::try_from(*bytes).ok().map(IpAddr::from),
                    _ => None,
                };
                out.extend(ip.map(|ip| ip.to_string()));
            }
            // Mail addresses, URIs and the like say nothing about which
            // host names the certificate is for.
            _ => {}
        }
    }
    Ok(out)
}

/// Subject equals issuer and the certificate's signature verifies with its
/// own key. When ring cannot check the signature at all (an algorithm or key
/// size it refuses, e.g. RSA below 2048 bits), fall back to the key
/// identifiers agreeing, so weak self-signed certificates are still
/// recognised as such.
fn self_signed(cert: &X509Certificate<'_>, alg: &KeyAlgorithm, bits: u32) -> bool {
    if cert.subject().as_raw() != cert.issuer().as_raw() {
        return false;
    }
    match cert.verify_signature(None) {
        Ok(()) => true,
        Err(X509Error::SignatureUnsupportedAlgorithm) => key_ids_agree(cert),
        Err(_) if *alg == KeyAlgorithm::Rsa && bits < 2048 => key_ids_agree(cert),
        Err(_) => false,
    }
}

fn key_ids_agree(cert: &X509Certificate<'_>) -> bool {
    let mut authority = None;
    let mut subject = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                authority = aki.key_identifier.as_ref().map(|k| k.0)
            }
            ParsedExtension::SubjectKeyIdentifier(ski) => subject = Some(ski.0),
            _ => {}
        }
    }
    match (authority, subject) {
        (None, _) => true,
        (Some(a), Some(s)) => a == s,
        (Some(_), None) => false,
    }
}

#[cfg(test)]
mod tests;
