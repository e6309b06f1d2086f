//! net-snmp's `snmpd` (Debian's snmpd) on one UDP address, with its
//! configuration and persistent state in the lab folder: either with the
//! `public` read-only community for v1/v2c, or with no community at all
//! (only an SNMPv3 user), so that v1/v2c requests go unanswered.

use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::Child;

const SNMPD: &str = "/usr/sbin/snmpd";

/// How the agent is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `rocommunity public default`: v1 and v2c with `public`.
    PublicCommunity,
    /// No community; one SNMPv3 user (authPriv), as a hardened agent has.
    V3Only,
}

/// A running snmpd, stopped (SIGTERM, then SIGKILL) when dropped. UDP has
/// no accept to wait for, so readiness is the bound socket in
/// `/proc/net/udp`.
#[derive(Debug)]
pub struct Snmpd {
    pub addr: SocketAddr,
    pub pid: u32,
    child: Child,
}

impl Drop for Snmpd {
    fn drop(&mut self) {
        if matches!(self.child.0.try_wait(), Ok(None)) {
            let _ = Command::new("/usr/bin/kill")
                .args(["-TERM", &self.pid.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if !matches!(self.child.0.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Starts snmpd in the foreground on UDP `ip:port`, files under
/// `dir/snmpd-<port>`; waits (at most 20 s) until the port is bound.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16, access: Access) -> Snmpd {
    assert!(
        Path::new(SNMPD).exists(),
        "snmpd is not installed: apt-get install snmpd (scripts/test installs it)"
    );
    let root = dir.join(format!("snmpd-{port}"));
    let persist = root.join("persist");
    fs::create_dir_all(&persist).expect("snmpd folder");
    let conf = root.join("snmpd.conf");
    let access_lines = match access {
        Access::PublicCommunity => "rocommunity public default\n",
        // A v3 user only: v1/v2c requests match no community and are
        // dropped (counted as snmpInBadCommunityNames), never answered.
        Access::V3Only => {
            "createUser twlab SHA \"trustwatch-lab-auth\" AES \"trustwatch-lab-priv\"\n\
             rouser twlab priv\n"
        }
    };
    fs::write(
        &conf,
        format!("{access_lines}sysLocation Trustwatch discovery lab\nsysContact lab@localhost\n"),
    )
    .expect("write snmpd.conf");
    let log_path = dir.join(format!("snmpd-{port}.log"));
    let log = File::create(&log_path).expect("create snmpd log");
    let child = Command::new(SNMPD)
        // -f foreground, -Lo log to stdout, -C only our config file.
        .args(["-f", "-Lo", "-C", "-c"])
        .arg(&conf)
        .arg("-p")
        .arg(root.join("snmpd.pid"))
        .arg(format!("udp:{ip}:{port}"))
        .env("SNMP_PERSISTENT_DIR", &persist)
        // No MIB files to parse: the agent needs none, and loading them
        // only fills the log with warnings.
        .env("MIBS", "")
        .env("MIBDIRS", &persist)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone log handle"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("start snmpd: {e}"));
    let pid = child.id();
    let mut child = Child(child);
    let start = Instant::now();
    loop {
        if let Some(status) = child.0.try_wait().expect("poll snmpd") {
            panic!(
                "snmpd exited ({status}) before binding udp:{ip}:{port}: {}",
                fs::read_to_string(&log_path).unwrap_or_default()
            );
        }
        if udp_bound(ip, port) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "snmpd did not bind udp:{ip}:{port} within 20 s: {}",
            fs::read_to_string(&log_path).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Snmpd {
        addr: SocketAddr::from((ip, port)),
        pid,
        child,
    }
}

/// Whether some socket is bound to UDP `ip:port` in this network
/// namespace (`/proc/net/udp` lists addresses as little-endian hex).
pub fn udp_bound(ip: Ipv4Addr, port: u16) -> bool {
    let want = format!("{:08X}:{port:04X}", u32::from_le_bytes(ip.octets()));
    fs::read_to_string("/proc/net/udp").is_ok_and(|table| {
        table
            .lines()
            .skip(1)
            .filter_map(|line| line.split_whitespace().nth(1))
            .any(|local| local == want)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_bound_sees_a_bound_socket() {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        assert!(udp_bound(Ipv4Addr::LOCALHOST, port));
        drop(socket);
        assert!(!udp_bound(Ipv4Addr::LOCALHOST, port));
    }
}
