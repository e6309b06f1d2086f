//! A tlslite-ng server (pure Python, PyPI) that still speaks SSL 3.0 with
//! RC4 and 3DES, which Debian's OpenSSL 3 cannot serve. Stops when dropped.

#![allow(dead_code)] // each test binary uses a different part

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

#[derive(Debug)]
pub struct TlsliteServer {
    child: Child,
    pub port: u16,
}

impl TlsliteServer {
    /// Starts the server with an RSA certificate and waits for "ready".
    pub fn start(cert: &Path, key: &Path) -> TlsliteServer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/tlslite_server.py");
        let port = super::servers::free_port();
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(port.to_string())
            .arg(cert)
            .arg(key)
            // The script stops when its stdin closes, i.e. when we drop.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start python3 {}: {e}", script.display()));
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        // The script prints "ready" or exits (e.g. tlslite-ng is missing);
        // either ends this read.
        let _ = BufReader::new(stdout).read_line(&mut line);
        if line.trim() != "ready" {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the tlslite-ng server did not start (pip install tlslite-ng; CI installs it)");
        }
        TlsliteServer { child, port }
    }

    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for TlsliteServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
