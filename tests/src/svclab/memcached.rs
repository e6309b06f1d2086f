//! `memcached` (Debian's memcached) on one TCP address and port, UDP off.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use crate::tlslab::launch::{spawn_logged, Server};

const MEMCACHED: &str = "/usr/bin/memcached";

/// Starts memcached in the foreground on `ip:port` (as `nobody` when run
/// as root, which memcached otherwise refuses); waits (at most 20 s) until
/// it accepts connections. It keeps no files; its log is `dir`'s.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16) -> Server {
    assert!(
        Path::new(MEMCACHED).exists(),
        "memcached is not installed: apt-get install memcached (scripts/test installs it)"
    );
    let mut cmd = Command::new(MEMCACHED);
    cmd.args(["-l", &ip.to_string(), "-p", &port.to_string(), "-U", "0"])
        .args(["-u", "nobody", "-m", "16"]);
    spawn_logged(
        &format!("memcached-{port}"),
        cmd,
        &ip.to_string(),
        port,
        dir,
    )
}
