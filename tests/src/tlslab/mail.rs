//! An SMTP endpoint with STARTTLS: Dovecot's submission service.
//!
//! Why Dovecot and not an MTA: OpenSMTPD 6.8.0p2 as shipped in Debian 12
//! fails every TLS 1.2 handshake (and aborts TLS 1.3 sessions) with
//! "EVP lib" under OpenSSL 3, because its privilege-separated key engine
//! predates OpenSSL 3 (upstream OpenSMTPD issues #1171 and #1239); Exim and
//! Postfix conflict with it as Debian mail-transport-agents. Dovecot's
//! submission server speaks real SMTP (EHLO, STARTTLS, AUTH) with OpenSSL
//! 3 and installs beside any MTA.

use std::fs;
use std::path::Path;
use std::process::Command;

use super::certs::CertFiles;
use super::launch::{spawn_logged, Server};
use super::openssl::{dhparam, MODERN_ECDSA};

const DOVECOT: &str = "/usr/sbin/dovecot";

/// Starts `dovecot -F` with only the submission service, listening with
/// STARTTLS on `host:port`.
pub fn start(name: &str, host: &str, port: u16, cert: &CertFiles, dir: &Path) -> Server {
    assert!(
        Path::new("/usr/lib/dovecot/submission").exists(),
        "Dovecot's SMTP submission service is not installed: apt-get install dovecot-submissiond"
    );
    let root = dir.join(name);
    for sub in ["run", "state", "home"] {
        fs::create_dir_all(root.join(sub)).expect("dovecot folder");
    }
    let dh = root.join("dh.pem");
    dhparam(&dh, 2048);
    let conf = root.join("dovecot.conf");
    let r = root.display();
    fs::write(
        &conf,
        format!(
            r#"instance_name = trustwatch-lab-{name}-{pid}
base_dir = {r}/run
state_dir = {r}/state
log_path = /dev/stderr
info_log_path = /dev/stderr
protocols = submission
listen = {host}
hostname = localhost
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_dh = <{dh}
ssl_min_protocol = TLSv1.2
ssl_cipher_list = {MODERN_ECDSA}
ssl_prefer_server_ciphers = yes
# Never used: the lab's scanners stop after STARTTLS.
submission_relay_host = {host}
submission_relay_port = 9
auth_mechanisms = plain
passdb {{
  driver = static
  args = password=lab-only-no-user-logs-in
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={r}/home
}}
service submission-login {{
  inet_listener submission {{
    port = {port}
  }}
}}
"#,
            pid = std::process::id(),
            cert = cert.fullchain.display(),
            key = cert.key.display(),
            dh = dh.display(),
        ),
    )
    .expect("write dovecot.conf");
    let mut cmd = Command::new(DOVECOT);
    cmd.arg("-F").arg("-c").arg(&conf);
    spawn_logged(name, cmd, host, port, dir)
}
