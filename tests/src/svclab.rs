//! Launchers of the real services of the discovery lab.

pub mod dovecot;
pub mod ftp;
pub mod hl7;
pub mod lab;
pub mod ldap;
pub mod mariadb;
pub mod memcached;
pub mod nginx;
pub mod postgres;
pub mod redis;
pub mod samba;
pub mod smtp;
pub mod snmpd;
pub mod sshd;
pub mod storescp;
pub mod telnetd;
pub mod vnc;
pub mod xrdp;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use trustwatch_agent::discover::identify::{Dial, IdentifyOptions};
use trustwatch_agent::probe::BoxFuture;

/// A dialer for identification tests: connects directly (the scan's paced
/// dialer is not under test there), loopback only, within 5 s.
#[derive(Debug)]
pub struct Direct;

impl Dial for Direct {
    fn dial(&self, addr: SocketAddr) -> BoxFuture<'_, std::io::Result<TcpStream>> {
        Box::pin(async move {
            assert!(addr.ip().is_loopback(), "tests dial loopback only: {addr}");
            match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await {
                Ok(result) => result,
                Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
            }
        })
    }
}

/// Identification options for tests against lab servers: waits long enough
/// for a loaded machine.
pub fn identify_opts() -> IdentifyOptions {
    IdentifyOptions {
        quick_wait: Duration::from_millis(1500),
        io_timeout: Duration::from_secs(5),
        ..IdentifyOptions::default()
    }
}
