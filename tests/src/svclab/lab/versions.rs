//! The versions of the lab's programs as installed, from dpkg (and pip for
//! python-hl7): the ground truth a scanner's version strings are judged
//! against.

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use crate::process::run_bounded;

/// `package → Debian version` (`1:9.2p1-2+deb12u10`) of those installed.
pub fn debian_versions(packages: &[&str]) -> HashMap<String, String> {
    let mut cmd = Command::new("dpkg-query");
    cmd.args(["-W", "-f", "${Package} ${Version}\\n"])
        .args(packages);
    // A package that is not installed only makes dpkg-query exit 1 after
    // listing the others: the output is read whatever the status.
    let out = run_bounded(&mut cmd, Duration::from_secs(30));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let (name, version) = line.split_once(' ')?;
            (!version.is_empty()).then(|| (name.to_owned(), version.to_owned()))
        })
        .collect()
}

/// The upstream part of a Debian version: no epoch (`1:`), no Debian
/// revision (`-2+deb12u10`), no repack suffix (`+dfsg`, `~…`).
///
/// `1:9.2p1-2+deb12u10` → `9.2p1`; `2:4.17.12+dfsg-0+deb12u4` → `4.17.12`.
pub fn upstream(debian: &str) -> String {
    let no_epoch = debian.split_once(':').map_or(debian, |(_, rest)| rest);
    let no_revision = no_epoch.rsplit_once('-').map_or(no_epoch, |(up, _)| up);
    no_revision
        .split(['+', '~'])
        .next()
        .unwrap_or(no_revision)
        .to_owned()
}

/// A Python distribution's version (`hl7` → `0.4.5`), if installed.
pub fn python_version(distribution: &str) -> Option<String> {
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))",
        distribution,
    ]);
    let out = run_bounded(&mut cmd, Duration::from_secs(30));
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// The newest PostgreSQL server package installed (`postgresql-15`).
pub fn postgres_package() -> String {
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .max();
    match newest {
        Some(v) => format!("postgresql-{v}"),
        None => "postgresql".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::upstream;

    #[test]
    fn upstream_drops_epoch_revision_and_repack_suffix() {
        for (debian, up) in [
            ("1:9.2p1-2+deb12u10", "9.2p1"),
            ("2:4.17.12+dfsg-0+deb12u4", "4.17.12"),
            ("5:7.0.15-1~deb12u10", "7.0.15"),
            ("1:2.3.19.1+dfsg1-2.1+deb12u7", "2.3.19.1"),
            ("3.6.7-9~deb12u4", "3.6.7"),
            ("3.0.3-13+b2", "3.0.3"),
            ("0.9.21.1-1+deb12u3", "0.9.21.1"),
            ("1.12.0+dfsg-8", "1.12.0"),
            ("15.18-0+deb12u1", "15.18"),
            ("4.96", "4.96"),
        ] {
            assert_eq!(upstream(debian), up, "{debian}");
        }
    }
}
