//! A real PostgreSQL server on loopback for the scale-out store's tests:
//! a throwaway cluster (initdb) in a temporary folder, started on a free
//! port, owned by the `postgres` system user (the server refuses to run as
//! root), stopped and deleted on drop.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::net::free_port;
use crate::process::{run_bounded, Child};

/// The database role the tests connect as (trust authentication on loopback).
pub const USER: &str = "trustwatch";

#[derive(Debug)]
pub struct PgServer {
    pub port: u16,
    bin: PathBuf,
    _dir: tempfile::TempDir,
    server: Option<Child>,
}

impl PgServer {
    /// initdb + start; panics with the server's output if it does not
    /// accept connections within 60 s.
    pub fn start() -> PgServer {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("trustwatch-pg")
            .tempdir()
            .expect("temporary folder");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("create data folder");
        chown_postgres(dir.path());
        chown_postgres(&data);
        let out = run_bounded(
            as_postgres(&bin.join("initdb"))
                .args(["-D"])
                .arg(&data)
                .args(["-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"]),
            Duration::from_secs(120),
        );
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let child = as_postgres(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
            .arg(dir.path())
            // A test cluster: durability against OS crashes is not under test
            // (the collector's own crash tests kill the collector, not this).
            .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
            .args(["-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start postgres");
        let server = PgServer {
            port,
            bin,
            _dir: dir,
            server: Some(Child(child)),
        };
        server.wait_ready(Duration::from_secs(60));
        server
    }

    fn wait_ready(&self, limit: Duration) {
        let started = Instant::now();
        while started.elapsed() < limit {
            let out = run_bounded(&mut self.client("pg_isready"), Duration::from_secs(10));
            if out.status.success() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("PostgreSQL on 127.0.0.1:{} did not become ready", self.port);
    }

    /// A client tool (psql, createdb, pg_isready) aimed at this server.
    fn client(&self, tool: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(tool));
        cmd.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", USER]);
        cmd
    }

    /// Creates an empty database and returns the collector's `store.url` for it.
    pub fn create_database(&self, name: &str) -> String {
        let out = run_bounded(self.client("createdb").arg(name), Duration::from_secs(30));
        assert!(
            out.status.success(),
            "createdb {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url(name)
    }

    /// A libpq connection string for `dbname`.
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={USER} dbname={dbname}",
            self.port
        )
    }

    /// Runs one SQL statement with psql and returns its unaligned output.
    pub fn psql(&self, dbname: &str, sql: &str) -> String {
        let out = run_bounded(
            self.client("psql")
                .args(["-d", dbname, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql]),
            Duration::from_secs(60),
        );
        assert!(
            out.status.success(),
            "psql failed on {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Runs one SQL statement that must fail and returns psql's error text.
    pub fn psql_error(&self, dbname: &str, sql: &str) -> String {
        let out = run_bounded(
            self.client("psql")
                .args(["-d", dbname, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql]),
            Duration::from_secs(60),
        );
        assert!(!out.status.success(), "psql succeeded on {sql}");
        String::from_utf8_lossy(&out.stderr).trim().to_owned()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // `runuser` does not pass SIGINT on, so the postmaster (its child)
        // would outlive the test: signal the postmaster itself, by the pid
        // in postmaster.pid, and wait for it before its folder is deleted.
        let pid = std::fs::read_to_string(self._dir.path().join("data/postmaster.pid"))
            .ok()
            .and_then(|t| t.lines().next()?.trim().parse::<u32>().ok());
        if let Some(pid) = pid {
            let _ = Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while running(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        if let Some(child) = &self.server {
            // SIGINT: PostgreSQL's fast shutdown, which also ends its
            // backends; the Child's own drop then reaps (or kills) it.
            // Sent to the postmaster itself (first line of postmaster.pid):
            // the Child is `runuser`, which does not forward SIGINT, so
            // signalling it left the server running, orphaned, after the
            // test.
            let postmaster = std::fs::read_to_string(self._dir.path().join("data/postmaster.pid"))
                .ok()
                .and_then(|text| text.lines().next().map(str::to_owned))
                .unwrap_or_else(|| child.0.id().to_string());
            let _ = Command::new("kill").args(["-INT", &postmaster]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            if let Some(mut c) = self.server.take() {
                while Instant::now() < deadline {
                    if let Ok(Some(_)) = c.0.try_wait() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                drop(c);
            }
        }
    }
}

/// Whether `pid` is a live process (not gone, not a zombie).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    })
}

/// The newest `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .expect("PostgreSQL is installed (scripts/test installs package postgresql)")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .expect("a PostgreSQL server under /usr/lib/postgresql/*/bin")
}

/// The server must run as an unprivileged user; tests run as root.
fn as_postgres(program: &Path) -> Command {
    let mut cmd = Command::new("runuser");
    cmd.args(["-u", "postgres", "--"]).arg(program);
    cmd
}

fn chown_postgres(path: &Path) {
    let ok = Command::new("chown")
        .arg("postgres:postgres")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "chown postgres {}", path.display());
}
