//! An HL7 v2 MLLP listener: python-hl7's `hl7.mllp` server run by
//! `hl7_mllp.py` (next to this file), which answers every message with
//! python-hl7's own ACK. No Debian package ships an MLLP listener, so this
//! is the closest real implementation (PyPI `hl7`, installed by
//! scripts/test).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tlslab::launch::{spawn_logged, Server};

/// What the listener names itself in MSH-3 of its ACKs.
pub const APPLICATION: &str = "python-hl7";

/// The runner script, in the source tree.
pub fn runner() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/svclab/hl7_mllp.py")
}

/// Starts the listener on `ip:port`; its log in `dir`; stopped on drop.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16) -> Server {
    let ok = Command::new("python3")
        .args(["-c", "import hl7.mllp"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python-hl7 is missing: python3 -m pip install hl7 (scripts/test installs it)"
    );
    let mut cmd = Command::new("python3");
    cmd.arg(runner())
        .arg(ip.to_string())
        .arg(port.to_string())
        .arg(APPLICATION);
    spawn_logged(&format!("hl7-{port}"), cmd, &ip.to_string(), port, dir)
}
