//! Plain TCP listeners that record when each connection was accepted, to
//! observe a sweep from the server side: which ports it touched, how fast
//! and how far apart.
//!
//! Accept times lag the scanner's connect starts by the handshake and the
//! accept loop's wake-up; tests that measure rates allow for that lag.

#![allow(dead_code)] // each test binary uses a different part

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Listeners and the accepts they saw; the listeners close on drop.
#[derive(Debug, Default)]
pub struct Accepts {
    seen: Arc<Mutex<Vec<(SocketAddr, Instant)>>>,
    tasks: JoinSet<()>,
    addrs: Vec<SocketAddr>,
}

impl Accepts {
    pub fn new() -> Accepts {
        Accepts::default()
    }

    /// Listens on `addr` (port 0: any free port); returns the address, or
    /// `None` when it cannot be bound (someone else holds it).
    pub fn listen(&mut self, addr: SocketAddr) -> Option<SocketAddr> {
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
        .ok()?;
        socket.bind(addr).ok()?;
        let listener = socket.listen(128).ok()?;
        Some(self.serve(listener))
    }

    /// Records the accepts of an already bound listener.
    pub fn serve(&mut self, listener: TcpListener) -> SocketAddr {
        let addr = listener.local_addr().expect("a bound listener");
        let seen = self.seen.clone();
        self.tasks.spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        seen.lock().unwrap().push((addr, Instant::now()));
                        drop(stream);
                    }
                    // A transient shortage: try again shortly.
                    Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
                }
            }
        });
        self.addrs.push(addr);
        addr
    }

    /// Every listening address, in the order bound.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Accept times of every listener, ascending.
    pub fn times(&self) -> Vec<Instant> {
        let mut t: Vec<Instant> = self.seen.lock().unwrap().iter().map(|s| s.1).collect();
        t.sort();
        t
    }

    /// Accepts seen on `addr`.
    pub fn count(&self, addr: SocketAddr) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.0 == addr)
            .count()
    }

    /// Accepts seen in all.
    pub fn total(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Waits (at most `limit`) until `n` accepts in all have been seen.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> usize {
        let deadline = Instant::now() + limit;
        while self.total() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.total()
    }
}
