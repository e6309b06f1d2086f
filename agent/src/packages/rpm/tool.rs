//! Berkeley DB and NDB rpm databases, read by running the `rpm` tool
//! against the root (`rpm --root ROOT --dbpath DIR -qa`).

use std::path::{Path, PathBuf};
use std::process::Command;

use trustwatch_rules::observe::{InstalledPackage, PackageFormat};

use super::header::source_name;
use super::{RpmDatabase, PUBKEY};
use crate::packages::rootfs::RootFs;

/// One line per package: name, `[epoch:]version-release` (the epoch only
/// when the header has one, as the sqlite reader writes it), arch, source
/// rpm.
pub const QUERY_FORMAT: &str =
    "%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n";

/// Reads the database at `db_file` (in `db_dir`, both inside the root)
/// with the `rpm` tool at `rpm` (`None`: not installed), using `backend`
/// (`bdb_ro`, `ndb`).
pub fn read(
    fs: &RootFs,
    db_dir: &str,
    db_file: &str,
    backend: &str,
    rpm: Option<&Path>,
    problems: &mut Vec<String>,
) -> Option<RpmDatabase> {
    let shown = fs.display(db_file);
    let Some(rpm) = rpm else {
        problems.push(format!(
            "{shown}: this rpm database format ({backend}) needs the rpm tool to be read, and rpm is not on PATH"
        ));
        return None;
    };
    let output = Command::new(rpm)
        .arg("--root")
        .arg(fs.root())
        .args(["--dbpath", db_dir, "--define"])
        .arg(format!("_db_backend {backend}"))
        .args(["-qa", "--queryformat", QUERY_FORMAT])
        .output();
    let output = match output {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            problems.push(format!(
                "{shown}: {} -qa failed ({}): {}",
                rpm.display(),
                output.status,
                // One line, so the problem stays one sentence.
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
            return None;
        }
        Err(err) => {
            problems.push(format!(
                "{shown}: {} could not be run: {err}",
                rpm.display()
            ));
            return None;
        }
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let mut packages = Vec::new();
    for (index, line) in text.lines().enumerate() {
        match parse_line(line) {
            Some(package) if package.name == PUBKEY => {}
            Some(package) => packages.push(package),
            None => problems.push(format!(
                "{shown}: line {} of rpm's answer is not name, version, arch and source rpm: {line:?}",
                index + 1
            )),
        }
    }
    Some(RpmDatabase {
        source: db_file.to_owned(),
        packages,
    })
}

/// One line of [`QUERY_FORMAT`] output.
pub fn parse_line(line: &str) -> Option<InstalledPackage> {
    let mut fields = line.split('\t');
    let (name, version, arch, source_rpm) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    if fields.next().is_some() || name.is_empty() || version.is_empty() {
        return None;
    }
    Some(InstalledPackage {
        format: PackageFormat::Rpm,
        name: name.to_owned(),
        version: version.to_owned(),
        source_name: source_name(source_rpm)
            .filter(|s| *s != name)
            .map(str::to_owned),
        source_version: None,
        // rpm writes `(none)` for a tag the header lacks.
        arch: Some(arch)
            .filter(|a| !a.is_empty() && *a != "(none)")
            .map(str::to_owned),
    })
}

/// The first executable `name` on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_rpm_output() {
        let p = parse_line(
            "kernel-core\t5.14.0-362.8.1.el9_3\tx86_64\tkernel-5.14.0-362.8.1.el9_3.src.rpm",
        )
        .unwrap();
        assert_eq!(p.source(), "kernel");
        assert_eq!(p.version, "5.14.0-362.8.1.el9_3");
        let key = parse_line("gpg-pubkey\tfd431d51-4ae0493b\t(none)\t(none)").unwrap();
        assert_eq!(key.arch, None);
        assert_eq!(key.source_name, None);
        assert!(parse_line("only\ttwo").is_none());
    }

    #[test]
    fn without_the_rpm_tool_an_old_database_is_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RootFs::new(dir.path());
        let mut problems = Vec::new();
        let db = read(
            &fs,
            "/var/lib/rpm",
            "/var/lib/rpm/Packages",
            "bdb_ro",
            None,
            &mut problems,
        );
        assert!(db.is_none());
        assert_eq!(
            problems,
            [format!(
                "{}/var/lib/rpm/Packages: this rpm database format (bdb_ro) needs the rpm tool to be read, and rpm is not on PATH",
                dir.path().display()
            )]
        );
    }
}
