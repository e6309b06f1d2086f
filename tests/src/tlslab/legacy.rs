//! The legacy endpoint: SSL 3.0, RC4 and 3DES, which Debian's OpenSSL 3
//! cannot serve, played by a small tlslite-ng server (pure Python, PyPI).

use std::fs;
use std::path::Path;
use std::process::Command;

use super::certs::CertFiles;
use super::launch::{spawn_logged, Server};

/// The server script, shipped inside the crate so the lab runner needs no
/// source tree at run time.
const SCRIPT: &str = include_str!("../../lab/legacy_tls_server.py");

/// The Python to run it with: `TRUSTWATCH_LAB_PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var("TRUSTWATCH_LAB_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Starts the tlslite-ng server on `host:port` with `cert`'s full chain.
pub fn start(name: &str, host: &str, port: u16, cert: &CertFiles, dir: &Path) -> Server {
    let check = Command::new(python())
        .args(["-c", "import tlslite"])
        .output()
        .expect("run python3");
    assert!(
        check.status.success(),
        "tlslite-ng is not installed for {}: pip install tlslite-ng ({})",
        python(),
        String::from_utf8_lossy(&check.stderr).trim()
    );
    let script = dir.join("legacy_tls_server.py");
    fs::write(&script, SCRIPT).expect("write legacy server script");
    let mut cmd = Command::new(python());
    cmd.arg(&script)
        .arg(host)
        .arg(port.to_string())
        .arg(&cert.fullchain)
        .arg(&cert.key);
    spawn_logged(name, cmd, host, port, dir)
}
