//! vsftpd in the foreground. Anonymous login is off and nobody has a
//! password, so nothing can be read or written; with `tls` it offers
//! `AUTH TLS` with a self-signed certificate.

use std::fs;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use crate::tlslab::certs::LabPki;
use crate::tlslab::launch::{spawn_logged, Server};

const VSFTPD: &str = "/usr/sbin/vsftpd";

/// Starts vsftpd on `ip:port`, its config and certificate in `dir`.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16, tls: bool) -> Server {
    assert!(
        Path::new(VSFTPD).exists(),
        "{VSFTPD} is missing: apt-get install vsftpd (scripts/test installs it)"
    );
    let name = if tls { "vsftpd-tls" } else { "vsftpd" };
    let root = dir.join(name);
    let empty = root.join("empty");
    fs::create_dir_all(&empty).expect("vsftpd folder");
    let cert = LabPki::new(&root).self_signed("ftp", "localhost");
    let conf = root.join("vsftpd.conf");
    fs::write(
        &conf,
        format!(
            "listen=YES\nlisten_ipv6=NO\nlisten_address={ip}\nlisten_port={port}\n\
             background=NO\nanonymous_enable=NO\nlocal_enable=YES\nwrite_enable=NO\n\
             ssl_enable={}\nrsa_cert_file={}\nrsa_private_key_file={}\n\
             secure_chroot_dir={}\nxferlog_enable=NO\nseccomp_sandbox=NO\n",
            if tls { "YES" } else { "NO" },
            cert.cert.display(),
            cert.key.display(),
            empty.display()
        ),
    )
    .expect("write vsftpd.conf");
    let mut cmd = Command::new(VSFTPD);
    cmd.arg(&conf);
    spawn_logged(name, cmd, &ip.to_string(), port, dir)
}
