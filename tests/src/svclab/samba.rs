//! Samba's `smbd` (Debian's samba) on one address and port, every folder it
//! writes (locks, state, cache, pid, private, ncalrpc) under
//! `dir/samba-<port>`, no share and no NetBIOS name service: enough for
//! the negotiate exchanges discovery makes, in four variants (SMB1 on or
//! off, signing mandatory or default).

use std::fs;
use std::net::Ipv4Addr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::tlslab::launch::{spawn_logged, Server};

const SMBD: &str = "/usr/sbin/smbd";

/// Whether SMB1 (NT1) is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Smb1 {
    /// `server min protocol = NT1`: SMB1 accepted (SMB-001 fails).
    Enabled,
    /// Samba 4.11+'s default: SMB2_02 and up only.
    Disabled,
}

/// Whether clients must sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// `server signing = mandatory` (SMB-002 passes).
    Mandatory,
    /// The default of a standalone server: enabled, not required.
    Default,
}

/// Starts smbd in the foreground on `ip:port`; waits (at most 20 s) until
/// it accepts connections.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16, smb1: Smb1, signing: Signing) -> Server {
    assert!(
        Path::new(SMBD).exists(),
        "smbd is not installed: apt-get install samba (scripts/test installs it)"
    );
    let root = dir.join(format!("samba-{port}"));
    let sub = [
        "lock", "state", "cache", "pid", "private", "ncalrpc", "bind-dns",
    ];
    for name in sub {
        fs::create_dir_all(root.join(name)).expect("samba folder");
    }
    let at = |name: &str| root.join(name).display().to_string();
    // smbd binds only to addresses of interfaces it finds; a loopback
    // address other than 127.0.0.1 is on `lo` only by its /8 route, so it
    // is named with the loopback netmask.
    let interface = if ip.is_loopback() {
        format!("{ip}/8")
    } else {
        ip.to_string()
    };
    let protocol = match smb1 {
        Smb1::Enabled => "  server min protocol = NT1\n",
        Smb1::Disabled => "",
    };
    let signing = match signing {
        Signing::Mandatory => "  server signing = mandatory\n",
        Signing::Default => "",
    };
    let conf = root.join("smb.conf");
    fs::write(
        &conf,
        format!(
            "[global]\n\
             \x20 server role = standalone server\n\
             \x20 workgroup = TWLAB\n\
             \x20 netbios name = TWLAB\n\
             \x20 smb ports = {port}\n\
             \x20 interfaces = {interface}\n\
             \x20 bind interfaces only = yes\n\
             \x20 disable netbios = yes\n\
             \x20 lock directory = {lock}\n\
             \x20 state directory = {state}\n\
             \x20 cache directory = {cache}\n\
             \x20 pid directory = {pid}\n\
             \x20 private dir = {private}\n\
             \x20 ncalrpc dir = {ncalrpc}\n\
             \x20 binddns dir = {binddns}\n\
             \x20 load printers = no\n\
             \x20 printcap name = /dev/null\n\
             \x20 disable spoolss = yes\n\
             {protocol}{signing}",
            lock = at("lock"),
            state = at("state"),
            cache = at("cache"),
            pid = at("pid"),
            private = at("private"),
            ncalrpc = at("ncalrpc"),
            binddns = at("bind-dns"),
        ),
    )
    .expect("write smb.conf");
    let mut cmd = Command::new(SMBD);
    cmd.args(["--foreground", "--no-process-group", "--debug-stdout", "-s"])
        .arg(&conf)
        // smbd signals its whole process group when it stops: a group of
        // its own keeps that SIGTERM from reaching the test that started
        // it (`--no-process-group` only stops smbd making one itself).
        .process_group(0);
    spawn_logged(&format!("samba-{port}"), cmd, &ip.to_string(), port, dir)
}
