//! Dovecot with IMAP and POP3 listeners, in the foreground; STARTTLS/STLS
//! on a self-signed certificate when `tls`. Its one account has a password
//! nobody is told.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::net::wait_for_port;
use crate::tlslab::certs::LabPki;
use crate::tlslab::launch::{spawn_logged, Server};

const DOVECOT: &str = "/usr/sbin/dovecot";

/// Starts Dovecot with IMAP on `ip:imap` and POP3 on `ip:pop3`; the
/// returned server's address is the IMAP one.
pub fn start(dir: &Path, ip: Ipv4Addr, imap: u16, pop3: u16, tls: bool) -> Server {
    for (path, package) in [
        (DOVECOT, "dovecot-imapd"),
        ("/usr/lib/dovecot/pop3", "dovecot-pop3d"),
    ] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing: apt-get install {package} (scripts/test installs it)"
        );
    }
    let name = if tls { "dovecot-tls" } else { "dovecot" };
    let root = dir.join(name);
    for sub in ["run", "state", "home"] {
        fs::create_dir_all(root.join(sub)).expect("dovecot folder");
    }
    let ssl = if tls {
        let cert = LabPki::new(&root).self_signed("mail", "localhost");
        format!(
            "ssl = yes\nssl_cert = <{}\nssl_key = <{}\n",
            cert.cert.display(),
            cert.key.display()
        )
    } else {
        "ssl = no\n".to_owned()
    };
    let r = root.display();
    let conf = root.join("dovecot.conf");
    fs::write(
        &conf,
        format!(
            "instance_name = trustwatch-svclab-{name}-{pid}-{imap}\n\
             base_dir = {r}/run\nstate_dir = {r}/state\n\
             log_path = /dev/stderr\ninfo_log_path = /dev/stderr\n\
             protocols = imap pop3\nlisten = {ip}\n{ssl}\
             passdb {{\n  driver = static\n  args = password=lab-only-no-user-logs-in\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={r}/home\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    port = {imap}\n  }}\n\
             \x20 inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service pop3-login {{\n  inet_listener pop3 {{\n    port = {pop3}\n  }}\n\
             \x20 inet_listener pop3s {{\n    port = 0\n  }}\n}}\n",
            pid = std::process::id(),
        ),
    )
    .expect("write dovecot.conf");
    let mut cmd = Command::new(DOVECOT);
    cmd.arg("-F").arg("-c").arg(&conf);
    let server = spawn_logged(name, cmd, &ip.to_string(), imap, dir);
    let pop3_addr = SocketAddr::from((ip, pop3));
    assert!(
        wait_for_port(pop3_addr, Duration::from_secs(20)),
        "dovecot did not listen for POP3 on {pop3_addr}"
    );
    server
}
