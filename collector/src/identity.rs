//! Who sent a report: read from the verified client certificate, never from
//! the report body (a compromised or misconfigured agent must not be able to
//! file findings under another agent's or site's name).

use rustls_pki_types::CertificateDer;
use x509_parser::prelude::X509Certificate;

use crate::ca::{check_label, fingerprint};

/// The site an agent belongs to when its certificate names none.
pub const DEFAULT_SITE: &str = "default";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentIdentity {
    /// The certificate's subject CN.
    pub name: String,
    /// The certificate's subject OU.
    pub site: String,
    /// SHA-256 of the certificate's DER, lowercase hex.
    pub cert_fingerprint: String,
}

impl AgentIdentity {
    /// The identity in a (chain-verified) leaf certificate, or `None` when its
    /// subject has no usable CN or OU: such a certificate was not issued by
    /// `agent-cert` and is refused.
    pub fn from_certificate(der: &CertificateDer<'_>) -> Option<AgentIdentity> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let name = single(&cert, Field::CommonName)?;
        let site = match cert.subject().iter_organizational_unit().next() {
            None => DEFAULT_SITE.to_owned(),
            Some(_) => single(&cert, Field::OrganizationalUnit)?,
        };
        check_label("agent name", &name).ok()?;
        check_label("site", &site).ok()?;
        Some(AgentIdentity {
            name,
            site,
            cert_fingerprint: fingerprint(der),
        })
    }
}

enum Field {
    CommonName,
    OrganizationalUnit,
}

/// The one value of a subject field; several values make the identity
/// ambiguous, so they count as none.
fn single(cert: &X509Certificate<'_>, field: Field) -> Option<String> {
    let subject = cert.subject();
    let mut values: Vec<_> = match field {
        Field::CommonName => subject.iter_common_name().collect(),
        Field::OrganizationalUnit => subject.iter_organizational_unit().collect(),
    };
    if values.len() != 1 {
        return None;
    }
    values.pop()?.as_str().ok().map(str::to_owned)
}
