//! Key material made with the `openssl` command for legacy-TLS component
//! tests: RSA certificates (static-RSA suites need an RSA key; rcgen with
//! ring cannot make one) and small DH parameters.

#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::process::Command;

const OPENSSL: &str = "/usr/bin/openssl";

fn openssl(args: &[&str]) {
    let out = Command::new(OPENSSL)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {OPENSSL}: {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed RSA-2048 certificate for localhost and 127.0.0.1.
#[derive(Debug, Clone)]
pub struct RsaPair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl RsaPair {
    pub fn new(dir: &Path) -> RsaPair {
        let pair = RsaPair {
            cert: dir.join("rsa.pem"),
            key: dir.join("rsa.key"),
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            pair.key.to_str().unwrap(),
            "-out",
            pair.cert.to_str().unwrap(),
        ]);
        pair
    }
}

impl RsaPair {
    /// The certificate as DER.
    pub fn der(&self) -> Vec<u8> {
        let der = self.cert.with_extension("der");
        openssl(&[
            "x509",
            "-in",
            self.cert.to_str().unwrap(),
            "-outform",
            "der",
            "-out",
            der.to_str().unwrap(),
        ]);
        std::fs::read(der).unwrap()
    }
}

/// DH parameters of `bits` bits (1024 takes well under a second).
pub fn dhparam(dir: &Path, bits: u32) -> PathBuf {
    let path = dir.join(format!("dh{bits}.pem"));
    openssl(&["dhparam", "-out", path.to_str().unwrap(), &bits.to_string()]);
    path
}

/// The code points OpenSSL itself would serve at one version for a cipher
/// string, with an RSA certificate (or none: anonymous suites), from
/// `openssl ciphers -V -s -tls1_x SPEC` (TLS 1.3 suites whatever SPEC).
pub fn openssl_suites(version_flag: &str, spec: &str) -> std::collections::BTreeSet<u32> {
    let out = Command::new(OPENSSL)
        .args(["ciphers", "-V", "-s", version_flag, spec])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {OPENSSL}: {e}"));
    assert!(out.status.success(), "openssl ciphers {spec} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        // TLS 1.3 suites say "Au=any".
        .filter(|l| {
            ["Au=RSA", "Au=None", "Au=any"]
                .iter()
                .any(|a| l.contains(a))
        })
        .filter_map(|l| {
            // "          0xC0,0x14 - ECDHE-RSA-AES256-SHA  TLSv1 Kx=ECDH ..."
            let code = l.split_whitespace().next()?;
            let (hi, lo) = code.split_once(',')?;
            let hi = u32::from_str_radix(hi.trim_start_matches("0x"), 16).ok()?;
            let lo = u32::from_str_radix(lo.trim_start_matches("0x"), 16).ok()?;
            Some(hi << 8 | lo)
        })
        .collect()
}
