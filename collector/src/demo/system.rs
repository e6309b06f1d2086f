//! The demo's system to assess for patch levels: a small root filesystem
//! of an Ubuntu 22.04 server that stopped being patched in 2023, written
//! into the demo folder and assessed by the agent (`[packages] root`)
//! against the advisories compiled into it (`advisories = "builtin"`).
//!
//! The packages are real Ubuntu package names and versions, at the
//! versions those releases shipped before the fixes in the bundled, real
//! advisories (USN-6119-1 for OpenSSL, USN-6859-1 and UBUNTU-CVE-2024-6387
//! for OpenSSH's "regreSSHion"), so PATCH-001 fails on real records. A
//! reboot has been pending for 20 days (PATCH-003) and nothing installs
//! updates automatically (PATCH-004). Ubuntu 22.04 is still in standard
//! support, so OS-001 passes: the demo shows both outcomes.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};

/// The folder, inside the demo folder, holding the demo system's root.
pub const ROOT_DIR: &str = "demo-system";
/// The demo's alert list (PATCH-002), beside the root.
pub const ALERTS_FILE: &str = "demo-alerts.txt";

/// How long ago the demo system's reboot became pending: 20 days and an
/// hour, so that it reads as 20 whole days however quickly the scan runs.
const REBOOT_PENDING: Duration = Duration::from_secs(20 * 24 * 3600 + 3600);

const OS_RELEASE: &str = r#"PRETTY_NAME="Ubuntu 22.04.2 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.2 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=jammy
"#;

/// (package, source, version, architecture) of the demo system.
const PACKAGES: &[(&str, &str, &str, &str)] = &[
    ("base-files", "base-files", "12ubuntu4.3", "amd64"),
    ("libc6", "glibc", "2.35-0ubuntu3.1", "amd64"),
    ("libssl3", "openssl", "3.0.2-0ubuntu1.8", "amd64"),
    ("openssl", "openssl", "3.0.2-0ubuntu1.8", "amd64"),
    ("openssh-client", "openssh", "1:8.9p1-3ubuntu0.1", "amd64"),
    ("openssh-server", "openssh", "1:8.9p1-3ubuntu0.1", "amd64"),
    (
        "openssh-sftp-server",
        "openssh",
        "1:8.9p1-3ubuntu0.1",
        "amd64",
    ),
    (
        "linux-image-5.15.0-72-generic",
        "linux-signed",
        "5.15.0-72.79",
        "amd64",
    ),
    (
        "linux-image-5.15.0-76-generic",
        "linux-signed",
        "5.15.0-76.83",
        "amd64",
    ),
];

/// The trust's list of CVEs from NHS England high-severity alerts, as a
/// security team would keep it.
const ALERTS: &str = "# CVEs named in NHS England high-severity cyber alerts (demo list).\n\
                      # One CVE a line; anything after it is the team's reference.\n\
                      CVE-2024-6387  OpenSSH regreSSHion\n";

/// Writes the demo system's root under `dir` (replacing an earlier one)
/// and returns the root and the alert list's paths.
pub fn write(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let root = dir.join(ROOT_DIR);
    if root.exists() {
        std::fs::remove_dir_all(&root).map_err(Error::io("remove the old demo system", &root))?;
    }
    let file = |rel: &str, text: &str| -> Result<PathBuf> {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::io("create the folder", parent))?;
        }
        std::fs::write(&path, text).map_err(Error::io("write", &path))?;
        Ok(path)
    };
    file("etc/os-release", OS_RELEASE)?;
    file("var/lib/dpkg/status", &dpkg_status())?;
    for (name, _, _, _) in PACKAGES {
        if let Some(release) = name.strip_prefix("linux-image-") {
            file(&format!("lib/modules/{release}/modules.dep"), "")?;
            file(&format!("boot/vmlinuz-{release}"), "")?;
        }
    }
    let marker = file(
        "var/run/reboot-required",
        "*** System restart required ***\n",
    )?;
    file(
        "var/run/reboot-required.pkgs",
        "linux-image-5.15.0-76-generic\n",
    )?;
    let pending_since = SystemTime::now() - REBOOT_PENDING;
    std::fs::File::options()
        .write(true)
        .open(&marker)
        .and_then(|f| f.set_modified(pending_since))
        .map_err(Error::io("date", &marker))?;
    let alerts = dir.join(ALERTS_FILE);
    std::fs::write(&alerts, ALERTS).map_err(Error::io("write", &alerts))?;
    Ok((root, alerts))
}

/// The dpkg status file, in dpkg's own layout.
fn dpkg_status() -> String {
    let mut out = String::new();
    for (name, source, version, arch) in PACKAGES {
        out.push_str(&format!(
            "Package: {name}\nStatus: install ok installed\nPriority: optional\n\
             Architecture: {arch}\n"
        ));
        if source != name {
            out.push_str(&format!("Source: {source}\n"));
        }
        out.push_str(&format!(
            "Version: {version}\nDescription: {name} (Trustwatch demo system)\n\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_root_with_a_dated_reboot_marker() {
        let tmp = tempfile::tempdir().unwrap();
        let (root, alerts) = write(tmp.path()).unwrap();
        let status = std::fs::read_to_string(root.join("var/lib/dpkg/status")).unwrap();
        assert_eq!(status.matches("Package: ").count(), PACKAGES.len());
        assert!(status.contains("Package: libssl3\nStatus: install ok installed\n"));
        assert!(status.contains("Source: openssl\nVersion: 3.0.2-0ubuntu1.8\n"));
        let age = std::fs::metadata(root.join("var/run/reboot-required"))
            .unwrap()
            .modified()
            .unwrap()
            .elapsed()
            .unwrap();
        assert!(age > Duration::from_secs(19 * 24 * 3600), "{age:?}");
        assert!(std::fs::read_to_string(alerts)
            .unwrap()
            .contains("CVE-2024-6387"));
        // Written twice: replaced, not merged.
        write(tmp.path()).unwrap();
    }
}
