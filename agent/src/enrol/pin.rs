//! Trusting the collector on first contact: before enrolment the agent has
//! no CA file, only the token's SHA-256 fingerprint of the collector CA.
//!
//! The server sends its leaf and the CA. The verifier finds the presented
//! certificate whose SHA-256 is the pin, then verifies the leaf against that
//! one certificate as the only root, with the usual checks (signature chain,
//! validity, host name). A server that presents no such certificate, or a
//! leaf the pinned CA did not sign, is refused, so a token copied into the
//! wrong network enrols with no one.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};

/// Why the pinned verification refused the server, kept so the caller can
/// say it in a sentence rather than as a TLS alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinFailure {
    /// No presented certificate has the pinned fingerprint.
    NotPresented { presented: usize },
    /// The pinned CA is there, but the leaf does not verify against it.
    Leaf(String),
}

#[derive(Debug)]
pub struct PinnedCa {
    pin: [u8; 32],
    provider: Arc<CryptoProvider>,
    failure: Arc<Mutex<Option<PinFailure>>>,
}

impl PinnedCa {
    pub fn new(pin: [u8; 32]) -> PinnedCa {
        PinnedCa {
            pin,
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            failure: Arc::default(),
        }
    }

    /// A client config (no client certificate) trusting only the pinned
    /// CA, and where to find why it refused a server.
    pub fn client_config(self) -> (Arc<ClientConfig>, Arc<Mutex<Option<PinFailure>>>) {
        let failure = self.failure.clone();
        let provider = self.provider.clone();
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            // The ring provider supports the default versions.
            .expect("ring supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(self))
            .with_no_client_auth();
        (Arc::new(config), failure)
    }

    fn fail(&self, failure: PinFailure) -> rustls::Error {
        let text = match &failure {
            PinFailure::NotPresented { .. } => {
                "no presented certificate matches the pinned CA".into()
            }
            PinFailure::Leaf(why) => {
                format!("the server certificate does not verify against the pinned CA: {why}")
            }
        };
        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(failure);
        rustls::Error::General(text)
    }
}

/// SHA-256 of a DER certificate.
pub fn fingerprint(der: &[u8]) -> [u8; 32] {
    Sha256::digest(der).into()
}

impl ServerCertVerifier for PinnedCa {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(ca) = intermediates
            .iter()
            .find(|c| fingerprint(c.as_ref()) == self.pin)
        else {
            return Err(self.fail(PinFailure::NotPresented {
                presented: intermediates.len() + 1,
            }));
        };
        let mut roots = RootCertStore::empty();
        roots.add(ca.clone().into_owned()).map_err(|e| {
            self.fail(PinFailure::Leaf(format!(
                "the pinned CA is not a usable CA certificate ({e})"
            )))
        })?;
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                .build()
                .map_err(|e| self.fail(PinFailure::Leaf(e.to_string())))?;
        verifier
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| self.fail(PinFailure::Leaf(e.to_string())))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ca {
        der: CertificateDer<'static>,
        issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    }

    fn ca(name: &str) -> Ca {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        let der = p.self_signed(&key).unwrap().der().clone();
        Ca {
            der,
            issuer: rcgen::Issuer::new(p, key),
        }
    }

    fn leaf(ca: &Ca, names: &[&str]) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        rcgen::CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &ca.issuer)
            .unwrap()
            .der()
            .clone()
    }

    fn verify(
        pin: [u8; 32],
        leaf: &CertificateDer<'_>,
        chain: &[CertificateDer<'_>],
        name: &str,
    ) -> Result<(), PinFailure> {
        let v = PinnedCa::new(pin);
        let server = ServerName::try_from(name.to_owned()).unwrap();
        match v.verify_server_cert(leaf, chain, &server, &[], UnixTime::now()) {
            Ok(_) => Ok(()),
            Err(_) => Err(v
                .failure
                .lock()
                .unwrap()
                .clone()
                .expect("a recorded failure")),
        }
    }

    #[test]
    fn the_pinned_ca_signing_the_leaf_is_trusted() {
        let ca = ca("collector CA");
        let leaf = leaf(&ca, &["localhost", "127.0.0.1"]);
        let pin = fingerprint(&ca.der);
        assert_eq!(
            verify(pin, &leaf, std::slice::from_ref(&ca.der), "localhost"),
            Ok(())
        );
        assert_eq!(
            verify(pin, &leaf, std::slice::from_ref(&ca.der), "127.0.0.1"),
            Ok(())
        );
    }

    #[test]
    fn a_server_without_the_pinned_ca_is_refused() {
        let ours = ca("collector CA");
        let theirs = ca("someone else");
        let leaf = leaf(&theirs, &["localhost"]);
        assert_eq!(
            verify(
                fingerprint(&ours.der),
                &leaf,
                std::slice::from_ref(&theirs.der),
                "localhost"
            ),
            Err(PinFailure::NotPresented { presented: 2 })
        );
        // Sending no chain at all is the same refusal.
        assert_eq!(
            verify(fingerprint(&ours.der), &leaf, &[], "localhost"),
            Err(PinFailure::NotPresented { presented: 1 })
        );
    }

    #[test]
    fn the_pinned_ca_must_have_signed_the_leaf() {
        // An attacker can send our CA's (public) certificate beside a leaf
        // of their own: presenting the pin is not enough.
        let ours = ca("collector CA");
        let theirs = ca("attacker");
        let leaf = leaf(&theirs, &["localhost"]);
        let chain = [ours.der.clone(), theirs.der.clone()];
        assert!(matches!(
            verify(fingerprint(&ours.der), &leaf, &chain, "localhost"),
            Err(PinFailure::Leaf(_))
        ));
    }

    #[test]
    fn the_host_name_is_still_checked() {
        let ca = ca("collector CA");
        let leaf = leaf(&ca, &["collector.example"]);
        assert!(matches!(
            verify(fingerprint(&ca.der), &leaf, std::slice::from_ref(&ca.der), "other.example"),
            Err(PinFailure::Leaf(why)) if why.contains("name") || why.contains("Name")
        ));
    }
}
