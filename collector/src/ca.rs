//! The collector's own certificate authority: it issues the ingest
//! listener's server certificate and every agent's client certificate, and
//! it is the ONLY root the ingest listener trusts for client certificates.

mod agent;
mod csr;
mod files;
mod server;

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

use crate::error::{Error, Result};

pub use agent::{check_label, AgentBundle, DEFAULT_AGENT_DAYS, MAX_AGENT_DAYS};
pub use csr::{AgentCsr, CsrError, IssuedCert};
pub use files::{fingerprint, write_private, write_public};
pub use server::{ServerCert, SERVER_CERT_DAYS, SERVER_RENEW_DAYS};

pub const CA_COMMON_NAME: &str = "Trustwatch collector CA";
pub const CA_DAYS: i64 = 3650;
pub const CA_CERT_FILE: &str = "ca.crt";
pub const CA_KEY_FILE: &str = "ca.key";

/// A loaded (or freshly created) collector CA.
pub struct Ca {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for Ca {
    // The signing key is deliberately left out of debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca")
            .field("fingerprint", &fingerprint(&self.cert_der))
            .finish_non_exhaustive()
    }
}

/// Whether `load_or_create` found a CA or made one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaOrigin {
    Loaded,
    Created,
}

impl Ca {
    /// Loads `ca.crt`/`ca.key` from `data_dir`, creating both (and the
    /// folder, 0700) on first start. Half a CA is an error, never silently
    /// replaced: agents in the field trust the old one.
    pub fn load_or_create(data_dir: &Path) -> Result<(Ca, CaOrigin)> {
        let cert_path = data_dir.join(CA_CERT_FILE);
        let key_path = data_dir.join(CA_KEY_FILE);
        match (cert_path.exists(), key_path.exists()) {
            (true, true) => Ok((Ca::load(&cert_path, &key_path)?, CaOrigin::Loaded)),
            (false, false) => {
                files::create_private_dir(data_dir)?;
                let ca = Ca::generate()?;
                write_private(&key_path, ca.issuer.key().serialize_pem().as_bytes())?;
                write_public(&cert_path, ca.cert_pem.as_bytes())?;
                Ok((ca, CaOrigin::Created))
            }
            (has_cert, _) => {
                let (present, missing) = if has_cert {
                    (&cert_path, &key_path)
                } else {
                    (&key_path, &cert_path)
                };
                Err(Error::BadPem {
                    path: missing.clone(),
                    what: "collector CA file",
                    reason: format!(
                        "it is missing while {} exists; restore it from backup rather than create a new CA",
                        present.display()
                    ),
                })
            }
        }
    }

    fn generate() -> Result<Ca> {
        let gen_err = |source| Error::CertificateGeneration {
            what: "collector CA",
            source,
        };
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(gen_err)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, CA_COMMON_NAME);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Trustwatch");
        // Path length 0: this CA signs leaves only, never a sub-CA.
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let (not_before, not_after) = validity(CA_DAYS);
        params.not_before = not_before;
        params.not_after = not_after;
        let cert = params.self_signed(&key).map_err(gen_err)?;
        Ok(Ca {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    fn load(cert_path: &Path, key_path: &Path) -> Result<Ca> {
        let cert_pem = files::read_text(cert_path)?;
        let key_pem = files::read_text(key_path)?;
        let bad = |path: &Path, reason: String| Error::BadPem {
            path: path.to_owned(),
            what: "collector CA file",
            reason,
        };
        let key = KeyPair::from_pem(&key_pem).map_err(|e| bad(key_path, e.to_string()))?;
        let cert_der = files::first_certificate(cert_path, &cert_pem)?;
        let (_, x509) = x509_parser::parse_x509_certificate(&cert_der)
            .map_err(|e| bad(cert_path, e.to_string()))?;
        if x509.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
            return Err(bad(
                key_path,
                format!("it is not the key of {}", cert_path.display()),
            ));
        }
        let issuer =
            Issuer::from_ca_cert_der(&cert_der, key).map_err(|e| bad(cert_path, e.to_string()))?;
        Ok(Ca {
            cert_pem,
            cert_der,
            issuer,
        })
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    pub(crate) fn issuer(&self) -> &Issuer<'static, KeyPair> {
        &self.issuer
    }
}

/// The SHA-256 of the CA certificate stored in `data_dir`, if there is one:
/// what an enrolment token pins. Reads `ca.crt` only, so an operator's
/// shell needs no copy of the CA key to create tokens.
pub fn stored_fingerprint(data_dir: &Path) -> Result<Option<String>> {
    let path = data_dir.join(CA_CERT_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let pem = files::read_text(&path)?;
    Ok(Some(fingerprint(&files::first_certificate(&path, &pem)?)))
}

/// The paths of the CA inside a data folder.
pub fn ca_cert_path(data_dir: &Path) -> PathBuf {
    data_dir.join(CA_CERT_FILE)
}

/// Validity from an hour ago (tolerates clock skew between hosts) to
/// `days` from now.
pub(crate) fn validity(days: i64) -> (OffsetDateTime, OffsetDateTime) {
    let now = OffsetDateTime::now_utc();
    (now - Duration::hours(1), now + Duration::days(days))
}

#[cfg(test)]
mod tests;
