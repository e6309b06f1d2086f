//! Running the real `trustwatch-agent scan` over a lab's targets file.
//!
//! Output goes to files, not pipes: a whole-lab JSON report is far larger
//! than a pipe's 64 KiB buffer, and a child blocked writing to a pipe nobody
//! reads until it exits would never exit.

use std::fs::{self, File};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::manifest::Manifest;
use crate::process::{binary, Child};

/// One finished scan.
#[derive(Debug)]
pub struct ScanRun {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
}

impl ScanRun {
    /// The JSON report, or a panic that shows what the scan said instead.
    pub fn report(&self) -> Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "scan printed no JSON report ({e}); exit {}; stderr: {}",
                self.status, self.stderr
            )
        })
    }
}

/// `trustwatch-agent scan --targets <lab> --ca <lab root> --format json`
/// plus `extra`, killed (and reported as a panic) past `limit`.
pub fn scan(manifest: &Manifest, extra: &[&str], limit: Duration) -> ScanRun {
    let out_path = manifest.dir.join("scan.json");
    let err_path = manifest.dir.join("scan.stderr");
    let mut cmd = Command::new(binary("trustwatch-agent"));
    cmd.arg("scan")
        .arg("--targets")
        .arg(&manifest.targets_file)
        .arg("--ca")
        .arg(&manifest.ca)
        .args(["--format", "json"])
        .args(extra);
    run_to_files(&mut cmd, &out_path, &err_path, limit)
}

/// Runs `cmd` with stdout and stderr written to files, bounded by `limit`.
pub fn run_to_files(cmd: &mut Command, out: &Path, err: &Path, limit: Duration) -> ScanRun {
    let start = Instant::now();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(File::create(out).expect("create stdout file"))
        .stderr(File::create(err).expect("create stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let mut child = Child(child);
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("poll child") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.0.kill();
            let _ = child.0.wait();
            panic!(
                "{cmd:?} did not finish within {limit:?}; stderr: {}",
                fs::read_to_string(err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    ScanRun {
        status,
        stdout: fs::read(out).expect("read stdout file"),
        stderr: fs::read_to_string(err).unwrap_or_default(),
        elapsed: start.elapsed(),
    }
}
