//! TLS for identifying HTTPS: any certificate is accepted, because here we
//! only want to read the page behind it; whether the certificate deserves
//! trust is the TLS probe's question (`probe::tls`), not discovery's.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::probe::tls::verifier::RecordingVerifier;

/// Why a TLS handshake did not complete.
#[derive(Debug, thiserror::Error)]
pub(super) enum HandshakeError {
    /// The server answered in TLS but refused us (a version or cipher it
    /// does not share): it is still a TLS server.
    #[error("server sent TLS alert {0}")]
    Alert(String),
    #[error("TLS handshake timed out after {0:?}")]
    Timeout(Duration),
    #[error("TLS handshake failed: {0}")]
    Failed(std::io::Error),
    #[error("internal error setting up the TLS client: {0}")]
    Setup(rustls::Error),
}

impl HandshakeError {
    /// The peer proved it speaks TLS.
    pub(super) fn peer_speaks_tls(&self) -> bool {
        matches!(self, HandshakeError::Alert(_))
    }
}

/// Runs a TLS 1.2/1.3 handshake over `tcp` within `wait`, naming the
/// server by its address (no SNI is sent for an IP address).
pub(super) async fn connect(
    tcp: TcpStream,
    ip: IpAddr,
    wait: Duration,
) -> Result<TlsStream<TcpStream>, HandshakeError> {
    let connector = TlsConnector::from(Arc::new(config().map_err(HandshakeError::Setup)?));
    match tokio::time::timeout(
        wait,
        connector.connect(ServerName::IpAddress(ip.into()), tcp),
    )
    .await
    {
        Err(_) => Err(HandshakeError::Timeout(wait)),
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => {
            let alert = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .and_then(|tls| match tls {
                    rustls::Error::AlertReceived(alert) => Some(format!("{alert:?}")),
                    _ => None,
                });
            Err(match alert {
                Some(alert) => HandshakeError::Alert(alert),
                None => HandshakeError::Failed(e),
            })
        }
    }
}

fn config() -> Result<ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = RecordingVerifier::new(provider.signature_verification_algorithms);
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}
