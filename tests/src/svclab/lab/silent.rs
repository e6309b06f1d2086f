//! Silent ports: a listener that accepts and never writes, holding every
//! connection open (up to [`HOLD`]) while it drains whatever the client
//! sends. This is what a scanner meets at a firewalled proxy or a device
//! waiting for a protocol it does not announce, and it is what makes
//! `nmap -sV` slow: it sends probe after probe and waits out each one.

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long one connection is held before the lab closes it.
pub const HOLD: Duration = Duration::from_secs(60);
/// How often the threads look at the stop flag.
const TICK: Duration = Duration::from_millis(100);
/// Connections held at once; more are closed at once (a port scan of the
/// lab must not make the lab spawn threads without bound).
const MAX_HELD: usize = 256;

/// A running silent port, stopped (listener closed, every held
/// connection dropped) when dropped.
#[derive(Debug)]
pub struct SilentPort {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SilentPort {
    /// Binds `addr` and starts accepting.
    pub fn start(addr: SocketAddr) -> std::io::Result<SilentPort> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(format!("silent-{}", addr.port()))
            .spawn(move || accept_loop(&listener, &flag))?;
        Ok(SilentPort {
            addr,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for SilentPort {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, stop: &Arc<AtomicBool>) {
    let mut held: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        held.retain(|h| !h.is_finished());
        match listener.accept() {
            Ok((stream, _)) if held.len() < MAX_HELD => {
                let flag = Arc::clone(stop);
                if let Ok(h) = std::thread::Builder::new()
                    .name("silent-conn".into())
                    .spawn(move || hold(stream, &flag))
                {
                    held.push(h);
                }
            }
            Ok(_) => {} // over the cap: dropped, i.e. closed
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(TICK / 4),
            Err(_) => std::thread::sleep(TICK),
        }
    }
    for h in held {
        let _ = h.join();
    }
}

/// Reads and discards until the peer closes, [`HOLD`] passes or the lab
/// stops; never writes a byte.
fn hold(mut stream: TcpStream, stop: &AtomicBool) {
    // An accepted socket may inherit the listener's non-blocking mode.
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(TICK)).is_err() {
        return;
    }
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while start.elapsed() < HOLD && !stop.load(Ordering::SeqCst) {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn accepts_reads_and_never_answers() {
        let port = SilentPort::start("127.0.0.1:0".parse().unwrap()).unwrap();
        let mut client = TcpStream::connect(port.addr).unwrap();
        client.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut buf = [0u8; 16];
        let err = client
            .read(&mut buf)
            .expect_err("the port must stay silent");
        assert!(matches!(
            err.kind(),
            ErrorKind::WouldBlock | ErrorKind::TimedOut
        ));
        let started = Instant::now();
        drop(port);
        assert!(started.elapsed() < Duration::from_secs(2), "stops promptly");
        // Stopped: the held connection is closed.
        client
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        assert_eq!(client.read(&mut buf).unwrap_or(0), 0);
    }
}
