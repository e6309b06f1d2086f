//! The real binaries and real servers, as child processes that are killed
//! when the test drops them.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::net::{free_port, wait_for_port};

/// Path of a workspace binary (`trustwatch-agent`, `trustwatch-collector`)
/// built into the same target folder as this test.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current test executable");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is not built: run `cargo build --workspace --bins` first (scripts/test does)",
        path.display()
    );
    path
}

/// A child process killed on drop, so a failing test leaves no server behind.
#[derive(Debug)]
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a binary to completion, bounded by `limit`; kills it past that.
/// Its output is drained on threads while it runs, so a child that prints
/// more than a pipe holds (64 KiB) is never stalled by the test itself.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn command");
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll child") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let err = stderr.join().unwrap_or_default();
            panic!(
                "{cmd:?} did not finish within {limit:?}; stderr: {}",
                String::from_utf8_lossy(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// `openssl s_server` on 127.0.0.1 with the given certificate.
#[derive(Debug)]
pub struct OpensslServer {
    pub addr: SocketAddr,
    _child: Child,
}

impl OpensslServer {
    /// Starts `openssl s_server -www` with `cert`/`key` (and `chain` if
    /// given) plus any `extra` flags such as `-no_tls1_3`.
    pub fn start(cert: &Path, key: &Path, extra: &[&str]) -> OpensslServer {
        assert!(
            Path::new("/usr/bin/openssl").exists(),
            "openssl is not installed: run scripts/test, which installs it"
        );
        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = Command::new("/usr/bin/openssl")
            .arg("s_server")
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .args(["-www", "-quiet"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start openssl s_server");
        let child = Child(child);
        assert!(
            wait_for_port(addr, Duration::from_secs(10)),
            "openssl s_server did not start on {addr}"
        );
        OpensslServer {
            addr,
            _child: child,
        }
    }
}

/// A real `trustwatch-collector serve` on 127.0.0.1.
#[derive(Debug)]
pub struct Collector {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub ingest: SocketAddr,
    pub http: SocketAddr,
    child: Option<Child>,
}

impl Collector {
    /// Writes a config under `dir` and starts the collector.
    pub fn start(dir: &Path) -> Collector {
        Collector::start_limited(dir, 8 * 1024 * 1024)
    }

    /// As `start`, refusing reports above `max_report_bytes`.
    pub fn start_limited(dir: &Path, max_report_bytes: u64) -> Collector {
        Collector::start_with(dir, max_report_bytes, "")
    }

    /// As `start_limited`, with `extra` TOML (more tables) appended to the
    /// config.
    pub fn start_with(dir: &Path, max_report_bytes: u64, extra: &str) -> Collector {
        let ingest = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let http = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let config = dir.join("collector.toml");
        fs::write(
            &config,
            format!(
                "data_dir = \"data\"\n\n[ingest]\nlisten = \"{ingest}\"\nserver_names = [\"localhost\"]\nmax_report_bytes = {max_report_bytes}\n\n[http]\nlisten = \"{http}\"\n\n[agents]\nstale_after_secs = 86400\n{extra}"
            ),
        )
        .expect("write collector config");
        let mut c = Collector {
            dir: dir.to_owned(),
            config,
            ingest,
            http,
            child: None,
        };
        c.restart();
        c
    }

    /// Starts the collector again on the same ports and data (after
    /// [`Collector::stop`], or to replace a running one).
    pub fn restart(&mut self) {
        self.child = None;
        let child = Command::new(binary("trustwatch-collector"))
            .arg("serve")
            .arg("--config")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start trustwatch-collector serve");
        self.child = Some(Child(child));
        assert!(
            wait_for_port(self.ingest, Duration::from_secs(30))
                && wait_for_port(self.http, Duration::from_secs(10)),
            "collector did not listen on {} and {}",
            self.ingest,
            self.http
        );
    }

    /// Stops the collector with SIGKILL: no shutdown, no drain, whatever
    /// was in flight is cut off; its ports close, its data stays.
    pub fn stop(&mut self) {
        self.child = None;
    }

    /// Issues an agent certificate into `out` with `agent-cert`.
    pub fn agent_cert(&self, name: &str, site: &str, out: &Path) {
        let result = run_bounded(
            Command::new(binary("trustwatch-collector"))
                .args(["agent-cert", name, "--site", site, "--out"])
                .arg(out)
                .arg("--config")
                .arg(&self.config),
            Duration::from_secs(30),
        );
        assert!(
            result.status.success(),
            "agent-cert failed: {}",
            String::from_utf8_lossy(&result.stderr)
        );
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn ca_pem(&self) -> PathBuf {
        self.dir.join("data").join("ca.crt")
    }

    /// Creates an API token with `role` through the real CLI and returns
    /// its text (the CLI prints only the token on stdout).
    pub fn api_token(&self, role: &str) -> String {
        let result = run_bounded(
            Command::new(binary("trustwatch-collector"))
                .args([
                    "api-token",
                    "create",
                    "--name",
                    "e2e",
                    "--role",
                    role,
                    "--config",
                ])
                .arg(&self.config),
            Duration::from_secs(30),
        );
        assert!(
            result.status.success(),
            "api-token create failed: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        let token = String::from_utf8_lossy(&result.stdout).trim().to_owned();
        assert!(
            token.starts_with("twa_") && !token.contains('\n'),
            "{token}"
        );
        token
    }

    pub fn scrape(&self) -> String {
        let (status, body) = crate::http::get(self.http, "/metrics").expect("scrape /metrics");
        assert_eq!(status, 200, "/metrics answered {status}");
        body
    }
}

/// What a lab binary waits for once its servers are up: SIGTERM, Ctrl-C,
/// `max` elapsed, and (when `watch_stdin`) its stdin reaching its end.
/// Returns which came first, for the lab's log line.
pub fn wait_for_stop(max: Duration, watch_stdin: bool) -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let stdin = async {
            if watch_stdin {
                stdin_closed().await
            } else {
                std::future::pending::<()>().await
            }
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = stdin => "stdin closed",
            _ = tokio::time::sleep(max) => "--max-secs elapsed",
        }
    })
}

/// Resolves when stdin reaches its end (or fails): whatever is written to
/// it is discarded. Read on a thread of its own (left behind at exit), as
/// blocking reads of stdin are.
async fn stdin_closed() {
    use std::io::Read as _;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let reader = std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buf = [0u8; 256];
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            let _ = tx.send(());
        });
    if reader.is_ok() {
        let _ = rx.await;
    } else {
        std::future::pending::<()>().await;
    }
}
