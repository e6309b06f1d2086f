//! Agent client certificates: CN = agent name, OU = site, clientAuth only.
//! The ingest listener takes an agent's identity from exactly these fields.

use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
use time::OffsetDateTime;

use super::{files, validity, Ca, CA_CERT_FILE};
use crate::error::{Error, Result};

/// For certificates issued by hand (`agent-cert`), which are not renewed
/// automatically: a lost key is useful for a month at most. Enrolled agents
/// get `[enrol] cert_days` (default 7) and renew.
pub const DEFAULT_AGENT_DAYS: i64 = 30;
pub const MAX_AGENT_DAYS: i64 = 397;
pub const AGENT_CERT_FILE: &str = "agent.crt";
pub const AGENT_KEY_FILE: &str = "agent.key";

/// What `issue_agent` wrote.
#[derive(Debug, Clone)]
pub struct AgentBundle {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
    pub fingerprint: String,
    pub not_after: OffsetDateTime,
}

/// The one certificate profile for agents, whether issued here with a
/// fresh key or from an agent's CSR (`csr.rs`): CN = name, OU = site,
/// digitalSignature, clientAuth only, valid from an hour ago for `days`.
pub(super) fn agent_params(
    name: &str,
    site: &str,
    days: i64,
) -> (CertificateParams, OffsetDateTime) {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationalUnitName, site);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Trustwatch");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.use_authority_key_identifier_extension = true;
    let (not_before, not_after) = validity(days);
    params.not_before = not_before;
    params.not_after = not_after;
    (params, not_after)
}

pub(super) fn gen_err(source: rcgen::Error) -> Error {
    Error::CertificateGeneration {
        what: "agent certificate",
        source,
    }
}

/// Checks an agent name or site: 1–64 of `[A-Za-z0-9._-]`. These end up in
/// certificate subjects, SQL rows and metric labels, so the alphabet is
/// deliberately small.
pub fn check_label(what: &'static str, value: &str) -> Result<()> {
    let reason = if value.is_empty() || value.len() > 64 {
        Some("it must be 1 to 64 characters long".to_owned())
    } else {
        value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            .map(|c| {
                format!("it contains {c:?}; only letters, digits, '.', '_' and '-' are allowed")
            })
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(Error::InvalidArgument {
            what,
            value: value.to_owned(),
            reason,
        }),
    }
}

impl Ca {
    /// Issues a client certificate for agent `name` at `site`, valid `days`,
    /// and writes `agent.crt`, `agent.key` (PKCS#8, 0600) and `ca.crt` into
    /// `out_dir` (created if needed).
    pub fn issue_agent(
        &self,
        name: &str,
        site: &str,
        days: i64,
        out_dir: &Path,
    ) -> Result<AgentBundle> {
        check_label("agent name", name)?;
        check_label("site", site)?;
        if !(1..=MAX_AGENT_DAYS).contains(&days) {
            return Err(Error::InvalidArgument {
                what: "--days",
                value: days.to_string(),
                reason: format!("it must be between 1 and {MAX_AGENT_DAYS}"),
            });
        }
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(gen_err)?;
        let (params, not_after) = agent_params(name, site, days);
        let cert = params.signed_by(&key, self.issuer()).map_err(gen_err)?;

        std::fs::create_dir_all(out_dir).map_err(Error::io("create the folder", out_dir))?;
        let bundle = AgentBundle {
            cert: out_dir.join(AGENT_CERT_FILE),
            key: out_dir.join(AGENT_KEY_FILE),
            ca: out_dir.join(CA_CERT_FILE),
            fingerprint: files::fingerprint(cert.der()),
            not_after,
        };
        files::write_private(&bundle.key, key.serialize_pem().as_bytes())?;
        files::write_public(&bundle.cert, cert.pem().as_bytes())?;
        files::write_public(&bundle.ca, self.cert_pem().as_bytes())?;
        Ok(bundle)
    }
}
