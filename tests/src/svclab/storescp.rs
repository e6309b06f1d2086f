//! DICOM SCPs from Debian's dcmtk: `storescp`, which accepts an
//! association whatever AE title it is called by, and `dcmqrscp`, the
//! realistic rejecter: an archive that knows only the AE titles in its
//! configuration and rejects any other with "called-AE-title-not-recognized".
//!
//! Neither program can bind one address (dcmtk 3.6.7 has no such option):
//! both listen on every interface at `port`. On loopback in a test, or in
//! the lab's network namespace, that is still only local traffic; `ip` is
//! where readiness is checked and what callers connect to.

use std::fs;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use crate::tlslab::launch::{spawn_logged, Server};

const STORESCP: &str = "/usr/bin/storescp";
const DCMQRSCP: &str = "/usr/bin/dcmqrscp";

/// Which SCP, and the AE title it answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scp<'a> {
    /// `storescp -aet <title>`: accepts any called AE title.
    Store { ae_title: &'a str },
    /// `dcmqrscp` whose configuration knows only `ae_title`.
    QueryRetrieve { ae_title: &'a str },
}

/// Starts the SCP on `port` (every interface; see the module comment),
/// its files under `dir/dicom-<port>`; stopped when dropped.
pub fn start(dir: &Path, ip: Ipv4Addr, port: u16, scp: Scp<'_>) -> Server {
    let root = dir.join(format!("dicom-{port}"));
    fs::create_dir_all(&root).expect("dicom folder");
    let (name, cmd) = match scp {
        Scp::Store { ae_title } => ("storescp", storescp(&root, port, ae_title)),
        Scp::QueryRetrieve { ae_title } => ("dcmqrscp", dcmqrscp(&root, port, ae_title)),
    };
    spawn_logged(&format!("{name}-{port}"), cmd, &ip.to_string(), port, dir)
}

fn storescp(root: &Path, port: u16, ae_title: &str) -> Command {
    assert!(
        Path::new(STORESCP).exists(),
        "storescp is not installed: apt-get install dcmtk (scripts/test installs it)"
    );
    let incoming = root.join("incoming");
    fs::create_dir_all(&incoming).expect("storescp output folder");
    let mut cmd = Command::new(STORESCP);
    cmd.args(["--log-level", "info", "--aetitle", ae_title])
        .arg("--output-directory")
        .arg(&incoming)
        // Nothing sent to it is kept: the lab stores no images.
        .arg("--ignore")
        .arg(port.to_string());
    cmd
}

fn dcmqrscp(root: &Path, port: u16, ae_title: &str) -> Command {
    assert!(
        Path::new(DCMQRSCP).exists(),
        "dcmqrscp is not installed: apt-get install dcmtk (scripts/test installs it)"
    );
    let db = root.join("db");
    fs::create_dir_all(&db).expect("dcmqrscp storage folder");
    let config = root.join("dcmqrscp.cfg");
    // No UserName/GroupName: the archive keeps running as whoever started
    // it. The AE table is the point: one title, open to any peer.
    fs::write(
        &config,
        format!(
            "NetworkTCPPort  = {port}\n\
             MaxPDUSize      = 16384\n\
             MaxAssociations = 16\n\
             HostTable BEGIN\nHostTable END\n\
             VendorTable BEGIN\nVendorTable END\n\
             AETable BEGIN\n\
             {ae_title}  {db}  RW  (10, 64mb)  ANY\n\
             AETable END\n",
            db = db.display()
        ),
    )
    .expect("write dcmqrscp.cfg");
    let mut cmd = Command::new(DCMQRSCP);
    // The default (forking) mode: dcmqrscp's --single-process exits after
    // its first accepted association.
    cmd.args(["--log-level", "info", "--config"])
        .arg(&config)
        .arg(port.to_string());
    cmd
}
