//! The running kernel against those installed on disk: a newer installed
//! kernel than the running one means an update is not yet in effect.

use std::cmp::Ordering;

use trustwatch_rules::observe::{KernelState, PackageFormat};

use super::rootfs::{is_absent, RootFs};
use super::version::{compare, VersionScheme};

/// Module trees, one directory per installed kernel release (on merged-usr
/// systems the first is a link to the second).
const MODULE_DIRS: [&str; 2] = ["/lib/modules", "/usr/lib/modules"];

/// Where the running kernel's release (`uname -r`) is read from. This is
/// the scanning host's own, never the root's: only asked for when the
/// root is the running system.
const OSRELEASE: &str = "/proc/sys/kernel/osrelease";

/// The kernels of the root, ordered in `format`'s version order, and the
/// running one when `running`. `None` when neither is known (a container
/// image has no kernel).
pub fn read(
    fs: &RootFs,
    format: Option<PackageFormat>,
    running: bool,
    problems: &mut Vec<String>,
) -> Option<KernelState> {
    let mut installed = installed(fs, problems);
    installed.sort_by(|a, b| order(format, a, b));
    let running = if running {
        match std::fs::read_to_string(OSRELEASE) {
            Ok(release) => Some(release.trim().to_owned()).filter(|r| !r.is_empty()),
            Err(err) => {
                problems.push(format!(
                    "{OSRELEASE}: the running kernel cannot be read: {err}"
                ));
                None
            }
        }
    } else {
        None
    };
    if running.is_none() && installed.is_empty() {
        return None;
    }
    let newer_installed = match &running {
        Some(run) if !installed.is_empty() => Some(
            installed
                .iter()
                .any(|k| order(format, k, run) == Ordering::Greater),
        ),
        _ => None,
    };
    let newest_installed_at = installed.last().and_then(|newest| installed_at(fs, newest));
    Some(KernelState {
        running,
        installed,
        newer_installed,
        newest_installed_at,
    })
}

/// When `release` was put on disk: the modification time of its module
/// folder (written by the kernel package's installation), else of its
/// `/boot` image.
fn installed_at(fs: &RootFs, release: &str) -> Option<time::OffsetDateTime> {
    MODULE_DIRS
        .iter()
        .map(|dir| format!("{dir}/{release}"))
        .chain(std::iter::once(format!("/boot/vmlinuz-{release}")))
        .find_map(|path| fs.metadata(&path).and_then(|m| m.modified()).ok())
        .map(time::OffsetDateTime::from)
}

/// Kernel releases with modules (`modules.dep`) or an image (`vmlinuz`,
/// where Fedora and RHEL keep it) under the module trees, and
/// `/boot/vmlinuz-<release>` images.
fn installed(fs: &RootFs, problems: &mut Vec<String>) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut add = |release: String| {
        if !found.contains(&release) {
            found.push(release);
        }
    };
    for dir in MODULE_DIRS {
        match fs.list(dir) {
            Ok(names) => {
                for name in names {
                    if fs.exists(&format!("{dir}/{name}/modules.dep"))
                        || fs.exists(&format!("{dir}/{name}/vmlinuz"))
                    {
                        add(name);
                    }
                }
            }
            Err(err) if is_absent(&err) => {}
            Err(err) => problems.push(format!("{}: cannot be listed: {err}", fs.display(dir))),
        }
    }
    match fs.list("/boot") {
        Ok(names) => {
            for name in names {
                let Some(release) = name.strip_prefix("vmlinuz-") else {
                    continue;
                };
                // A release starts with a digit. That skips Alpine's
                // `vmlinuz-lts`/`vmlinuz-virt` (named for the flavour; its
                // release is found under /lib/modules) and the RHEL
                // family's `vmlinuz-0-rescue-<machine id>` copy.
                if release.starts_with(|c: char| c.is_ascii_digit())
                    && !release.contains("-rescue-")
                {
                    add(release.to_owned());
                }
            }
        }
        Err(err) if is_absent(&err) => {}
        Err(err) => problems.push(format!("{}: cannot be listed: {err}", fs.display("/boot"))),
    }
    found
}

/// Orders two kernel releases.
///
/// A kernel release is not a package version, but on dpkg and rpm systems
/// it is built from one: Debian's `6.1.0-18-amd64` reads as a dpkg
/// version (upstream `6.1.0-18`, the ABI number, then the flavour), RHEL's
/// `5.14.0-362.8.1.el9_3.x86_64` is version-release.arch, which
/// rpmvercmp orders right since the arch is the same on both sides. Alpine's
/// `6.6.14-0-lts` (pkgver-pkgrel-flavour) holds only numbers where it
/// matters, so its numeric fields compared in turn order it; that also
/// needs no apk version scheme, and is the fallback for anything the
/// package scheme refuses.
pub fn order(format: Option<PackageFormat>, a: &str, b: &str) -> Ordering {
    let scheme = match format {
        Some(PackageFormat::Dpkg) => Some(VersionScheme::Dpkg),
        Some(PackageFormat::Rpm) => Some(VersionScheme::Rpm),
        Some(PackageFormat::Apk) | None => None,
    };
    scheme
        .and_then(|s| compare(s, a, b).ok())
        .unwrap_or_else(|| numeric_fields(a, b))
}

/// The runs of digits of each, compared as numbers one by one; a tie is
/// broken by the text, so that the order is total.
fn numeric_fields(a: &str, b: &str) -> Ordering {
    let runs = |s: &'_ str| -> Vec<String> {
        s.split(|c: char| !c.is_ascii_digit())
            .filter(|r| !r.is_empty())
            .map(|r| r.trim_start_matches('0').to_owned())
            .collect()
    };
    let (ra, rb) = (runs(a), runs(b));
    for (x, y) in ra.iter().zip(&rb) {
        // Without leading zeros, a longer run is a larger number.
        let o = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
        if o != Ordering::Equal {
            return o;
        }
    }
    ra.len().cmp(&rb.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_each_family_s_releases() {
        let lt = |f, a, b| order(f, a, b) == Ordering::Less;
        assert!(lt(
            Some(PackageFormat::Dpkg),
            "6.1.0-18-amd64",
            "6.1.0-25-amd64"
        ));
        assert!(lt(
            Some(PackageFormat::Dpkg),
            "6.1.0-9-amd64",
            "6.1.0-18-amd64"
        ));
        assert!(lt(
            Some(PackageFormat::Dpkg),
            "5.15.0-105-generic",
            "6.8.0-45-generic"
        ));
        assert!(lt(
            Some(PackageFormat::Rpm),
            "5.14.0-362.8.1.el9_3.x86_64",
            "5.14.0-362.24.1.el9_3.x86_64"
        ));
        assert!(lt(
            Some(PackageFormat::Rpm),
            "5.14.0-70.13.1.el9_0.x86_64",
            "5.14.0-362.8.1.el9_3.x86_64"
        ));
        assert!(lt(Some(PackageFormat::Apk), "6.6.14-0-lts", "6.6.31-0-lts"));
        assert!(lt(Some(PackageFormat::Apk), "6.6.9-1-lts", "6.6.14-0-lts"));
        assert!(lt(None, "6.6.14-0-lts", "6.6.14-1-lts"));
        assert_eq!(order(None, "6.06", "6.6"), Ordering::Less);
    }

    #[test]
    fn installed_kernels_from_modules_and_boot() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, body) in [
            ("lib/modules/6.1.0-25-amd64/modules.dep", ""),
            ("lib/modules/6.1.0-9-amd64/modules.dep", ""),
            ("lib/modules/6.1.0-18-amd64/modules.dep", ""),
            // Left behind by a removed kernel: not installed.
            ("lib/modules/6.1.0-7-amd64/extra/leftover.ko", ""),
            ("boot/vmlinuz-6.1.0-25-amd64", "image"),
            ("boot/vmlinuz-6.1.0-26-amd64", "image"),
            ("boot/vmlinuz-lts", "image"),
            ("boot/vmlinuz-0-rescue-0123456789abcdef", "image"),
        ] {
            std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            std::fs::write(root.join(path), body).unwrap();
        }
        // The newest (6.1.0-26, only a /boot image) is dated by its image.
        let when =
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        std::fs::File::options()
            .write(true)
            .open(root.join("boot/vmlinuz-6.1.0-26-amd64"))
            .and_then(|f| f.set_modified(when))
            .unwrap();
        let mut problems = Vec::new();
        let state = read(
            &RootFs::new(root),
            Some(PackageFormat::Dpkg),
            false,
            &mut problems,
        )
        .unwrap();
        assert_eq!(
            state.installed,
            [
                "6.1.0-9-amd64",
                "6.1.0-18-amd64",
                "6.1.0-25-amd64",
                "6.1.0-26-amd64"
            ]
        );
        assert_eq!(state.running, None);
        assert_eq!(state.newer_installed, None);
        assert!(problems.is_empty());
        assert_eq!(
            state.newest_installed_at,
            Some(time::OffsetDateTime::from(when))
        );

        let empty = tempfile::tempdir().unwrap();
        assert_eq!(
            read(&RootFs::new(empty.path()), None, false, &mut problems),
            None
        );
    }
}
