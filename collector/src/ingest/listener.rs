//! The mutual-TLS accept loop, in the shape of tokio's mini-redis: a
//! semaphore bounds connections in flight (acquired BEFORE accepting, so a
//! flood waits in the kernel backlog instead of in our memory), every phase
//! of a connection has a deadline, and the caller's shutdown future stops
//! the loop and drains open connections gracefully.

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
use crate::identity::AgentIdentity;

/// How long open connections get to finish after shutdown is requested.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    app: Router,
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
                // A client without a certificate, or with one from another CA,
                // ends here: refused at the handshake, before any HTTP.
                Ok(Err(e)) => {
                    tracing::info!(%peer, error = %e, "ingest TLS handshake refused");
                    return;
                }
                Err(_) => {
                    tracing::info!(%peer, "ingest TLS handshake timed out");
                    return;
                }
            };
        let identity = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(AgentIdentity::from_certificate);
        let Some(identity) = identity else {
            tracing::warn!(%peer, "client certificate has no usable CN/OU; connection closed");
            return;
        };
        tracing::debug!(%peer, agent = %identity.name, site = %identity.site, "agent connected");

        let app = self.app.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            // The identity travels with each request, so handlers can never
            // fall back to anything the body claims.
            req.extensions_mut().insert(identity.clone());
            app.clone().oneshot(req)
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
