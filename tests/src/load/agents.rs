//! Simulated agents' identities: a client certificate per agent (CN = its
//! name, OU = its site), signed by the collector's own CA read from its
//! data folder, exactly what `agent-cert` or enrolment would issue. One key
//! pair is shared: the collector identifies agents by certificate, and
//! key generation would only slow the generator down.

use std::path::Path;
use std::sync::Arc;

use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, Issuer, KeyPair};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use time::{Duration, OffsetDateTime};

pub struct AgentMint {
    issuer: Issuer<'static, KeyPair>,
    key: KeyPair,
    roots: Arc<RootCertStore>,
}

impl std::fmt::Debug for AgentMint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentMint").finish_non_exhaustive()
    }
}

/// One simulated agent.
#[derive(Debug)]
pub struct Agent {
    pub name: String,
    pub tls: Arc<ClientConfig>,
}

impl AgentMint {
    /// Reads `ca.crt` and `ca.key` from the collector's data folder.
    pub fn from_data_dir(dir: &Path) -> Result<AgentMint, String> {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .map_err(|e| format!("{}: {e}", dir.join(name).display()))
        };
        let ca_pem = read("ca.crt")?;
        let ca_key = KeyPair::from_pem(&read("ca.key")?).map_err(|e| e.to_string())?;
        let issuer = Issuer::from_ca_cert_pem(&ca_pem, ca_key).map_err(|e| e.to_string())?;
        let mut roots = RootCertStore::empty();
        let der = CertificateDer::from_pem_slice(ca_pem.as_bytes()).map_err(|e| e.to_string())?;
        roots.add(der).map_err(|e| e.to_string())?;
        Ok(AgentMint {
            issuer,
            key: KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
                .map_err(|e| e.to_string())?,
            roots: Arc::new(roots),
        })
    }

    /// The name of simulated agent `index`.
    pub fn name(index: usize) -> String {
        format!("load-{index:06}")
    }

    /// Agent `index` at site `index % sites`, with a fresh certificate.
    pub fn agent(&self, index: usize, sites: usize) -> Agent {
        let site = format!("site-{:02}", index % sites.max(1));
        self.agent_at(&AgentMint::name(index), &site)
    }

    /// An agent named `name` at `site`, with a fresh certificate.
    pub fn agent_at(&self, name: &str, site: &str) -> Agent {
        let name = name.to_owned();
        let now = OffsetDateTime::now_utc();
        let cert = self.certificate(
            &name,
            site,
            now - Duration::hours(1),
            now + Duration::days(2),
        );
        let key = PrivateKeyDer::Pkcs8(self.key.serialize_der().into());
        let tls =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_root_certificates(self.roots.clone())
                .with_client_auth_cert(vec![cert.der().clone()], key)
                .expect("client certificate and key match");
        Agent {
            name,
            tls: Arc::new(tls),
        }
    }

    /// A client certificate for `name` at `site` valid over the given
    /// span, signed by the collector CA, as PEM, with its key's PEM.
    pub fn certificate_pem(
        &self,
        name: &str,
        site: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> (String, String) {
        let cert = self.certificate(name, site, not_before, not_after);
        (cert.pem(), self.key.serialize_pem())
    }

    fn certificate(
        &self,
        name: &str,
        site: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> rcgen::Certificate {
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params
            .distinguished_name
            .push(DnType::OrganizationalUnitName, site);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = not_before;
        params.not_after = not_after;
        params
            .signed_by(&self.key, &self.issuer)
            .expect("the collector CA signs an agent certificate")
    }
}
