//! MariaDB with a private data folder initialised by `mariadb-install-db`,
//! in the foreground as root, name resolution off (no lookup leaves the
//! machine).
//!
//! `Open` lets any address reach the handshake (a locked account exists
//! for `%`), as a database listening on the network does; `LocalOnly` has
//! only the `localhost` (socket) accounts, so a TCP client is refused
//! before the handshake with error 1130 (host not allowed).

use std::fs;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::process::run_bounded;
use crate::tlslab::launch::{spawn_logged, Server};

const MARIADBD: &str = "/usr/sbin/mariadbd";
const INSTALL_DB: &str = "/usr/bin/mariadb-install-db";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Open,
    LocalOnly,
}

/// Starts mariadbd on `ip:port`, its data, socket and logs in `dir`.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16, access: Access) -> Server {
    assert!(
        Path::new(MARIADBD).exists(),
        "{MARIADBD} is missing: apt-get install mariadb-server (scripts/test installs it)"
    );
    let name = match access {
        Access::Open => "mariadb",
        Access::LocalOnly => "mariadb-local",
    };
    let root = dir.join(name);
    let data = root.join("data");
    fs::create_dir_all(&root).expect("mariadb folder");
    let out = run_bounded(
        Command::new(INSTALL_DB)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args([
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ]),
        Duration::from_secs(120),
    );
    assert!(
        out.status.success(),
        "mariadb-install-db failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cmd = Command::new(MARIADBD);
    cmd.arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--bind-address={ip}"))
        .arg(format!("--port={port}"))
        .arg(format!("--socket={}", root.join("mariadb.sock").display()))
        .arg(format!("--pid-file={}", root.join("mariadb.pid").display()))
        .args(["--user=root", "--skip-name-resolve", "--skip-log-bin"]);
    // No account is reachable over TCP by a password-less root: the
    // loopback root accounts mariadb-install-db makes go. `Open` then adds
    // a locked account for every host, which is all the handshake needs.
    let mut init = "DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1';\n".to_owned();
    if access == Access::Open {
        init.push_str("CREATE USER IF NOT EXISTS 'lab'@'%' ACCOUNT LOCK;\n");
    }
    let init_file = root.join("init.sql");
    fs::write(&init_file, init).expect("write init.sql");
    cmd.arg(format!("--init-file={}", init_file.display()));
    spawn_logged(name, cmd, &ip.to_string(), port, dir)
}
