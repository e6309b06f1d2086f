//! rustls configuration. ring is the one crypto provider of the project, and
//! it is passed explicitly everywhere rather than installed process-wide, so
//! no dependency can swap it underneath us.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use crate::ca::{Ca, ServerCert};
use crate::error::{Error, Result};

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The ingest listener's configuration: TLS 1.2/1.3, the collector's
/// server certificate, and client certificates verified against the
/// collector CA alone (not the system roots: any public CA can issue a
/// certificate with any CN). A certificate is OPTIONAL at the handshake so
/// an agent can reach `POST /api/v1/enrol` before it has one; every other
/// route refuses a request without one (`enrol::Gate`). A certificate that
/// IS presented must verify, or the handshake fails.
pub fn ingest_server_config(ca: &Ca, server: ServerCert) -> Result<Arc<ServerConfig>> {
    let err = |reason: String| Error::Tls {
        what: "ingest listener",
        reason,
    };
    let provider = provider();
    let mut roots = RootCertStore::empty();
    roots
        .add(ca.cert_der().clone())
        .map_err(|e| err(e.to_string()))?;
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .map_err(|e| err(e.to_string()))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(server.chain, server.key)
        .map_err(|e| err(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
