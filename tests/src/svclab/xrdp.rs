//! xrdp (Debian's xrdp 0.9) on one address and port, with a private
//! `xrdp.ini` (`--config`), certificate, key and log under
//! `dir/xrdp-<port>`, in the foreground (`--nodaemon`, so it writes no pid
//! file), threads rather than forks per connection.
//!
//! Two things stay where the package put them, because this xrdp reads
//! them from paths fixed at build time: `/etc/xrdp/rsakeys.ini` (the
//! standard-security RSA key, made by the package with `xrdp-keygen`; xrdp
//! refuses to start without it, and reads it only after the X.224
//! exchange, which is as far as discovery goes) and the pid-file check in
//! `/var/run/xrdp` (a system xrdp already running there makes this one
//! exit at once, which the launcher reports with its log).
//!
//! xrdp does not implement NLA (CredSSP): its `security_layer` is `rdp`,
//! `tls` or `negotiate`, and none of them makes HYBRID required.

use std::fs;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use crate::tlslab::launch::{spawn_logged, Server};

const XRDP: &str = "/usr/sbin/xrdp";
const RSA_KEYS: &str = "/etc/xrdp/rsakeys.ini";

/// xrdp's `security_layer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityLayer {
    /// Standard RDP security only (RDP-002 fails).
    Rdp,
    /// TLS only: a client asking for standard security gets
    /// SSL_REQUIRED_BY_SERVER.
    Tls,
    /// Whatever the client asks for, TLS preferred.
    Negotiate,
}

impl SecurityLayer {
    fn as_str(self) -> &'static str {
        match self {
            SecurityLayer::Rdp => "rdp",
            SecurityLayer::Tls => "tls",
            SecurityLayer::Negotiate => "negotiate",
        }
    }
}

/// Starts xrdp in the foreground on `ip:port`; waits (at most 20 s) until
/// it accepts connections.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16, layer: SecurityLayer) -> Server {
    assert!(
        Path::new(XRDP).exists(),
        "xrdp is not installed: apt-get install xrdp (scripts/test installs it)"
    );
    assert!(
        Path::new(RSA_KEYS).exists(),
        "{RSA_KEYS} is missing (xrdp reads it from there only): `xrdp-keygen xrdp auto` makes it"
    );
    let root = dir.join(format!("xrdp-{port}"));
    fs::create_dir_all(&root).expect("xrdp folder");
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("xrdp certificate");
    let cert_path = root.join("cert.pem");
    let key_path = root.join("key.pem");
    fs::write(&cert_path, cert.cert.pem()).expect("write xrdp certificate");
    fs::write(&key_path, cert.signing_key.serialize_pem()).expect("write xrdp key");
    let ini = root.join("xrdp.ini");
    fs::write(
        &ini,
        format!(
            "[Globals]\n\
             ini_version=1\n\
             fork=false\n\
             port=tcp://{ip}:{port}\n\
             use_vsock=false\n\
             security_layer={layer}\n\
             crypt_level=high\n\
             certificate={cert}\n\
             key_file={key}\n\
             ssl_protocols=TLSv1.2, TLSv1.3\n\
             \n\
             [Logging]\n\
             LogFile={log}\n\
             LogLevel=INFO\n\
             EnableSyslog=false\n\
             EnableConsole=true\n\
             ConsoleLevel=INFO\n",
            layer = layer.as_str(),
            cert = cert_path.display(),
            key = key_path.display(),
            log = root.join("xrdp.log").display(),
        ),
    )
    .expect("write xrdp.ini");
    let mut cmd = Command::new(XRDP);
    cmd.arg("--nodaemon").arg("--config").arg(&ini);
    spawn_logged(&format!("xrdp-{port}"), cmd, &ip.to_string(), port, dir)
}
