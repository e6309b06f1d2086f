//! OpenLDAP's slapd with no database: the RootDSE is all it serves, which
//! is all identification reads. With `tls` it offers StartTLS on a
//! self-signed certificate.

use std::fs;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use crate::tlslab::certs::LabPki;
use crate::tlslab::launch::{spawn_logged, Server};

const SLAPD: &str = "/usr/sbin/slapd";

/// Starts slapd on `ip:port`, its config in `dir`.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16, tls: bool) -> Server {
    assert!(
        Path::new(SLAPD).exists(),
        "{SLAPD} is missing: apt-get install slapd (scripts/test installs it)"
    );
    let name = if tls { "slapd-tls" } else { "slapd" };
    let root = dir.join(name);
    fs::create_dir_all(&root).expect("slapd folder");
    let tls_conf = if tls {
        let cert = LabPki::new(&root).self_signed("ldap", "localhost");
        format!(
            "TLSCertificateFile {}\nTLSCertificateKeyFile {}\n",
            cert.cert.display(),
            cert.key.display()
        )
    } else {
        String::new()
    };
    let r = root.display();
    let conf = root.join("slapd.conf");
    fs::write(
        &conf,
        format!(
            "include /etc/ldap/schema/core.schema\npidfile {r}/slapd.pid\n\
             argsfile {r}/slapd.args\n{tls_conf}"
        ),
    )
    .expect("write slapd.conf");
    let mut cmd = Command::new(SLAPD);
    cmd.args(["-d", "0", "-h", &format!("ldap://{ip}:{port}/"), "-f"])
        .arg(&conf);
    spawn_logged(name, cmd, &ip.to_string(), port, dir)
}
