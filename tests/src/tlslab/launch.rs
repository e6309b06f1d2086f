//! Starting a lab server: its own loopback address, a port that was free,
//! output to a log file, and a bounded wait until it accepts connections.

use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::net::wait_for_port;
use crate::process::Child;

/// A running lab server, stopped when dropped.
#[derive(Debug)]
pub struct Server {
    pub name: String,
    pub addr: SocketAddr,
    pub pid: u32,
    child: Child,
}

/// How long a server may take to exit after SIGTERM before it is killed.
const STOP_WITHIN: Duration = Duration::from_secs(5);

impl Drop for Server {
    /// SIGTERM first, because Dovecot's master takes its worker processes
    /// down only when asked (after SIGKILL they linger); SIGKILL after
    /// [`STOP_WITHIN`] (by the inner [`Child`]).
    fn drop(&mut self) {
        if matches!(self.child.0.try_wait(), Ok(None)) {
            let _ = Command::new("/usr/bin/kill")
                .args(["-TERM", &self.pid.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let start = Instant::now();
            while start.elapsed() < STOP_WITHIN {
                if !matches!(self.child.0.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Spawns `cmd` with stdout and stderr in `logs/<name>.log` and waits (at
/// most 20 s) until `host:port` accepts; panics with the log if the server
/// exits or never listens.
pub fn spawn_logged(name: &str, mut cmd: Command, host: &str, port: u16, logs: &Path) -> Server {
    let log_path = logs.join(format!("{name}.log"));
    let log = File::create(&log_path).expect("create server log");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone log handle"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("start {name} ({cmd:?}): {e}"));
    let pid = child.id();
    let mut child = Child(child);
    let addr: SocketAddr = format!("{host}:{port}").parse().expect("lab address");
    let start = Instant::now();
    let up = loop {
        if let Some(status) = child.0.try_wait().expect("poll server") {
            panic!(
                "{name} exited ({status}) before listening on {addr}: {}",
                fs::read_to_string(&log_path).unwrap_or_default()
            );
        }
        if wait_for_port(addr, Duration::from_millis(250)) {
            break true;
        }
        if start.elapsed() > Duration::from_secs(20) {
            break false;
        }
    };
    assert!(
        up,
        "{name} did not listen on {addr} within 20 s: {}",
        fs::read_to_string(&log_path).unwrap_or_default()
    );
    Server {
        name: name.to_owned(),
        addr,
        pid,
        child,
    }
}

/// The loopback addresses of one lab: `127.<a>.<b>.<n>`, with `a.b` chosen
/// per process and per lab so that two labs (a test and a benchmark, or two
/// tests) never share one, and `n` one per endpoint so that a scanner's
/// per-host limit applies to each endpoint on its own.
#[derive(Debug, Clone, Copy)]
pub struct AddressPlan {
    a: u8,
    b: u8,
}

impl AddressPlan {
    pub fn next() -> AddressPlan {
        static LABS: AtomicU32 = AtomicU32::new(0);
        let lab = LABS.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        AddressPlan {
            a: 100 + (pid % 100) as u8,
            b: 1 + ((pid / 100 + lab) % 250) as u8,
        }
    }

    pub fn host(&self, n: u8) -> Ipv4Addr {
        Ipv4Addr::new(127, self.a, self.b, n)
    }
}

/// `preferred` on `host` if it can be bound now (a standard port such as 443
/// or 25 when running as root), else any free port on `host`.
pub fn pick_port(host: Ipv4Addr, preferred: u16) -> u16 {
    if TcpListener::bind((host, preferred)).is_ok() {
        return preferred;
    }
    TcpListener::bind((host, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("bind a port on {host}: {e}"))
}
