//! Real STARTTLS servers on 127.0.0.1, each configured in its own temp
//! folder with a certificate from `pki.rs`: Exim (SMTP), PostgreSQL,
//! Dovecot (IMAP and POP3), vsftpd (FTP) and OpenLDAP's slapd (LDAP).
//! Each can start with TLS off, to test a server that does not offer it.

#![allow(dead_code)] // each test binary uses a different part

use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::daemons::{free_port_on, program, user_ids, Daemon};
use super::pki::Pair;

const HOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// A running server and the folder its config lives in (removed after the
/// server stops: fields drop in order).
#[derive(Debug)]
pub struct Served {
    pub daemon: Daemon,
    /// Dovecot's POP3 listener beside its IMAP one.
    pub second: Option<SocketAddr>,
    dir: tempfile::TempDir,
}

impl Served {
    pub fn target(&self) -> String {
        self.daemon.target()
    }
}

/// Copies the certificate and key into `dir`, the key readable by its
/// owner only (PostgreSQL refuses a key others can read).
fn install_pair(dir: &Path, pair: &Pair) -> (PathBuf, PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::copy(&pair.cert, &cert).unwrap();
    std::fs::copy(&pair.key, &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    (cert, key)
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from((HOST, port))
}

/// Exim (Debian's exim4-daemon-light, GnuTLS) in the foreground, with its
/// spool and logs in the temp folder; it accepts no mail. Exim drops root
/// for a `-C` config, so its files belong to its own user. Name lookups
/// are off (by default Exim looks up the name of a client that greets with
/// the server's own address, over DNS: a test must not leave the machine).
/// Its default limit of 20 concurrent sessions stays: the agent must cope
/// with it.
pub fn exim(pair: &Pair, tls: bool) -> Served {
    let exim = program("/usr/sbin/exim4", "exim4-daemon-light");
    let (uid, gid) = user_ids("Debian-exim");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = install_pair(dir.path(), pair);
    let root = dir.path().display().to_string();
    for sub in ["spool", "log"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    let port = free_port_on(HOST);
    let tls_conf = if tls {
        format!(
            "tls_advertise_hosts = *\ntls_certificate = {}\ntls_privatekey = {}\n",
            cert.display(),
            key.display()
        )
    } else {
        "tls_advertise_hosts =\n".to_owned()
    };
    // Exim insists its config belongs to root: written after the chown.
    for entry in walk(dir.path()) {
        std::os::unix::fs::chown(&entry, Some(uid), Some(gid)).unwrap();
    }
    let conf = dir.path().join("exim.conf");
    std::fs::write(
        &conf,
        format!(
            "primary_hostname = localhost\nkeep_environment =\n\
             host_lookup =\nhelo_lookup_domains =\nrfc1413_hosts =\n\
             spool_directory = {root}/spool\nlog_file_path = {root}/log/%slog\n\
             pid_file_path = {root}/exim.pid\nlocal_interfaces = {HOST}\n{tls_conf}\
             acl_smtp_rcpt = refuse\nbegin acl\nrefuse:\n  deny\n"
        ),
    )
    .unwrap();
    let mut command = Command::new(exim);
    command
        .args(["-bdf", "-oX", &port.to_string(), "-C"])
        .arg(&conf);
    let log = dir.path().join("exim.out");
    let daemon = Daemon::start("exim", command, addr(port), &log);
    Served {
        daemon,
        second: None,
        dir,
    }
}

/// `dir` and everything in it (one level of folders is all the servers
/// here create).
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut all = vec![dir.to_owned()];
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all.extend(walk(&path));
        } else {
            all.push(path);
        }
    }
    all
}

/// The newest installed PostgreSQL server binaries folder.
fn postgres_bin() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("postgres").exists())
        .collect();
    versions.sort();
    let (_, bin) = versions.pop().unwrap_or_else(|| {
        panic!("no /usr/lib/postgresql/*/bin/postgres: this test needs the Debian package `postgresql` (apt-get install postgresql; scripts/test installs it)")
    });
    bin
}

/// PostgreSQL, initialised into a temp folder and run as the `postgres`
/// user (it refuses to run as root), TCP on 127.0.0.1 only.
pub fn postgres(pair: &Pair, ssl: bool) -> Served {
    let bin = postgres_bin();
    let (uid, gid) = user_ids("postgres");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = install_pair(dir.path(), pair);
    for path in [dir.path(), &cert, &key] {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
    }
    let data = dir.path().join("data");
    let init = Command::new(bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "--no-sync"])
        .uid(uid)
        .gid(gid)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let port = free_port_on(HOST);
    let settings = format!(
        "\nssl = {}\nssl_cert_file = '{}'\nssl_key_file = '{}'\nfsync = off\n",
        if ssl { "on" } else { "off" },
        cert.display(),
        key.display()
    );
    let conf = data.join("postgresql.conf");
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str(&settings);
    std::fs::write(&conf, text).unwrap();
    let mut command = Command::new(bin.join("postgres"));
    command
        .arg("-D")
        .arg(&data)
        .arg("-k")
        .arg(dir.path())
        .args(["-p", &port.to_string(), "-h", &HOST.to_string()])
        .uid(uid)
        .gid(gid);
    let log = dir.path().join("postgres.log");
    let daemon = Daemon::start("postgres", command, addr(port), &log);
    Served {
        daemon,
        second: None,
        dir,
    }
}

/// Dovecot with IMAP (`daemon.addr`) and POP3 (`second`) listeners.
pub fn dovecot(pair: &Pair, tls: bool) -> Served {
    let dovecot = program("/usr/sbin/dovecot", "dovecot-imapd dovecot-pop3d");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = install_pair(dir.path(), pair);
    let root = dir.path().display().to_string();
    for sub in ["run", "state", "home"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    let (imap, pop3) = (free_port_on(HOST), free_port_on(HOST));
    let ssl = if tls {
        format!(
            "ssl = yes\nssl_cert = <{}\nssl_key = <{}\n",
            cert.display(),
            key.display()
        )
    } else {
        "ssl = no\n".to_owned()
    };
    let conf = dir.path().join("dovecot.conf");
    std::fs::write(
        &conf,
        format!(
            "base_dir = {root}/run\nstate_dir = {root}/state\nlog_path = {root}/dovecot.log\n\
             protocols = imap pop3\nlisten = {HOST}\n{ssl}\
             passdb {{\n  driver = static\n  args = password=unused\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={root}/home\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    port = {imap}\n  }}\n\
             \x20 inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service pop3-login {{\n  inet_listener pop3 {{\n    port = {pop3}\n  }}\n\
             \x20 inet_listener pop3s {{\n    port = 0\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let mut command = Command::new(dovecot);
    command.arg("-F").arg("-c").arg(&conf);
    let log = dir.path().join("dovecot.out");
    let mut daemon = Daemon::start("dovecot", command, addr(imap), &log);
    daemon.wait_listening(addr(pop3));
    Served {
        daemon,
        second: Some(addr(pop3)),
        dir,
    }
}

/// vsftpd in the foreground; nobody can log in, AUTH TLS is all it serves.
pub fn vsftpd(pair: &Pair, tls: bool) -> Served {
    let vsftpd = program("/usr/sbin/vsftpd", "vsftpd");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = install_pair(dir.path(), pair);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let port = free_port_on(HOST);
    let conf = dir.path().join("vsftpd.conf");
    std::fs::write(
        &conf,
        format!(
            "listen=YES\nlisten_ipv6=NO\nlisten_address={HOST}\nlisten_port={port}\n\
             background=NO\nanonymous_enable=NO\nlocal_enable=YES\n\
             ssl_enable={}\nrsa_cert_file={}\nrsa_private_key_file={}\n\
             secure_chroot_dir={}\nxferlog_enable=NO\nseccomp_sandbox=NO\n",
            if tls { "YES" } else { "NO" },
            cert.display(),
            key.display(),
            empty.display()
        ),
    )
    .unwrap();
    let mut command = Command::new(vsftpd);
    command.arg(&conf);
    let log = dir.path().join("vsftpd.log");
    let daemon = Daemon::start("vsftpd", command, addr(port), &log);
    Served {
        daemon,
        second: None,
        dir,
    }
}

/// OpenLDAP's slapd with no database: enough to answer StartTLS.
pub fn slapd(pair: &Pair, tls: bool) -> Served {
    let slapd = program("/usr/sbin/slapd", "slapd");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = install_pair(dir.path(), pair);
    let port = free_port_on(HOST);
    let tls_conf = if tls {
        format!(
            "TLSCertificateFile {}\nTLSCertificateKeyFile {}\n",
            cert.display(),
            key.display()
        )
    } else {
        String::new()
    };
    let conf = dir.path().join("slapd.conf");
    std::fs::write(
        &conf,
        format!(
            "include /etc/ldap/schema/core.schema\npidfile {root}/slapd.pid\n\
             argsfile {root}/slapd.args\n{tls_conf}",
            root = dir.path().display()
        ),
    )
    .unwrap();
    let mut command = Command::new(slapd);
    command
        .args(["-d", "0", "-h", &format!("ldap://{HOST}:{port}/"), "-f"])
        .arg(&conf);
    let log = dir.path().join("slapd.log");
    let daemon = Daemon::start("slapd", command, addr(port), &log);
    Served {
        daemon,
        second: None,
        dir,
    }
}
