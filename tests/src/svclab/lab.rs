//! The discovery lab: about twenty real services and two silent ports on
//! one address, for the service benchmark against `nmap -sV`
//! (`bench/services.sh`, through the `trustwatch-service-lab` runner) and
//! for tests that want the whole lab at once.
//!
//! [`Layout::WellKnown`] puts every service on its usual port (22, 25, 80,
//! 445, …), which needs root and a network namespace of one's own: that
//! is how the benchmark runs it (`unshare -n`, `lo` up, 127.0.0.1).
//! [`Layout::HighPorts`] picks free ports instead, for use outside a
//! namespace; scanners then identify by banner and probe only, without the
//! port hints.
//!
//! The daemons are started in parallel (each launcher is bounded: at most
//! 20 s to listen, 120 s for a database's initialisation) and stopped in
//! parallel when the [`Lab`] is dropped. The [`Manifest`] says what runs
//! where: the service a scanner should name, the real product and its
//! installed version (from dpkg), and the rules each service is planted
//! to fail.

pub mod silent;
pub mod versions;

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use self::silent::SilentPort;
use super::{
    dovecot, ftp, hl7, ldap, mariadb, memcached, nginx, postgres, redis, samba, smtp, snmpd, sshd,
    storescp, telnetd, vnc, xrdp,
};

/// Where the services listen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// Each service on its well-known port: root, in a namespace.
    WellKnown,
    /// Free ports on the address, chosen at start.
    HighPorts,
}

impl FromStr for Layout {
    type Err = String;

    fn from_str(s: &str) -> Result<Layout, String> {
        match s {
            "well-known" => Ok(Layout::WellKnown),
            "high-ports" => Ok(Layout::HighPorts),
            _ => Err(format!("unknown layout {s:?} (well-known or high-ports)")),
        }
    }
}

/// The DICOM AE title storescp answers to (it accepts any called title).
pub const DICOM_AE_TITLE: &str = "STORESCP";

/// Which launcher plays a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    SshStrong,
    SshWeak,
    Ftp,
    Telnet,
    Smtp,
    /// Dovecot's POP3 listener: started with [`Kind::Imap`].
    Pop3,
    Imap,
    Ldap,
    Http,
    Https,
    HttpAdmin,
    Smb,
    Rdp,
    Postgres,
    Mysql,
    Redis,
    Memcached,
    Dicom,
    Hl7,
    Vnc,
    Snmp,
    Silent,
}

/// One service of the lab, before it runs.
#[derive(Debug)]
struct Spec {
    name: &'static str,
    kind: Kind,
    /// Its port in [`Layout::WellKnown`].
    port: u16,
    udp: bool,
    /// What a scanner should call it (Trustwatch's service names).
    service: Option<&'static str>,
    /// The program really answering.
    product: Option<&'static str>,
    /// The Debian package it comes from (`None`: see `version_of`).
    package: Option<&'static str>,
    description: &'static str,
    planted: &'static [&'static str],
}

const fn tcp(
    name: &'static str,
    kind: Kind,
    port: u16,
    service: &'static str,
    product: &'static str,
    package: &'static str,
) -> Spec {
    Spec {
        name,
        kind,
        port,
        udp: false,
        service: Some(service),
        product: Some(product),
        package: Some(package),
        description: "",
        planted: &[],
    }
}

impl Spec {
    const fn with(self, description: &'static str, planted: &'static [&'static str]) -> Spec {
        Spec {
            description,
            planted,
            ..self
        }
    }
}

/// Rules a service is planted to fail name the exposure where they apply:
/// SVC-003/004/005/008 and HTTP-007 are external rules, SMB-*, RDP-* and
/// SNMP-002 internal ones (rules/src/evaluate/services.rs).
#[rustfmt::skip]
const SPECS: &[Spec] = &[
    tcp("ssh", Kind::SshStrong, 22, "ssh", "OpenSSH", "openssh-server")
        .with("sshd, Debian's defaults (RSA 3072, ECDSA, Ed25519 host keys)", &[]),
    tcp("ssh-weak", Kind::SshWeak, 2222, "ssh", "OpenSSH", "openssh-server")
        .with("sshd with a 1024-bit RSA host key, group1-sha1 kex, CBC ciphers, hmac-md5", &["SSH-002", "SSH-003"]),
    tcp("ftp", Kind::Ftp, 21, "ftp", "vsftpd", "vsftpd")
        .with("vsftpd, no AUTH TLS, no anonymous login", &["SVC-002"]),
    tcp("telnet", Kind::Telnet, 23, "telnet", "GNU inetutils telnetd", "inetutils-telnetd")
        .with("inetutils telnetd under inetutils-inetd", &["SVC-001"]),
    tcp("smtp", Kind::Smtp, 25, "smtp", "Exim", "exim4-daemon-light")
        .with("Exim with STARTTLS, refusing every recipient", &[]),
    tcp("pop3", Kind::Pop3, 110, "pop3", "Dovecot", "dovecot-core")
        .with("Dovecot POP3 without STLS", &["SVC-002"]),
    tcp("imap", Kind::Imap, 143, "imap", "Dovecot", "dovecot-core")
        .with("Dovecot IMAP without STARTTLS", &["SVC-002"]),
    tcp("ldap", Kind::Ldap, 389, "ldap", "OpenLDAP", "slapd")
        .with("slapd, RootDSE only, no StartTLS", &["SVC-002"]),
    tcp("http", Kind::Http, 80, "http", "nginx", "nginx-light")
        .with("nginx serving Debian's default page", &["HTTP-006"]),
    tcp("https", Kind::Https, 443, "https", "nginx", "nginx-light")
        .with("nginx serving the default page over HTTPS (self-signed)", &["HTTP-006"]),
    tcp("http-admin", Kind::HttpAdmin, 8080, "http", "nginx", "nginx-light")
        .with("nginx serving a phpMyAdmin login page fixture", &["HTTP-007"]),
    tcp("smb", Kind::Smb, 445, "smb", "Samba", "samba")
        .with("smbd with SMB1 (NT1) on, signing not required", &["SVC-004", "SMB-001", "SMB-002"]),
    tcp("rdp", Kind::Rdp, 3389, "rdp", "xrdp", "xrdp")
        .with("xrdp, security_layer=rdp (standard RDP security, no NLA)", &["SVC-003", "RDP-001", "RDP-002"]),
    tcp("postgresql", Kind::Postgres, 5432, "postgresql", "PostgreSQL", "postgresql")
        .with("PostgreSQL with TLS, every login rejected", &["SVC-005"]),
    tcp("mysql", Kind::Mysql, 3306, "mysql", "MariaDB", "mariadb-server")
        .with("MariaDB reachable over TCP (one locked account)", &["SVC-005"]),
    tcp("redis", Kind::Redis, 6379, "redis", "Redis", "redis-server")
        .with("redis-server without a password", &["SVC-005"]),
    tcp("memcached", Kind::Memcached, 11211, "memcached", "memcached", "memcached")
        .with("memcached, TCP only", &["SVC-005"]),
    tcp("dicom", Kind::Dicom, 104, "dicom", "DCMTK storescp", "dcmtk")
        .with("dcmtk storescp accepting any called AE title", &["SVC-008"]),
    tcp("hl7", Kind::Hl7, 2575, "hl7-mllp", "python-hl7", "hl7 (PyPI)")
        .with("python-hl7's MLLP server answering every message with an ACK", &["SVC-008"]),
    tcp("vnc", Kind::Vnc, 5900, "vnc", "TigerVNC", "tigervnc-standalone-server")
        .with("Xtigervnc with SecurityTypes None", &["SVC-006"]),
    Spec {
        name: "snmp",
        kind: Kind::Snmp,
        port: 161,
        udp: true,
        service: Some("snmp"),
        product: Some("Net-SNMP"),
        package: Some("snmpd"),
        description: "net-snmp snmpd with the public read-only community",
        planted: &["SNMP-001", "SNMP-002"],
    },
    Spec {
        name: "silent-1",
        kind: Kind::Silent,
        port: 7777,
        udp: false,
        service: None,
        product: None,
        package: None,
        description: "accepts, never writes, holds the connection up to 60 s",
        planted: &[],
    },
    Spec {
        name: "silent-2",
        kind: Kind::Silent,
        port: 9999,
        udp: false,
        service: None,
        product: None,
        package: None,
        description: "accepts, never writes, holds the connection up to 60 s",
        planted: &[],
    },
];

/// One service as it runs: the manifest's entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabService {
    pub name: String,
    pub description: String,
    pub port: u16,
    /// `tcp` or `udp`.
    pub transport: String,
    /// The service a scanner should report (Trustwatch's names: `ssh`,
    /// `smb`, `hl7-mllp`, …); `None` for the silent ports.
    pub service: Option<String>,
    /// The program really answering.
    pub product: Option<String>,
    /// Its upstream version as installed (`9.2p1`, `1.22.1`).
    pub version: Option<String>,
    pub package: Option<String>,
    /// The installed package's full version (`1:9.2p1-2+deb12u10`).
    pub package_version: Option<String>,
    /// Rule ids this service is planted to fail (in the exposure where
    /// each applies).
    pub planted: Vec<String>,
}

/// What the runner prints and the benchmark reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub ip: Ipv4Addr,
    pub layout: Layout,
    pub dir: PathBuf,
    /// The AE title the DICOM service answers to.
    pub dicom_ae_title: String,
    pub services: Vec<LabService>,
}

/// A running daemon or listener ([`crate::tlslab::launch::Server`], [`snmpd::Snmpd`],
/// [`SilentPort`]): each stops itself when dropped.
type Running = Box<dyn std::fmt::Debug + Send>;

/// The running lab. Dropping it stops every service (in parallel).
#[derive(Debug)]
pub struct Lab {
    manifest: Manifest,
    running: Vec<Running>,
}

impl Lab {
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Each stop may wait up to 5 s for its daemon: side by side, the
        // lab stops in the time of its slowest daemon.
        let running = std::mem::take(&mut self.running);
        std::thread::scope(|s| {
            for r in running {
                s.spawn(move || drop(r));
            }
        });
    }
}

/// Starts every service of the lab on `ip`, its files under `dir` (which
/// must be empty or not exist yet).
/// Panics (after stopping whatever did start) if any service fails to
/// start, naming it.
pub fn start(dir: &Path, ip: Ipv4Addr, layout: Layout) -> Lab {
    // The launchers make fresh state (initdb, host keys, configs chowned
    // to daemon users) and are not meant to reuse an old lab's.
    let stale = fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    assert!(
        !stale,
        "the lab folder {} is not empty: give a new or empty folder",
        dir.display()
    );
    fs::create_dir_all(dir).expect("lab folder");
    // Absolute: daemons resolve relative paths against their own working
    // folders (mariadb-install-db against /usr).
    let dir = &fs::canonicalize(dir).expect("lab folder path");
    // Exim and PostgreSQL work as their own users under `dir`: it must be
    // traversable (Exim's launcher sets this too; set once here so the
    // parallel launchers do not race over it).
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).expect("chmod lab folder");
    let ports: Vec<u16> = SPECS
        .iter()
        .map(|spec| match layout {
            Layout::WellKnown => spec.port,
            Layout::HighPorts if spec.udp => free_udp_port(ip),
            Layout::HighPorts => free_tcp_port(ip),
        })
        .collect();
    let pop3 = port_of(&ports, Kind::Pop3);
    let started: Vec<(&Spec, std::thread::Result<Option<Running>>)> = std::thread::scope(|s| {
        let handles: Vec<_> = SPECS
            .iter()
            .zip(&ports)
            .map(|(spec, &port)| {
                let handle = std::thread::Builder::new()
                    .name(format!("lab-{}", spec.name))
                    .spawn_scoped(s, move || launch(spec.kind, dir, ip, port, pop3))
                    .expect("spawn a launcher thread");
                (spec, handle)
            })
            .collect();
        handles
            .into_iter()
            .map(|(spec, h)| (spec, h.join()))
            .collect()
    });
    let mut running = Vec::new();
    let mut failed = Vec::new();
    for (spec, result) in started {
        match result {
            Ok(Some(r)) => running.push(r),
            Ok(None) => {}
            Err(panic) => failed.push(format!("{}: {}", spec.name, panic_text(&*panic))),
        }
    }
    let manifest = Manifest {
        ip,
        layout,
        dir: dir.to_owned(),
        dicom_ae_title: DICOM_AE_TITLE.to_owned(),
        services: entries(&ports),
    };
    let lab = Lab { manifest, running };
    if !failed.is_empty() {
        drop(lab);
        panic!("the service lab did not start:\n{}", failed.join("\n"));
    }
    lab
}

fn port_of(ports: &[u16], kind: Kind) -> u16 {
    SPECS
        .iter()
        .position(|s| s.kind == kind)
        .map(|i| ports[i])
        .expect("every kind is in SPECS")
}

/// Starts one service; `None` for the one started by another (POP3).
fn launch(kind: Kind, dir: &Path, ip: Ipv4Addr, port: u16, pop3: u16) -> Option<Running> {
    let daemon = match kind {
        Kind::SshStrong => sshd::start(dir, ip, port, sshd::Variant::Strong),
        Kind::SshWeak => sshd::start(dir, ip, port, sshd::Variant::Weak),
        Kind::Ftp => ftp::start(dir, ip, port, false),
        Kind::Telnet => telnetd::start(dir, ip, port),
        Kind::Smtp => smtp::start(dir, ip, port, true),
        Kind::Pop3 => return None,
        Kind::Imap => dovecot::start(dir, ip, port, pop3, false),
        Kind::Ldap => ldap::start(dir, ip, port, false),
        Kind::Http => nginx::start(dir, ip, port, nginx::Site::DefaultPage),
        Kind::Https => nginx::start(dir, ip, port, nginx::Site::Https),
        Kind::HttpAdmin => nginx::start(dir, ip, port, nginx::Site::AdminPage),
        Kind::Smb => samba::start(dir, ip, port, samba::Smb1::Enabled, samba::Signing::Default),
        Kind::Rdp => xrdp::start(dir, ip, port, xrdp::SecurityLayer::Rdp),
        Kind::Postgres => postgres::start(dir, ip, port, postgres::Tls::On),
        Kind::Mysql => mariadb::start(dir, ip, port, mariadb::Access::Open),
        Kind::Redis => redis::start(dir, ip, port, redis::Auth::Open),
        Kind::Memcached => memcached::start(dir, ip, port),
        Kind::Dicom => storescp::start(
            dir,
            ip,
            port,
            storescp::Scp::Store {
                ae_title: DICOM_AE_TITLE,
            },
        ),
        Kind::Hl7 => hl7::start(dir, ip, port),
        Kind::Vnc => vnc::start(dir, ip, port, vnc::Security::None),
        Kind::Snmp => {
            let agent = snmpd::start(dir, ip, port, snmpd::Access::PublicCommunity);
            return Some(Box::new(agent));
        }
        Kind::Silent => {
            let addr = SocketAddr::from((ip, port));
            let silent =
                SilentPort::start(addr).unwrap_or_else(|e| panic!("silent port on {addr}: {e}"));
            return Some(Box::new(silent));
        }
    };
    Some(Box::new(daemon))
}

/// The manifest's entries, with installed versions.
fn entries(ports: &[u16]) -> Vec<LabService> {
    let postgres_package = versions::postgres_package();
    let package_of = |spec: &Spec| -> Option<String> {
        match spec.kind {
            Kind::Postgres => Some(postgres_package.clone()),
            Kind::Hl7 | Kind::Silent => None,
            _ => spec.package.map(str::to_owned),
        }
    };
    let packages: Vec<String> = SPECS.iter().filter_map(package_of).collect();
    let names: Vec<&str> = packages.iter().map(String::as_str).collect();
    let installed = versions::debian_versions(&names);
    let hl7 = versions::python_version("hl7");
    SPECS
        .iter()
        .zip(ports)
        .map(|(spec, &port)| {
            let package = package_of(spec);
            let package_version = package.as_ref().and_then(|p| installed.get(p)).cloned();
            let version = match spec.kind {
                Kind::Hl7 => hl7.clone(),
                _ => package_version.as_deref().map(versions::upstream),
            };
            LabService {
                name: spec.name.to_owned(),
                description: spec.description.to_owned(),
                port,
                transport: if spec.udp { "udp" } else { "tcp" }.to_owned(),
                service: spec.service.map(str::to_owned),
                product: spec.product.map(str::to_owned),
                version,
                package: package.or_else(|| spec.package.map(str::to_owned)),
                package_version: match spec.kind {
                    Kind::Hl7 => hl7.clone(),
                    _ => package_version,
                },
                planted: spec.planted.iter().map(|r| (*r).to_owned()).collect(),
            }
        })
        .collect()
}

fn free_tcp_port(ip: Ipv4Addr) -> u16 {
    TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("bind a TCP port on {ip}: {e}"))
}

fn free_udp_port(ip: Ipv4Addr) -> u16 {
    UdpSocket::bind((ip, 0))
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("bind a UDP port on {ip}: {e}"))
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "panicked".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_ports_are_distinct_per_transport() {
        let mut seen = std::collections::HashSet::new();
        for spec in SPECS {
            assert!(
                seen.insert((spec.port, spec.udp)),
                "{} reuses a port",
                spec.name
            );
        }
    }

    #[test]
    fn layouts_parse() {
        assert_eq!("well-known".parse(), Ok(Layout::WellKnown));
        assert_eq!("high-ports".parse(), Ok(Layout::HighPorts));
        assert!("low".parse::<Layout>().is_err());
    }
}
