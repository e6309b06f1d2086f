//! `redis-server` (Debian's redis-server) on one address and port, with no
//! persistence (nothing is written to `dir/redis-<port>`, its working
//! folder), with or without a password.

use std::fs;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use crate::tlslab::launch::{spawn_logged, Server};

const REDIS: &str = "/usr/bin/redis-server";

/// Whether clients must authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// No password: anyone who reaches the port has the data.
    Open,
    /// `requirepass`: every command but AUTH answers `-NOAUTH`.
    Password,
}

/// Starts redis-server in the foreground on `ip:port`; waits (at most
/// 20 s) until it accepts connections.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16, auth: Auth) -> Server {
    assert!(
        Path::new(REDIS).exists(),
        "redis-server is not installed: apt-get install redis-server (scripts/test installs it)"
    );
    let root = dir.join(format!("redis-{port}"));
    fs::create_dir_all(&root).expect("redis folder");
    let mut cmd = Command::new(REDIS);
    cmd.args(["--port", &port.to_string(), "--bind", &ip.to_string()])
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        // Protected mode refuses clients from other addresses when there is
        // no password; the lab's clients come from other 127/8 addresses
        // or, in a namespace, other hosts, and the open variant is meant
        // to be open.
        .args(["--protected-mode", "no"])
        .arg("--dir")
        .arg(&root);
    if auth == Auth::Password {
        // Never sent by anything in the lab: it only has to exist.
        cmd.args(["--requirepass", "trustwatch-lab-only"]);
    }
    spawn_logged(&format!("redis-{port}"), cmd, &ip.to_string(), port, dir)
}
