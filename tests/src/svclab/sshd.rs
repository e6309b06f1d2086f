//! OpenSSH's sshd with host keys generated into its folder, in the
//! foreground (`-D -e`), as root without PAM. Nobody can log in: root
//! logins are off and no user has keys or a password.
//!
//! `Strong` is Debian's defaults (RSA 3072, ECDSA and Ed25519 host keys);
//! `Weak` has a 1024-bit RSA host key only, and adds what OpenSSH 9.2
//! still has but no longer offers: `diffie-hellman-group1-sha1`,
//! `3des-cbc`, `aes128-cbc`, `hmac-md5` and `ssh-rsa` signatures.

use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::run_bounded;
use crate::tlslab::launch::{spawn_logged, Server};

const SSHD: &str = "/usr/sbin/sshd";
const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";

/// Which sshd to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Strong,
    Weak,
}

/// Starts sshd on `ip:port` with its keys, config and pid file in `dir`.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16, variant: Variant) -> Server {
    assert!(
        Path::new(SSHD).exists(),
        "{SSHD} is missing: apt-get install openssh-server (scripts/test installs it)"
    );
    let name = match variant {
        Variant::Strong => "sshd-strong",
        Variant::Weak => "sshd-weak",
    };
    let root = dir.join(name);
    fs::create_dir_all(&root).expect("sshd folder");
    // sshd's privilege separation folder: root-owned, not writable by
    // others; a fresh machine or namespace may not have it.
    fs::create_dir_all("/run/sshd").expect("create /run/sshd");
    let keys: Vec<PathBuf> = match variant {
        Variant::Strong => vec![
            host_key(&root, "rsa", Some(3072)),
            host_key(&root, "ecdsa", None),
            host_key(&root, "ed25519", None),
        ],
        Variant::Weak => vec![host_key(&root, "rsa", Some(1024))],
    };
    let mut cfg = format!(
        "ListenAddress {ip}:{port}\nPidFile {pid}\nUsePAM no\nPermitRootLogin no\n\
         AuthorizedKeysFile none\nLoginGraceTime 20\n",
        pid = root.join("sshd.pid").display()
    );
    for key in &keys {
        cfg.push_str(&format!("HostKey {}\n", key.display()));
    }
    if variant == Variant::Weak {
        cfg.push_str(
            "HostKeyAlgorithms +ssh-rsa\nKexAlgorithms +diffie-hellman-group1-sha1\n\
             Ciphers +3des-cbc,aes128-cbc\nMACs +hmac-md5\n",
        );
    }
    let conf = root.join("sshd_config");
    fs::write(&conf, cfg).expect("write sshd_config");
    let mut cmd = Command::new(SSHD);
    cmd.args(["-D", "-e", "-f"]).arg(&conf);
    spawn_logged(name, cmd, &ip.to_string(), port, dir)
}

/// Generates a host key of `kind` (and `bits`) in `dir`, without a
/// passphrase; returns the private key's path.
fn host_key(dir: &Path, kind: &str, bits: Option<u32>) -> PathBuf {
    let path = dir.join(format!("ssh_host_{kind}_key"));
    let _ = fs::remove_file(&path);
    let _ = fs::remove_file(path.with_extension("pub"));
    let mut cmd = Command::new(SSH_KEYGEN);
    cmd.args(["-q", "-N", "", "-t", kind]);
    if let Some(bits) = bits {
        cmd.args(["-b", &bits.to_string()]);
    }
    cmd.arg("-f").arg(&path);
    let out = run_bounded(&mut cmd, std::time::Duration::from_secs(60));
    assert!(
        out.status.success(),
        "ssh-keygen -t {kind} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}
