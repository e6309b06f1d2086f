//! TigerVNC's standalone X server (Xtigervnc) with its RFB listener on
//! `ip:port` and no X11 TCP listener. The display number is whichever is
//! free (`-displayfd` writes it to the log).

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use crate::tlslab::launch::{spawn_logged, Server};

const XVNC: &str = "/usr/bin/Xtigervnc";

/// How clients must authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `None`: anyone who reaches the port gets the screen.
    None,
    /// `VncAuth` with a password file nobody knows the password of.
    Password,
}

/// Starts Xtigervnc serving RFB on `ip:port`.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16, security: Security) -> Server {
    assert!(
        Path::new(XVNC).exists(),
        "{XVNC} is missing: apt-get install tigervnc-standalone-server (scripts/test installs it)"
    );
    let name = match security {
        Security::None => "vnc-open",
        Security::Password => "vnc-password",
    };
    let mut cmd = Command::new(XVNC);
    cmd.args([
        "-displayfd",
        "1",
        "-nolisten",
        "tcp",
        "-geometry",
        "640x480",
    ])
    .args(["-depth", "24", "-rfbport", &port.to_string()])
    .args(["-interface", &ip.to_string()])
    // Xvnc blacklists an address after a few connections that end before
    // authentication (ours always do) and then answers RFB 3.3 with a
    // refusal; repeated lab scans must see the same server every time.
    .args(["-BlacklistThreshold", "1000000"]);
    match security {
        Security::None => {
            cmd.args(["-SecurityTypes", "None"]);
        }
        Security::Password => {
            let root = dir.join(name);
            std::fs::create_dir_all(&root).expect("vnc folder");
            // VNC's password file: 8 bytes, DES-encrypted with a fixed
            // key; any 8 bytes are some password, unknown to anyone here.
            let passwd = root.join("passwd");
            std::fs::write(&passwd, [0x5a, 0x17, 0xc3, 0x88, 0x01, 0x9e, 0x44, 0x2b])
                .expect("write VNC password file");
            cmd.args(["-SecurityTypes", "VncAuth", "-rfbauth"])
                .arg(&passwd);
        }
    }
    spawn_logged(name, cmd, &ip.to_string(), port, dir)
}
