//! Real servers on 127.0.0.1 for component tests: `openssl s_server`, a
//! listener that never answers and one that answers with garbage. Every
//! server stops when dropped; every wait is bounded.

#![allow(dead_code)] // each test binary uses a different part

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const OPENSSL: &str = "/usr/bin/openssl";

/// A port on 127.0.0.1 that was free a moment ago (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `openssl s_server -www` on 127.0.0.1, killed on drop.
#[derive(Debug)]
pub struct OpensslServer {
    child: Child,
    pub port: u16,
}

impl OpensslServer {
    /// Starts a server with `cert`/`key` and any extra s_server flags
    /// (e.g. `-no_tls1_3`), and waits until it accepts connections.
    pub fn start(cert: &Path, key: &Path, ca: &Path, extra: &[&str]) -> OpensslServer {
        assert!(
            Path::new(OPENSSL).exists(),
            "{OPENSSL} is missing: these component tests need OpenSSL's s_server (apt-get install openssl; CI installs it)"
        );
        let port = free_port();
        let child = Command::new(OPENSSL)
            .arg("s_server")
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .arg("-CAfile")
            .arg(ca)
            .args(["-www", "-quiet"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {OPENSSL} s_server: {e}"));
        let mut server = OpensslServer { child, port };
        server.wait_ready();
        server
    }

    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let addr: SocketAddr = ([127, 0, 0, 1], self.port).into();
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("openssl s_server exited early with {status}");
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "openssl s_server did not accept connections on port {} within 10s",
            self.port
        );
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP listener whose connections are handled by `handle` on a thread;
/// stops accepting when dropped.
#[derive(Debug)]
pub struct Listener {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    fn start(handle: fn(TcpStream)) -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    std::thread::spawn(move || handle(conn));
                }
            }
        });
        Listener {
            port,
            stop,
            thread: Some(thread),
        }
    }

    /// Accepts and never says anything (holds each connection up to 30 s).
    pub fn silent() -> Listener {
        Listener::start(|conn| {
            let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
            let mut conn = conn;
            let mut buf = [0u8; 4096];
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
    }

    /// Answers anything with bytes that are not TLS, then closes.
    pub fn garbage() -> Listener {
        Listener::start(|mut conn| {
            let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 512];
            let _ = conn.read(&mut buf);
            let _ =
                conn.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n\x00\xff\xfe garbage \x16\x03");
        })
    }

    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ =
            TcpStream::connect_timeout(&([127, 0, 0, 1], self.port).into(), Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
