//! The rustls client the HTTP step fetches with: TLS 1.2 and 1.3, ring,
//! any certificate accepted.
//!
//! Trust, names and dates are judged by the CERT rules on the TLS probe's
//! own handshakes; here the question is only what the web server says, so a
//! self-signed or expired certificate must not stop the request. Handshake
//! signatures are still verified, so the server is the holder of the key it
//! presented.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::ClientConfig;

// The TLS probe's verifier records and accepts any chain while still
// verifying handshake signatures: exactly what a fetch needs; the recorded
// chain is simply dropped with the config.
use crate::probe::tls::verifier::RecordingVerifier;

/// A client config for one fetch. Built per call: it is cheap next to a
/// handshake, and no session state leaks between scanned endpoints.
pub(super) fn config() -> Result<ClientConfig, rustls::Error> {
    let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = RecordingVerifier::new(provider.signature_verification_algorithms);
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // Ask for HTTP/1.1 explicitly: an h2-only server then fails the
    // handshake with a clear ALPN alert instead of misreading our request.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
