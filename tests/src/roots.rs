//! Building root filesystems for the package tests: files written into a
//! folder, dated markers, and RPM databases made by the real `rpmbuild` and
//! `rpm --root R -i --justdb` (Debian's rpm 4.18 writes the sqlite database
//! RHEL 9 uses). `scripts/test` installs rpm.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::process::run_bounded;

/// Runs a command to completion within `limit` and returns its stdout;
/// panics with its stderr when it fails.
pub fn run(cmd: &mut Command, limit: Duration) -> String {
    let out = run_bounded(cmd, limit);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Writes `body` to `root`/`path`, creating its folders; returns the path.
pub fn write(root: &Path, path: &str, body: &str) -> PathBuf {
    let path = root.join(path);
    fs::create_dir_all(path.parent().expect("a file inside the root")).unwrap();
    fs::write(&path, body).unwrap();
    path
}

/// Sets a file's modification time, as a package manager's marker or stamp
/// would carry it.
pub fn set_mtime(path: &Path, when: impl Into<SystemTime>) {
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_modified(when.into()).unwrap();
}

/// Builds binary RPMs from `(file name, spec text)` pairs with rpmbuild in
/// `dir`, and returns every package built, sorted by path.
pub fn build_rpms(dir: &Path, specs: &[(&str, &str)]) -> Vec<PathBuf> {
    assert!(
        Path::new("/usr/bin/rpmbuild").exists(),
        "rpmbuild is missing (scripts/test installs rpm)"
    );
    let top = dir.join("rpmbuild");
    for (name, body) in specs {
        let spec = write(dir, name, body);
        run(
            Command::new("rpmbuild")
                .arg("--define")
                .arg(format!("_topdir {}", top.display()))
                .arg("-bb")
                .arg(&spec),
            Duration::from_secs(120),
        );
    }
    let mut rpms = Vec::new();
    for arch in fs::read_dir(top.join("RPMS")).unwrap() {
        for rpm in fs::read_dir(arch.unwrap().path()).unwrap() {
            rpms.push(rpm.unwrap().path());
        }
    }
    rpms.sort();
    rpms
}

/// A root with `rpms` registered (database only, no files, no scripts) in
/// an sqlite rpm database at `dbpath` inside it.
pub fn rpm_root(root: &Path, dbpath: &str, rpms: &[PathBuf]) {
    let rpm = |args: &[&str]| {
        let mut cmd = Command::new("rpm");
        cmd.arg("--root")
            .arg(root)
            .args(["--dbpath", dbpath, "--define", "_db_backend sqlite"])
            .args(args);
        cmd
    };
    fs::create_dir_all(root).unwrap();
    run(&mut rpm(&["--initdb"]), Duration::from_secs(60));
    run(
        rpm(&["-i", "--nodeps", "--justdb", "--noscripts"]).args(rpms),
        Duration::from_secs(60),
    );
}
