//! The `openssl` command line: key and parameter generation for the lab's
//! PKI, and `openssl s_server` endpoints with a given protocol and cipher
//! configuration.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::certs::CertFiles;
use super::launch::{spawn_logged, Server};
use crate::process::run_bounded;

const OPENSSL: &str = "/usr/bin/openssl";

/// Runs one `openssl` command to completion (bounded), panicking with its
/// stderr if it fails.
pub fn run(args: &[&str]) {
    assert!(
        Path::new(OPENSSL).exists(),
        "openssl is not installed: run scripts/test, which installs it"
    );
    let out = run_bounded(Command::new(OPENSSL).args(args), Duration::from_secs(120));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Finite-field DH parameters of `bits` written to `out`: a freshly
/// generated prime for 1024 bits (fast), the RFC 7919 group for 2048.
pub fn dhparam(out: &Path, bits: u32) {
    let out = out.to_str().expect("UTF-8 path");
    if bits == 2048 {
        run(&[
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            "group:ffdhe2048",
            "-out",
            out,
        ]);
    } else {
        run(&["dhparam", "-out", out, &bits.to_string()]);
    }
}

/// How one `openssl s_server` endpoint is configured.
#[derive(Debug, Clone)]
pub struct SServer {
    /// `-min_protocol`, e.g. `TLSv1` or `TLSv1.2`.
    pub min_protocol: &'static str,
    /// `-max_protocol`, e.g. `TLSv1.2` or `TLSv1.3`.
    pub max_protocol: &'static str,
    /// The TLS ≤ 1.2 cipher string (`-cipher`), with any `@SECLEVEL`.
    pub cipher: &'static str,
    /// Serve the intermediate after the leaf (`-cert_chain`).
    pub send_chain: bool,
    /// `-dhparam` file for DHE suites.
    pub dhparam: Option<std::path::PathBuf>,
}

impl SServer {
    /// TLS 1.2 and 1.3, ECDHE with AEAD only: what a well-configured
    /// server offers. `cipher` overrides the TLS 1.2 suites.
    pub fn modern() -> SServer {
        SServer {
            min_protocol: "TLSv1.2",
            max_protocol: "TLSv1.3",
            cipher: MODERN_ECDSA,
            send_chain: true,
            dhparam: None,
        }
    }

    /// Starts `openssl s_server -www` on `host:port` with `cert`.
    pub fn start(
        &self,
        name: &str,
        host: &str,
        port: u16,
        cert: &CertFiles,
        logs: &Path,
    ) -> Server {
        let mut cmd = Command::new(OPENSSL);
        cmd.arg("s_server")
            .args(["-accept", &format!("{host}:{port}")])
            .arg("-cert")
            .arg(&cert.cert)
            .arg("-key")
            .arg(&cert.key)
            .args(["-min_protocol", self.min_protocol])
            .args(["-max_protocol", self.max_protocol])
            .args(["-cipher", self.cipher])
            // -www answers each connection with a status page and keeps
            // serving; -quiet keeps the per-connection chatter out of logs.
            .args(["-www", "-quiet"]);
        if self.send_chain {
            if let Some(chain) = &cert.chain {
                cmd.arg("-cert_chain").arg(chain);
            }
        }
        if let Some(dh) = &self.dhparam {
            cmd.arg("-dhparam").arg(dh);
        }
        spawn_logged(name, cmd, host, port, logs)
    }
}

/// TLS 1.2 suites of a modern ECDSA server: ECDHE key exchange, AEAD only.
pub const MODERN_ECDSA: &str =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305";
/// The same for an RSA certificate, at security level 0 because OpenSSL's
/// default level refuses to serve a SHA-1-signed or 1024-bit certificate.
pub const MODERN_RSA_LEVEL0: &str =
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:@SECLEVEL=0";
