//! One system's inventory: everything the PATCH and OS rules need, read
//! from a root directory (the running host's `/`, or a mounted or
//! extracted image given with `--root`).

use std::path::Path;

use time::OffsetDateTime;
use trustwatch_rules::observe::{PackageFormat, SystemObservation};

use super::rootfs::RootFs;
use super::{apk, autoupdate, dpkg, kernel, os_release, reboot, rpm};

/// How to read a root.
#[derive(Debug, Clone)]
pub struct InventoryOptions {
    /// The finding target: the host name, or the root given with `--root`.
    pub target: String,
    /// The root is the running system, so the running kernel
    /// (`/proc/sys/kernel/osrelease`, i.e. `uname -r`) belongs to it.
    pub running: bool,
    /// The scan time; markers dated after it are reported as a problem.
    pub now: OffsetDateTime,
}

/// Reads everything about the system under `root`. Never fails: what
/// cannot be read is a sentence in `problems` (naming the file and the
/// record), and everything else is still read.
pub fn read_system(root: &Path, opts: &InventoryOptions) -> SystemObservation {
    let fs = RootFs::new(root);
    let mut problems = Vec::new();
    if !root.is_dir() {
        problems.push(format!("{}: is not a directory", root.display()));
    }
    let os = os_release::read(&fs, &mut problems);

    let mut package_sources = Vec::new();
    let mut packages = Vec::new();
    let mut formats = Vec::new();
    let before = problems.len();
    if let Some(found) = dpkg::read(&fs, &mut problems) {
        package_sources.push(dpkg::STATUS.to_owned());
        packages.extend(found);
        formats.push(PackageFormat::Dpkg);
    }
    if let Some(db) = rpm::read(&fs, &mut problems) {
        package_sources.push(db.source);
        packages.extend(db.packages);
        formats.push(PackageFormat::Rpm);
    }
    if let Some(found) = apk::read(&fs, &mut problems) {
        package_sources.push(apk::INSTALLED.to_owned());
        packages.extend(found);
        formats.push(PackageFormat::Apk);
    }
    // A database that is there but unreadable has said so already.
    if package_sources.is_empty() && problems.len() == before {
        problems.push(format!(
            "no dpkg, rpm or apk database under {} (looked for {}, rpmdb.sqlite, Packages or Packages.db under /var/lib/rpm and /usr/lib/sysimage/rpm, and {})",
            root.display(),
            dpkg::STATUS,
            apk::INSTALLED
        ));
    }

    // The system's own package manager fixes the kernel release order;
    // dpkg is first when a Debian system also carries an rpm database.
    let kernel = kernel::read(&fs, formats.first().copied(), opts.running, &mut problems);
    let reboot = reboot::read(&fs, opts.now, &mut problems);
    let auto_updates = autoupdate::read(&fs, &packages, &mut problems);
    SystemObservation {
        target: opts.target.clone(),
        root: root.display().to_string(),
        os,
        package_sources,
        packages,
        kernel,
        reboot,
        auto_updates,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_root_is_problems_not_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let opts = InventoryOptions {
            target: "image".to_owned(),
            running: false,
            now: OffsetDateTime::now_utc(),
        };
        let seen = read_system(dir.path(), &opts);
        assert_eq!(seen.os, None);
        assert!(seen.packages.is_empty());
        assert_eq!(seen.kernel, None);
        assert!(!seen.reboot.required);
        assert_eq!(seen.problems.len(), 2, "{:?}", seen.problems);
        assert!(seen.problems[1].starts_with(&format!(
            "no dpkg, rpm or apk database under {}",
            dir.path().display()
        )));
    }
}
