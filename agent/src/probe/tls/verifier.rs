//! A certificate verifier that records the served chain and accepts it.
//!
//! Trust is judged separately (see `trust.rs`) so that the probe can report
//! on untrusted, expired or mis-named chains instead of just failing the
//! handshake. Handshake signatures are still verified: a completed handshake
//! then proves the server holds the key of the certificate we report on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// The most certificates kept from one served chain. Real chains have two
/// to four; anything longer is recorded as truncated rather than buffered.
pub(crate) const MAX_CHAIN_CERTS: usize = 10;

#[derive(Debug)]
pub(crate) struct RecordingVerifier {
    algorithms: WebPkiSupportedAlgorithms,
    chain: Mutex<Option<Vec<CertificateDer<'static>>>>,
    /// Whether the server stapled an OCSP response, once the chain arrived.
    ocsp_stapled: Mutex<Option<bool>>,
}

impl RecordingVerifier {
    pub(crate) fn new(algorithms: WebPkiSupportedAlgorithms) -> Arc<Self> {
        Arc::new(RecordingVerifier {
            algorithms,
            chain: Mutex::new(None),
            ocsp_stapled: Mutex::new(None),
        })
    }

    /// `Some(true)` when the server stapled a (non-empty) OCSP response
    /// with its chain, `None` when no chain arrived.
    pub(crate) fn ocsp_stapled(&self) -> Option<bool> {
        *self.ocsp_stapled.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The chain the server sent, leaf first, if it got that far.
    pub(crate) fn take_chain(&self) -> Option<Vec<CertificateDer<'static>>> {
        // A poisoned lock only means another thread panicked mid-store; the
        // data is still a valid Option.
        self.chain.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .take(MAX_CHAIN_CERTS)
            .map(|c| c.clone().into_owned())
            .collect();
        *self.chain.lock().unwrap_or_else(|p| p.into_inner()) = Some(chain);
        *self.ocsp_stapled.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(!ocsp_response.is_empty());
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Notes whether the server asked for a client certificate, and offers
/// none: the probe has no identity to present to scanned servers.
#[derive(Debug, Default)]
pub(crate) struct ClientCertRequest {
    requested: AtomicBool,
}

impl ClientCertRequest {
    pub(crate) fn was_requested(&self) -> bool {
        self.requested.load(Ordering::Relaxed)
    }
}

impl ResolvesClientCert for ClientCertRequest {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.requested.store(true, Ordering::Relaxed);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}
