//! A real telnet daemon: GNU inetutils' telnetd, started per connection by
//! inetutils' inetd with a private config (BusyBox here has no telnetd).
//! Nobody can log in: the test never answers the option negotiation, let
//! alone the login prompt.

use std::fs;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use crate::tlslab::launch::{spawn_logged, Server};

const INETD: &str = "/usr/sbin/inetutils-inetd";
const TELNETD: &str = "/usr/sbin/telnetd";

/// Starts inetd serving telnet on `ip:port`, its config in `dir/telnetd`.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16) -> Server {
    for (path, package) in [(INETD, "inetutils-inetd"), (TELNETD, "inetutils-telnetd")] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing: apt-get install {package} (scripts/test installs it)"
        );
    }
    let root = dir.join("telnetd");
    fs::create_dir_all(&root).expect("telnetd folder");
    let conf = root.join("inetd.conf");
    fs::write(
        &conf,
        format!("{ip}:{port} stream tcp nowait root {TELNETD} telnetd\n"),
    )
    .expect("write inetd.conf");
    let mut cmd = Command::new(INETD);
    // -d: stay in the foreground, log to stderr.
    cmd.arg("-d")
        .arg(format!("--pidfile={}", root.join("inetd.pid").display()))
        .arg(&conf);
    spawn_logged("telnetd", cmd, &ip.to_string(), port, dir)
}
