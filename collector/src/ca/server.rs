//! The ingest listener's server certificate: issued by the collector CA for
//! the configured names plus loopback, re-issued when missing, unreadable,
//! not from this CA, lacking a configured name, or close to expiry.

use std::net::IpAddr;
use std::path::Path;

use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::GeneralName;

use super::{files, validity, Ca};
use crate::error::{Error, Result};

/// CA/Browser Forum's ceiling for publicly trusted leaves; we keep to it so
/// our own CERT-006 rule would pass on the collector.
pub const SERVER_CERT_DAYS: i64 = 397;
/// Re-issue when fewer days than this remain.
pub const SERVER_RENEW_DAYS: i64 = 30;
pub const SERVER_CERT_FILE: &str = "server.crt";
pub const SERVER_KEY_FILE: &str = "server.key";

/// Names every server certificate carries, so local agents and the demo can
/// always connect.
pub const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The ingest listener's certificate chain (leaf, CA) and key.
#[derive(Debug)]
pub struct ServerCert {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub not_after: OffsetDateTime,
    /// True when this start (re-)issued it.
    pub issued: bool,
}

impl Ca {
    /// Loads the server certificate from `data_dir`, issuing a new one when
    /// the current one is unusable for `names` (see the module comment).
    pub fn server_cert(&self, data_dir: &Path, names: &[String]) -> Result<ServerCert> {
        let wanted = all_names(names);
        let cert_path = data_dir.join(SERVER_CERT_FILE);
        let key_path = data_dir.join(SERVER_KEY_FILE);
        if let Some(current) = self.usable(&cert_path, &key_path, &wanted) {
            return Ok(current);
        }
        let gen_err = |source| Error::CertificateGeneration {
            what: "ingest server certificate",
            source,
        };
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(gen_err)?;
        let mut params = CertificateParams::new(wanted.clone()).map_err(gen_err)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, wanted[0].as_str());
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Trustwatch");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let (not_before, not_after) = validity(SERVER_CERT_DAYS);
        params.not_before = not_before;
        params.not_after = not_after;
        let cert = params.signed_by(&key, self.issuer()).map_err(gen_err)?;
        files::write_private(&key_path, key.serialize_pem().as_bytes())?;
        files::write_public(&cert_path, cert.pem().as_bytes())?;
        Ok(ServerCert {
            chain: vec![cert.der().clone(), self.cert_der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            not_after,
            issued: true,
        })
    }

    /// The stored server certificate, if it can be kept as it is.
    fn usable(&self, cert_path: &Path, key_path: &Path, wanted: &[String]) -> Option<ServerCert> {
        let pem = files::read_text(cert_path).ok()?;
        let der = files::first_certificate(cert_path, &pem).ok()?;
        let key = KeyPair::from_pem(&files::read_text(key_path).ok()?).ok()?;
        let (_, x509) = x509_parser::parse_x509_certificate(&der).ok()?;
        let (_, ca) = x509_parser::parse_x509_certificate(self.cert_der()).ok()?;
        x509.verify_signature(Some(ca.public_key())).ok()?;
        if x509.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
            return None;
        }
        let not_after = x509.validity().not_after.to_datetime();
        if not_after - OffsetDateTime::now_utc() < Duration::days(SERVER_RENEW_DAYS) {
            return None;
        }
        let present = san_names(&x509);
        if !wanted
            .iter()
            .all(|w| present.iter().any(|p| same_name(p, w)))
        {
            return None;
        }
        Some(ServerCert {
            chain: vec![der, self.cert_der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            not_after,
            issued: false,
        })
    }
}

/// Configured names first (the first becomes the CN), then loopback,
/// without duplicates.
fn all_names(configured: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in configured.iter().map(String::as_str).chain(LOOPBACK_NAMES) {
        if !out.iter().any(|n| same_name(n, name)) {
            out.push(name.to_owned());
        }
    }
    out
}

pub(super) fn san_names(x509: &x509_parser::certificate::X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = x509.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|g| match g {
            GeneralName::DNSName(d) => Some((*d).to_owned()),
            GeneralName::IPAddress(b) => match b.len() {
                4 => Some(IpAddr::from(<[u8; 4]>::try_from(*b).ok()?).to_string()),
                16 => Some(IpAddr::from(<[u8; 16]>::try_from(*b).ok()?).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// DNS names compare case-insensitively; IP addresses by value.
fn same_name(a: &str, b: &str) -> bool {
    match (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.eq_ignore_ascii_case(b),
    }
}
