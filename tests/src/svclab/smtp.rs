//! Exim (Debian's exim4-daemon-light) in the foreground, accepting no mail
//! (every RCPT is refused), with STARTTLS on a self-signed certificate
//! when `tls`. Name lookups are off so that no test query leaves the
//! machine.

use std::fs;
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tlslab::certs::LabPki;
use crate::tlslab::launch::{spawn_logged, Server};

const EXIM: &str = "/usr/sbin/exim4";
/// The account Debian's Exim drops to; its files must belong to it.
const EXIM_USER: &str = "Debian-exim";

/// Starts Exim on `ip:port`; spool, logs, certificate and config live in
/// `dir/exim`. `dir` is made traversable (0755) because Exim works as
/// its own user there.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16, tls: bool) -> Server {
    let name = if tls { "exim-tls" } else { "exim" };
    let root = dir.join(name);
    fs::create_dir_all(&root).expect("exim folder");
    let cert = tls.then(|| {
        let c = LabPki::new(&root).self_signed("smtp", "localhost");
        (c.cert, c.key)
    });
    launch(dir, name, ip, port, cert)
}

/// Starts Exim as [`start`] does, in `dir/<name>`, offering STARTTLS with
/// the given certificate (PEM, leaf first) and key: a test PKI's
/// certificate for an MX name.
pub fn start_with_certificate(
    dir: &Path,
    name: &str,
    ip: Ipv4Addr,
    port: u16,
    cert: &Path,
    key: &Path,
) -> Server {
    let root = dir.join(name);
    fs::create_dir_all(&root).expect("exim folder");
    // Copied in, so that the chown below gives Exim's user the key.
    let (c, k) = (root.join("tls.crt"), root.join("tls.key"));
    fs::copy(cert, &c).expect("copy certificate");
    fs::copy(key, &k).expect("copy key");
    launch(dir, name, ip, port, Some((c, k)))
}

fn launch(
    dir: &Path,
    name: &str,
    ip: Ipv4Addr,
    port: u16,
    cert: Option<(PathBuf, PathBuf)>,
) -> Server {
    assert!(
        Path::new(EXIM).exists(),
        "{EXIM} is missing: apt-get install exim4-daemon-light (scripts/test installs it)"
    );
    let (uid, gid) = user_ids(EXIM_USER);
    let root = dir.join(name);
    for sub in ["spool", "log"] {
        fs::create_dir_all(root.join(sub)).expect("exim folder");
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).expect("chmod lab folder");
    for entry in walk(&root) {
        std::os::unix::fs::chown(&entry, Some(uid), Some(gid)).expect("chown to Debian-exim");
    }
    let tls_conf = if let Some((cert, key)) = &cert {
        format!(
            "tls_advertise_hosts = *\ntls_certificate = {}\ntls_privatekey = {}\n",
            cert.display(),
            key.display()
        )
    } else {
        "tls_advertise_hosts =\n".to_owned()
    };
    let r = root.display();
    // Exim insists its config belongs to root: written after the chown.
    let conf = root.join("exim.conf");
    fs::write(
        &conf,
        format!(
            "primary_hostname = localhost\nkeep_environment =\n\
             host_lookup =\nhelo_lookup_domains =\nrfc1413_hosts =\n\
             spool_directory = {r}/spool\nlog_file_path = {r}/log/%slog\n\
             pid_file_path = {r}/exim.pid\nlocal_interfaces = {ip}\n{tls_conf}\
             acl_smtp_rcpt = refuse\nbegin acl\nrefuse:\n  deny\n"
        ),
    )
    .expect("write exim.conf");
    let mut cmd = Command::new(EXIM);
    cmd.args(["-bdf", "-oX", &port.to_string(), "-C"])
        .arg(&conf);
    spawn_logged(name, cmd, &ip.to_string(), port, dir)
}

/// `dir` and everything under it.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut all = vec![dir.to_owned()];
    for entry in fs::read_dir(dir).expect("read folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            all.extend(walk(&path));
        } else {
            all.push(path);
        }
    }
    all
}

/// A system account's uid and gid, from /etc/passwd.
fn user_ids(user: &str) -> (u32, u32) {
    let passwd = fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    passwd
        .lines()
        .find_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            (f.first() == Some(&user) && f.len() > 3)
                .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
                .flatten()
        })
        .unwrap_or_else(|| panic!("no user `{user}` in /etc/passwd"))
}
