//! The agent's key and certificate request. The key is made here, on the
//! agent, and never leaves it: the collector only ever sees the request.

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::EnrolError;

/// A fresh key and a request for a certificate naming the agent.
#[derive(Debug)]
pub struct Request {
    /// PKCS#8 PEM of the new private key.
    pub key_pem: String,
    /// PEM PKCS#10 request: subject CN = the agent's name, signed with the
    /// new key.
    pub csr_pem: String,
}

/// Makes an ECDSA P-256 key and a PKCS#10 request for `name`. The
/// collector decides the site (OU), lifetime and usages; the request only
/// proves possession of the key and proposes the name.
pub fn make(name: &str) -> Result<Request, EnrolError> {
    let fail = |e: rcgen::Error| EnrolError::Key(e.to_string());
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(fail)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    let csr = params.serialize_request(&key).map_err(fail)?;
    Ok(Request {
        key_pem: key.serialize_pem(),
        csr_pem: csr.pem().map_err(fail)?,
    })
}

/// The certificates of a PEM text (the collector's answer), at least one.
pub fn certificates(
    pem: &str,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, EnrolError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| EnrolError::Answer(format!("its {what} is not PEM ({e})")))?;
    if certs.is_empty() {
        return Err(EnrolError::Answer(format!(
            "its {what} holds no certificate"
        )));
    }
    Ok(certs)
}

/// The private key of a PEM text made by [`make`].
pub fn private_key(pem: &str) -> Result<PrivateKeyDer<'static>, EnrolError> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| EnrolError::Key(format!("the new key cannot be read back ({e})")))
}

/// True when `cert` certifies the public key of `key`: the answer is for
/// the request we sent, not some other. Checked by the TLS library the
/// same way it checks a configured identity.
pub fn matches(cert: &[CertificateDer<'static>], key: &PrivateKeyDer<'static>) -> bool {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.with_root_certificates(rustls::RootCertStore::empty())
                .with_client_auth_cert(cert.to_vec(), key.clone_key())
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::FromDer;

    #[test]
    fn the_request_names_the_agent_and_proves_the_key() {
        let req = make("ward-7").unwrap();
        let der =
            rustls_pki_types::CertificateSigningRequestDer::from_pem_slice(req.csr_pem.as_bytes())
                .unwrap();
        let (_, csr) =
            x509_parser::certification_request::X509CertificationRequest::from_der(der.as_ref())
                .unwrap();
        let cn: Vec<_> = csr
            .certification_request_info
            .subject
            .iter_common_name()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(cn, ["ward-7"]);
        // Signed by the key it carries: proof of possession.
        csr.verify_signature().unwrap();
        // ECDSA on P-256.
        let spki = &csr.certification_request_info.subject_pki;
        assert_eq!(
            spki.algorithm.algorithm,
            x509_parser::oid_registry::OID_KEY_TYPE_EC_PUBLIC_KEY
        );
        assert!(req.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        // Two requests, two keys.
        assert_ne!(make("ward-7").unwrap().key_pem, req.key_pem);
    }

    #[test]
    fn a_certificate_for_another_key_does_not_match() {
        let req = make("a").unwrap();
        let key = private_key(&req.key_pem).unwrap();
        let ours = rcgen::KeyPair::from_pem(&req.key_pem).unwrap();
        let cert = CertificateParams::new(vec!["a".to_owned()])
            .unwrap()
            .self_signed(&ours)
            .unwrap();
        assert!(matches(&[cert.der().clone()], &key));
        let other = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["a".to_owned()])
            .unwrap()
            .self_signed(&other)
            .unwrap();
        assert!(!matches(&[cert.der().clone()], &key));
        assert!(matches!(
            certificates("no pem here", "certificate"),
            Err(EnrolError::Answer(m)) if m.contains("holds no certificate")
        ));
    }
}
