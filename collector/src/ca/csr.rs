//! Signing an agent's certificate request (PKCS#10) at enrolment and
//! renewal. The request proves possession of the key (its self-signature is
//! verified) and supplies the public key; NOTHING else in it is used. The
//! subject, extensions and lifetime it asks for are ignored: the collector
//! issues the one agent profile (`agent_params`) for the name and site it
//! has decided on.

use rcgen::{PublicKeyData, SignatureAlgorithm};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateSigningRequestDer;
use time::OffsetDateTime;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_SIG_ED25519};
use x509_parser::prelude::FromDer;

use super::agent::{agent_params, check_label, gen_err};
use super::{files, Ca};
use crate::error::Result;

/// Why a certificate request was refused; the message goes back to the
/// agent as the `error` of a 400 `bad_csr`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrError {
    #[error("the csr is not a PEM \"CERTIFICATE REQUEST\" block: {0}")]
    NotPem(String),
    #[error("the csr holds {0} PEM blocks; send exactly one CERTIFICATE REQUEST")]
    Blocks(usize),
    #[error("the csr is not a valid PKCS#10 request: {0}")]
    Malformed(String),
    #[error(
        "the csr's self-signature does not verify ({0}); it was not made with the key it carries"
    )]
    Signature(String),
    #[error("the csr's key is {0}; the collector accepts only ECDSA P-256 and Ed25519 keys")]
    KeyType(String),
}

/// A request whose signature verified and whose key is of an accepted type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCsr {
    /// The raw public key: an uncompressed P-256 point or 32 Ed25519 bytes.
    raw: Vec<u8>,
    alg: &'static SignatureAlgorithm,
}

impl PublicKeyData for AgentCsr {
    fn der_bytes(&self) -> &[u8] {
        &self.raw
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.alg
    }
}

/// A certificate the collector issued from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCert {
    pub pem: String,
    /// SHA-256 of the DER, lowercase hex.
    pub fingerprint: String,
    pub not_after: OffsetDateTime,
}

impl AgentCsr {
    /// Parses and checks a PEM request. rcgen's own CSR parser also verifies
    /// the signature, but it takes the key algorithm from the SIGNATURE
    /// algorithm (a P-384 key signed "ecdsa-with-SHA256" would pass as
    /// P-256) and refuses harmless extensions, so the checks are done here
    /// on x509-parser's view of the request.
    pub fn from_pem(pem: &str) -> Result<AgentCsr, CsrError> {
        let mut blocks = CertificateSigningRequestDer::pem_slice_iter(pem.as_bytes());
        let der = match blocks.next() {
            Some(Ok(der)) => der,
            Some(Err(e)) => return Err(CsrError::NotPem(e.to_string())),
            None => return Err(CsrError::NotPem("no such block found".into())),
        };
        let extra = blocks.count();
        if extra > 0 {
            return Err(CsrError::Blocks(extra + 1));
        }
        let (rest, csr) = X509CertificationRequest::from_der(der.as_ref())
            .map_err(|e| CsrError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CsrError::Malformed(format!(
                "{} bytes follow the request",
                rest.len()
            )));
        }
        let spki = &csr.certification_request_info.subject_pki;
        let raw = spki.subject_public_key.data.to_vec();
        let alg = if spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            match curve {
                Some(c) if c == OID_EC_P256 && raw.len() == 65 && raw[0] == 4 => {
                    &rcgen::PKCS_ECDSA_P256_SHA256
                }
                Some(c) if c == OID_EC_P256 => {
                    return Err(CsrError::KeyType(
                        "a P-256 key not in uncompressed form".into(),
                    ))
                }
                Some(c) => return Err(CsrError::KeyType(format!("an EC key on curve {c}"))),
                None => return Err(CsrError::KeyType("an EC key without a named curve".into())),
            }
        } else if spki.algorithm.algorithm == OID_SIG_ED25519 && raw.len() == 32 {
            &rcgen::PKCS_ED25519
        } else {
            return Err(CsrError::KeyType(format!(
                "of algorithm {}",
                spki.algorithm.algorithm
            )));
        };
        // After the key check, so an RSA request is refused for its key
        // rather than for a signature algorithm we would refuse anyway.
        csr.verify_signature()
            .map_err(|e| CsrError::Signature(e.to_string()))?;
        Ok(AgentCsr { raw, alg })
    }
}

impl Ca {
    /// Issues the agent profile for `name` at `site`, valid `days`, to the
    /// key in `csr`. The caller has chosen `days` from validated config.
    pub fn sign_agent_csr(
        &self,
        csr: &AgentCsr,
        name: &str,
        site: &str,
        days: i64,
    ) -> Result<IssuedCert> {
        check_label("agent name", name)?;
        check_label("site", site)?;
        let (params, not_after) = agent_params(name, site, days);
        let cert = params.signed_by(csr, self.issuer()).map_err(gen_err)?;
        Ok(IssuedCert {
            pem: cert.pem(),
            fingerprint: files::fingerprint(cert.der()),
            // What the certificate encodes: whole seconds.
            not_after: not_after.replace_nanosecond(0).unwrap_or(not_after),
        })
    }
}

#[cfg(test)]
mod tests;
