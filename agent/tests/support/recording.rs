//! TLS listeners on several 127.0.0.x addresses that record, server-side,
//! how many connections each address and all of them hold at once.
//!
//! Each accepted connection is held for `hold` before the server says
//! anything, and counted as "open" only during that hold. A client that
//! opens its connections to one address one after another cannot overlap
//! two holds (it cannot finish a handshake before the server answers, which
//! is after the hold), so any overlap measured is a real burst; and two
//! connections that a scheduler does let run together overlap for almost
//! the whole hold, so a burst is not missed.

#![allow(dead_code)] // each test binary uses a different part

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::pki::Pair;

/// The most any one connection is served, hold included.
const CONNECTION_LIMIT: Duration = Duration::from_secs(10);

/// Connections held at once: now and the most seen, per address and in all.
#[derive(Debug, Default)]
pub struct Counts {
    open: Mutex<(HashMap<IpAddr, usize>, usize)>,
    max: Mutex<(HashMap<IpAddr, usize>, usize)>,
    accepted: AtomicUsize,
}

impl Counts {
    fn enter(&self, ip: IpAddr) {
        let mut open = self.open.lock().unwrap();
        let here = {
            let n = open.0.entry(ip).or_default();
            *n += 1;
            *n
        };
        open.1 += 1;
        let mut max = self.max.lock().unwrap();
        let m = max.0.entry(ip).or_default();
        *m = (*m).max(here);
        max.1 = max.1.max(open.1);
        self.accepted.fetch_add(1, Ordering::SeqCst);
    }

    fn leave(&self, ip: IpAddr) {
        let mut open = self.open.lock().unwrap();
        *open.0.get_mut(&ip).unwrap() -= 1;
        open.1 -= 1;
    }

    /// The most connections one address held at once, per address.
    pub fn max_per_ip(&self) -> HashMap<IpAddr, usize> {
        self.max.lock().unwrap().0.clone()
    }

    /// The most connections held at once across all addresses.
    pub fn max_total(&self) -> usize {
        self.max.lock().unwrap().1
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// The listeners; they stop when this is dropped.
#[derive(Debug)]
pub struct Recording {
    /// Every listener, address by address, `ports` each.
    pub addrs: Vec<SocketAddr>,
    pub counts: Arc<Counts>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Recording {
    /// `ports` TLS listeners on each of `ips`, serving `pair`.
    pub fn start(ips: &[Ipv4Addr], ports: usize, hold: Duration, pair: &Pair) -> Recording {
        let certs = trustwatch_agent::pem::certificates(&pair.cert).unwrap();
        let key = trustwatch_agent::pem::private_key(&pair.key).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let counts = Arc::new(Counts::default());
        let mut addrs = Vec::new();
        for &ip in ips {
            for _ in 0..ports {
                let listener = runtime
                    .block_on(TcpListener::bind((ip, 0)))
                    .unwrap_or_else(|e| panic!("cannot listen on {ip}: {e}"));
                addrs.push(listener.local_addr().unwrap());
                runtime.spawn(serve(listener, acceptor.clone(), counts.clone(), hold));
            }
        }
        Recording {
            addrs,
            counts,
            runtime: Some(runtime),
        }
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

async fn serve(listener: TcpListener, acceptor: TlsAcceptor, counts: Arc<Counts>, hold: Duration) {
    let ip = listener.local_addr().unwrap().ip();
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            // Out of descriptors, say: let the backlog drain.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        counts.enter(ip);
        let acceptor = acceptor.clone();
        let counts = counts.clone();
        tokio::spawn(async move {
            tokio::time::sleep(hold).await;
            counts.leave(ip);
            // Serve the handshake, then wait for the client to close.
            let _ = tokio::time::timeout(CONNECTION_LIMIT, async {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut buf = [0u8; 1024];
                    while matches!(tls.read(&mut buf).await, Ok(n) if n > 0) {}
                }
            })
            .await;
        });
    }
}
