//! The mutual-TLS accept loop, in the shape of tokio's mini-redis: a
//! semaphore bounds connections in flight (acquired BEFORE accepting, so a
//! flood waits in the kernel backlog instead of in our memory), every phase
//! of a connection has a deadline, and the caller's shutdown future stops
//! the loop and drains open connections gracefully.
//!
//! Client certificates are optional at the handshake (enrolment happens
//! before an agent has one) but verified when presented; a handshake that
//! fails over the certificate is counted by why (unknown CA, expired or
//! otherwise bad). Each request then passes the `enrol::Gate`.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::config::ConnectionLimits;
use crate::enrol::Gate;
use crate::identity::AgentIdentity;
use crate::metrics::AuthRefusal;

/// How long open connections get to finish after shutdown is requested.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    app: Router,
    gate: Gate,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let semaphore = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // Each connection holds a receiver; `closed()` on the sender resolves
    // once they have all finished.
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = semaphore.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Usually out of file descriptors: back off rather than spin.
                    tracing::warn!(error = %e, "ingest accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let conn = Connection {
            acceptor: acceptor.clone(),
            app: app.clone(),
            gate: gate.clone(),
            limits: limits.clone(),
            stop: stop_rx.clone(),
            _permit: permit,
        };
        tokio::spawn(conn.run(tcp, peer));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(stop_rx);
    if tokio::time::timeout(DRAIN, stop_tx.closed()).await.is_err() {
        tracing::warn!("ingest connections still open after the drain period were dropped");
    }
}

struct Connection {
    acceptor: TlsAcceptor,
    app: Router,
    gate: Gate,
    limits: ConnectionLimits,
    stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(mut self, tcp: TcpStream, peer: SocketAddr) {
        let tls =
            match tokio::time::timeout(self.limits.handshake_timeout, self.acceptor.accept(tcp))
                .await
            {
                Ok(Ok(tls)) => tls,
                // A certificate from another CA, expired, or otherwise
                // unacceptable ends here, before any HTTP.
                Ok(Err(e)) => {
                    match classify_handshake_error(&e) {
                        Some(reason) => {
                            self.gate.metrics.refuse(reason);
                            tracing::warn!(%peer, reason = reason.as_str(), error = %e,
                                "ingest TLS handshake refused: client certificate not accepted");
                        }
                        None => tracing::info!(%peer, error = %e, "ingest TLS handshake failed"),
                    }
                    return;
                }
                Err(_) => {
                    tracing::info!(%peer, "ingest TLS handshake timed out");
                    return;
                }
            };
        let identity = match tls.get_ref().1.peer_certificates() {
            None => None,
            Some(chain) => {
                let identity = chain.first().and_then(AgentIdentity::from_certificate);
                if identity.is_none() {
                    self.gate.metrics.refuse(AuthRefusal::BadCertificate);
                    tracing::warn!(%peer, "client certificate has no usable CN/OU; connection closed");
                    return;
                }
                identity
            }
        };
        match &identity {
            Some(id) => {
                tracing::debug!(%peer, agent = %id.name, site = %id.site, "agent connected")
            }
            None => tracing::debug!(%peer, "client connected without a certificate"),
        }

        let app = self.app.clone();
        let gate = self.gate.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            let (app, gate, identity) = (app.clone(), gate.clone(), identity.clone());
            async move {
                if let Some(refusal) = gate.check(req.uri().path(), identity.as_ref()).await {
                    return Ok::<_, Infallible>(refusal);
                }
                // The identity travels with each request, so handlers can
                // never fall back to anything the body claims.
                if let Some(identity) = identity {
                    req.extensions_mut().insert(identity);
                }
                app.oneshot(req).await
            }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_read_timeout)
            .serve_connection(TokioIo::new(tls), service);
        tokio::pin!(conn);
        let age = tokio::time::sleep(self.limits.max_connection_age);
        tokio::pin!(age);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "ingest connection ended with an error");
                }
                return;
            }
            () = crate::shutdown::stopped(&mut self.stop) => {}
            () = &mut age => {}
        }
        // Shutdown or age limit: finish the request in flight, then close.
        conn.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(DRAIN, conn).await;
    }
}

/// Which refusal a failed handshake counts as, if it failed over the
/// client's certificate (tokio-rustls wraps the rustls error in io::Error).
/// Other failures (no TLS at all, no common protocol) are not about
/// identity and are not counted as refusals.
pub(crate) fn classify_handshake_error(e: &std::io::Error) -> Option<AuthRefusal> {
    use rustls::{CertificateError, Error as TlsError};
    let inner = e.get_ref()?.downcast_ref::<TlsError>()?;
    match inner {
        TlsError::InvalidCertificate(CertificateError::UnknownIssuer) => {
            Some(AuthRefusal::UnknownCa)
        }
        TlsError::InvalidCertificate(_) => Some(AuthRefusal::BadCertificate),
        TlsError::NoCertificatesPresented => Some(AuthRefusal::NoClientCertificate),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(e: rustls::Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }

    #[test]
    fn handshake_errors_are_classified_by_the_certificate_problem() {
        use rustls::CertificateError as C;
        let cases = [
            (C::UnknownIssuer, AuthRefusal::UnknownCa),
            (C::Expired, AuthRefusal::BadCertificate),
            (C::NotValidYet, AuthRefusal::BadCertificate),
            (C::BadSignature, AuthRefusal::BadCertificate),
            (C::InvalidPurpose, AuthRefusal::BadCertificate),
        ];
        for (cert_error, want) in cases {
            let e = wrapped(rustls::Error::InvalidCertificate(cert_error.clone()));
            assert_eq!(classify_handshake_error(&e), Some(want), "{cert_error:?}");
        }
        assert_eq!(
            classify_handshake_error(&wrapped(rustls::Error::NoCertificatesPresented)),
            Some(AuthRefusal::NoClientCertificate)
        );
        let other = wrapped(rustls::Error::HandshakeNotComplete);
        assert_eq!(classify_handshake_error(&other), None);
        let plain = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "eof");
        assert_eq!(classify_handshake_error(&plain), None);
    }
}
