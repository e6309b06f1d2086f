//! Real daemons (Debian packages) started by a test in a temp folder on
//! 127.0.0.1: run in the foreground, waited for with a bound, stopped with
//! SIGTERM (then SIGKILL) on drop.

#![allow(dead_code)] // each test binary uses a different part

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a daemon may take to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(20);
/// How long a daemon may take to stop after SIGTERM before it is killed.
const STOP_WITHIN: Duration = Duration::from_secs(5);

/// A port on `ip` that was free a moment ago (bound, then released), and
/// never handed out before in this test binary: tests run in parallel, and
/// two daemons given the same port would have the second fail to bind
/// while its readiness check connects to the first.
pub fn free_port_on(ip: Ipv4Addr) -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..100 {
        let port = TcpListener::bind((ip, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
    panic!("no port on {ip} that this test binary has not handed out already");
}

/// The path of a program a test needs, or a panic that says which Debian
/// package provides it.
pub fn program(path: &str, package: &str) -> PathBuf {
    let p = PathBuf::from(path);
    assert!(
        p.exists(),
        "{path} is missing: this test needs the Debian package `{package}` (apt-get install {package}; scripts/test installs it)"
    );
    p
}

/// A daemon running in the foreground, stopped on drop.
#[derive(Debug)]
pub struct Daemon {
    name: &'static str,
    child: Child,
    pub addr: SocketAddr,
    /// Where its output goes, shown when it fails to start.
    log: PathBuf,
}

impl Daemon {
    /// Spawns `command` (stdout and stderr to `log`) and waits until `addr`
    /// accepts connections.
    pub fn start(name: &'static str, mut command: Command, addr: SocketAddr, log: &Path) -> Daemon {
        let out = std::fs::File::create(log).unwrap();
        let err = out.try_clone().unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let mut daemon = Daemon {
            name,
            child,
            addr,
            log: log.to_owned(),
        };
        daemon.wait_ready();
        daemon
    }

    pub fn target(&self) -> String {
        self.addr.to_string()
    }

    fn wait_ready(&mut self) {
        let addr = self.addr;
        self.wait_listening(addr);
    }

    /// Waits until the daemon accepts connections on `addr` (one of its
    /// listeners).
    pub fn wait_listening(&mut self, addr: SocketAddr) {
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited early with {status}; its output:\n{}",
                    self.name,
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{} did not accept connections on {addr} within {READY_WITHIN:?}; its output:\n{}",
            self.name,
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // SIGTERM first, so daemons with helper processes take them down
        // too; SIGKILL if it does not stop in time.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + STOP_WITHIN;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A system user's uid and gid, from /etc/passwd.
pub fn user_ids(user: &str) -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&user) && fields.len() > 3)
                .then(|| (fields[2].parse().unwrap(), fields[3].parse().unwrap()))
        })
        .unwrap_or_else(|| panic!("no user `{user}` in /etc/passwd"))
}
