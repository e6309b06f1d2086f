//! The inventory of real root filesystems, checked against the package
//! managers' own answers:
//!
//! - this machine's `/` (Debian 12) against `dpkg-query`;
//! - a Debian 12 root built with `debootstrap --variant=minbase`, against
//!   `dpkg-query --admindir`, and a copy of its files with a reboot
//!   marker, unattended-upgrades configuration, kernels and corrupt dpkg
//!   paragraphs planted in it;
//! - RPM roots: tiny noarch packages built with Debian's `rpmbuild` and
//!   registered with `rpm --root R -i --justdb` (Debian's rpm 4.18 writes
//!   the sqlite database RHEL 9 uses), against `rpm -qa`;
//! - an Alpine root. No Alpine tools can run here (apk-tools is not in
//!   Debian and Alpine's mirrors are not reachable), so its
//!   `/lib/apk/db/installed` is written by hand in the format Alpine
//!   documents (wiki.alpinelinux.org, "Apk spec", the installed database):
//!   the package names and versions are made up to look like Alpine 3.19's,
//!   not copied from a real system.
//!
//! `scripts/test` installs debootstrap and rpm. The debootstrap root is
//! built once under the cargo target directory and reused by later runs
//! (a marker file beside it says it was completed).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use time::macros::datetime;
use time::OffsetDateTime;
use trustwatch_agent::packages::rootfs::RootFs;
use trustwatch_agent::packages::rpm::tool;
use trustwatch_agent::packages::{read_system, InventoryOptions};
use trustwatch_e2e::roots::{self, rpm_root, run, set_mtime, write};
use trustwatch_rules::observe::{InstalledPackage, PackageFormat, SystemObservation};

/// name, version, arch, source name, source version.
type Row = (String, String, String, String, String);

fn options(target: &str, running: bool) -> InventoryOptions {
    InventoryOptions {
        target: target.to_owned(),
        running,
        now: OffsetDateTime::now_utc(),
    }
}

/// The installed packages by `dpkg-query` reading `admindir`.
fn dpkg_query(admindir: &Path) -> Vec<Row> {
    let text = run(
        Command::new("dpkg-query")
            .arg(format!("--admindir={}", admindir.display()))
            .args([
                "-W",
                "-f",
                "${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\t${db:Status-Status}\\n",
            ]),
        Duration::from_secs(60),
    );
    let mut rows: Vec<Row> = text
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 6, "dpkg-query line {line:?}");
            (f[5] == "installed").then(|| {
                (
                    f[0].to_owned(),
                    f[1].to_owned(),
                    f[2].to_owned(),
                    f[3].to_owned(),
                    f[4].to_owned(),
                )
            })
        })
        .collect();
    rows.sort();
    rows
}

/// Our packages of `format` as rows, sorted.
fn rows(seen: &SystemObservation, format: PackageFormat) -> Vec<Row> {
    let mut rows: Vec<Row> = seen
        .packages
        .iter()
        .filter(|p| p.format == format)
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.arch.clone().unwrap_or_default(),
                p.source().to_owned(),
                p.source_version().to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn assert_same(ours: &[Row], theirs: &[Row], what: &str) {
    if ours != theirs {
        let only_ours: Vec<_> = ours.iter().filter(|r| !theirs.contains(r)).collect();
        let only_theirs: Vec<_> = theirs.iter().filter(|r| !ours.contains(r)).collect();
        panic!(
            "{what}: {} rows against {}\nonly ours: {only_ours:#?}\nonly theirs: {only_theirs:#?}",
            ours.len(),
            theirs.len()
        );
    }
}

#[test]
fn the_running_host_matches_dpkg_query() {
    let seen = read_system(Path::new("/"), &options("localhost", true));
    let os = seen.os.as_ref().expect("os-release");
    assert_eq!(os.id, "debian");
    assert_eq!(os.version_id.as_deref(), Some("12"));
    assert_eq!(os.codename.as_deref(), Some("bookworm"));
    assert!(seen
        .package_sources
        .contains(&"/var/lib/dpkg/status".to_owned()));
    let theirs = dpkg_query(Path::new("/var/lib/dpkg"));
    assert!(theirs.len() > 100, "{} packages", theirs.len());
    assert_same(&rows(&seen, PackageFormat::Dpkg), &theirs, "/");
    // The running kernel is uname's.
    let uname = run(Command::new("uname").arg("-r"), Duration::from_secs(10));
    let kernel = seen.kernel.as_ref().expect("a running kernel");
    assert_eq!(kernel.running.as_deref(), Some(uname.trim()));
    assert!(seen.problems.is_empty(), "{:#?}", seen.problems);
}

/// The debootstrapped Debian 12 root, built on first use.
fn bookworm() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let root = tmp.join("bookworm-minbase");
        let done = tmp.join("bookworm-minbase.complete");
        if done.exists() && root.join("var/lib/dpkg/status").exists() {
            return root;
        }
        if root.exists() {
            fs::remove_dir_all(&root).expect("remove an incomplete root");
        }
        assert!(
            Path::new("/usr/sbin/debootstrap").exists(),
            "debootstrap is missing (scripts/test installs it)"
        );
        let start = Instant::now();
        run(
            Command::new("/usr/sbin/debootstrap")
                .args(["--variant=minbase", "bookworm"])
                .arg(&root)
                .arg("http://deb.debian.org/debian"),
            Duration::from_secs(900),
        );
        eprintln!("debootstrap took {:?}", start.elapsed());
        fs::write(&done, "").expect("write the marker");
        root
    })
}

#[test]
fn a_debootstrapped_bookworm_matches_dpkg_query() {
    let root = bookworm();
    let seen = read_system(root, &options("bookworm", false));
    let os = seen.os.as_ref().expect("os-release");
    assert_eq!(
        (os.id.as_str(), os.version_id.as_deref()),
        ("debian", Some("12"))
    );
    assert_eq!(os.codename.as_deref(), Some("bookworm"));
    assert_eq!(seen.package_sources, ["/var/lib/dpkg/status"]);
    let theirs = dpkg_query(&root.join("var/lib/dpkg"));
    assert_same(&rows(&seen, PackageFormat::Dpkg), &theirs, "debootstrap");
    // A minbase root has no kernel, no marker and no unattended-upgrades.
    assert_eq!(seen.kernel, None);
    assert!(!seen.reboot.required);
    assert_eq!(seen.auto_updates.tool, None);
    assert!(!seen.auto_updates.enabled);
    assert!(seen.problems.is_empty(), "{:#?}", seen.problems);
}

/// The 1-based line of `text` on which `needle` starts.
fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].matches('\n').count() + 1
}

#[test]
fn planted_markers_config_kernels_and_corrupt_paragraphs() {
    let original = bookworm();
    let copy = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let root = copy.path();

    // The links of a merged-usr Debian root, as debootstrap made them;
    // os-release through an ABSOLUTE link, which must resolve inside the
    // copy (its VARIANT_ID is only there, not on this host).
    for link in ["lib", "var/run"] {
        let target = fs::read_link(original.join(link)).unwrap();
        fs::create_dir_all(root.join(link).parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, root.join(link)).unwrap();
    }
    let os_release = fs::read_to_string(original.join("usr/lib/os-release")).unwrap();
    write(
        root,
        "usr/lib/os-release",
        &format!("{os_release}VARIANT_ID=trustwatch-test\n"),
    );
    fs::create_dir_all(root.join("etc")).unwrap();
    std::os::unix::fs::symlink("/usr/lib/os-release", root.join("etc/os-release")).unwrap();
    write(
        root,
        "etc/apt/sources.list.d/elts.list",
        "deb http://deb.freexian.com/extended-lts bookworm main contrib non-free\n",
    );

    // The status file with unattended-upgrades installed and two corrupt
    // paragraphs among the good ones.
    let status = fs::read_to_string(original.join("var/lib/dpkg/status")).unwrap();
    let paragraphs: Vec<&str> = status.trim_end().split("\n\n").collect();
    assert!(paragraphs.len() > 60);
    let uu = "Package: unattended-upgrades\nStatus: install ok installed\nPriority: optional\n\
              Section: admin\nArchitecture: all\nVersion: 2.9.1+nmu3\n\
              Description: automatic installation of security upgrades";
    let bad_version =
        "Package: tw-bad-version\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0-";
    let garbage =
        "Package: tw-garbage\nStatus: install ok installed\nthis line is not a field\nVersion: 1.0";
    let mut planted: Vec<&str> = paragraphs.clone();
    planted.insert(10, bad_version);
    planted.insert(20, garbage);
    planted.push(uu);
    let planted = planted.join("\n\n") + "\n";
    write(root, "var/lib/dpkg/status", &planted);

    // unattended-upgrades switched on by the later file.
    write(
        root,
        "etc/apt/apt.conf.d/10periodic",
        "APT::Periodic::Unattended-Upgrade \"0\";\n",
    );
    write(
        root,
        "etc/apt/apt.conf.d/20auto-upgrades",
        "// written by dpkg-reconfigure unattended-upgrades\n\
         APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n",
    );
    let stamp = write(root, "var/lib/apt/periodic/unattended-upgrades-stamp", "");
    set_mtime(&stamp, datetime!(2024-05-01 06:25:13 UTC));

    // A reboot asked for by a kernel update, through /var/run -> /run.
    let marker = write(
        root,
        "run/reboot-required",
        "*** System restart required ***\n",
    );
    set_mtime(&marker, datetime!(2024-04-20 10:00:00 UTC));
    write(
        root,
        "run/reboot-required.pkgs",
        "linux-image-6.1.0-25-amd64\n",
    );

    // Kernels: two module trees (reached as /lib/modules and
    // /usr/lib/modules, the same directory) and an image in /boot.
    write(root, "usr/lib/modules/6.1.0-25-amd64/modules.dep", "");
    write(root, "usr/lib/modules/6.1.0-18-amd64/modules.dep", "");
    write(root, "boot/vmlinuz-6.1.0-9-amd64", "");

    let seen = read_system(root, &options("planted", false));

    let os = seen.os.as_ref().unwrap();
    assert_eq!(os.edition.as_deref(), Some("trustwatch-test"));
    assert_eq!(os.extended_support, ["freexian-elts"]);

    let shown = root.join("var/lib/dpkg/status").display().to_string();
    assert_eq!(
        seen.problems,
        [
            format!(
                "{shown}, paragraph 11 (line {}, package tw-bad-version): \"1.0-\" is not a valid dpkg version: the revision after the last hyphen is empty",
                line_of(&planted, bad_version)
            ),
            format!(
                "{shown}, paragraph 21 (line {}, package tw-garbage): line {} is not a \"Field: value\" line",
                line_of(&planted, garbage),
                line_of(&planted, "this line is not a field")
            ),
        ]
    );
    // Everything else is read: dpkg-query's list of the original, plus
    // unattended-upgrades.
    let mut theirs = dpkg_query(&original.join("var/lib/dpkg"));
    theirs.push((
        "unattended-upgrades".into(),
        "2.9.1+nmu3".into(),
        "all".into(),
        "unattended-upgrades".into(),
        "2.9.1+nmu3".into(),
    ));
    theirs.sort();
    assert_same(&rows(&seen, PackageFormat::Dpkg), &theirs, "planted copy");

    let updates = &seen.auto_updates;
    assert_eq!(updates.tool.as_deref(), Some("unattended-upgrades"));
    assert!(updates.enabled);
    assert_eq!(
        updates.evidence,
        ["/etc/apt/apt.conf.d/20auto-upgrades:3: APT::Periodic::Unattended-Upgrade \"1\""]
    );
    assert_eq!(
        updates.last_success,
        Some(datetime!(2024-05-01 06:25:13 UTC))
    );

    assert!(seen.reboot.required);
    assert_eq!(seen.reboot.since, Some(datetime!(2024-04-20 10:00:00 UTC)));
    assert_eq!(seen.reboot.packages, ["linux-image-6.1.0-25-amd64"]);

    let kernel = seen.kernel.as_ref().unwrap();
    assert_eq!(
        kernel.installed,
        ["6.1.0-9-amd64", "6.1.0-18-amd64", "6.1.0-25-amd64"]
    );
    assert_eq!(
        (kernel.running.as_deref(), kernel.newer_installed),
        (None, None)
    );
}

/// Builds the test packages with rpmbuild: tw-alpha (with an Epoch) and
/// its subpackage tw-alpha-tools (whose source rpm is tw-alpha's), and
/// tw-beta (a pre-release version, no epoch).
fn build_rpms(dir: &Path) -> Vec<PathBuf> {
    let specs = [
        (
            "tw-alpha.spec",
            "Name: tw-alpha\nEpoch: 2\nVersion: 1.2.3\nRelease: 4.el9\n\
             Summary: Trustwatch test package with an epoch\nLicense: Apache-2.0\nBuildArch: noarch\n\
             %description\nA test package.\n\
             %package -n tw-alpha-tools\nSummary: A subpackage of tw-alpha\n\
             %description -n tw-alpha-tools\nBuilt from tw-alpha's source rpm.\n\
             %files\n%files -n tw-alpha-tools\n",
        ),
        (
            "tw-beta.spec",
            "Name: tw-beta\nVersion: 0.9~rc1\nRelease: 1\n\
             Summary: Trustwatch test package without an epoch\nLicense: Apache-2.0\nBuildArch: noarch\n\
             %description\nA test package.\n%files\n",
        ),
    ];
    let rpms = roots::build_rpms(dir, &specs);
    assert_eq!(rpms.len(), 3, "{rpms:?}");
    rpms
}

/// `rpm -qa` of a root, as rows; the source name cut from SOURCERPM here,
/// independently of the agent's code.
fn rpm_qa(root: &Path, dbpath: &str, backend: &str) -> Vec<Row> {
    let text = run(
        Command::new("rpm")
            .arg("--root")
            .arg(root)
            .args(["--dbpath", dbpath, "--define"])
            .arg(format!("_db_backend {backend}"))
            .args(["-qa", "--queryformat", tool::QUERY_FORMAT]),
        Duration::from_secs(60),
    );
    let mut rows: Vec<Row> = text
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 4, "rpm line {line:?}");
            let stem = f[3].strip_suffix(".src.rpm").unwrap();
            let cut: Vec<&str> = stem.rsplitn(3, '-').collect();
            (
                f[0].to_owned(),
                f[1].to_owned(),
                f[2].to_owned(),
                cut[2].to_owned(),
                f[1].to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn rpm_roots_match_rpm_qa() {
    let backend = run(
        Command::new("rpm").args(["--eval", "%_db_backend"]),
        Duration::from_secs(10),
    );
    eprintln!("Debian's rpm database backend: {}", backend.trim());
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rpms = build_rpms(dir.path());

    // RHEL 8/9's place, and the /usr/lib/sysimage one of Fedora and SUSE.
    for dbpath in ["/var/lib/rpm", "/usr/lib/sysimage/rpm"] {
        let root = dir.path().join(format!("root{}", dbpath.replace('/', "-")));
        rpm_root(&root, dbpath, &rpms);
        let seen = read_system(&root, &options("rpm-root", false));
        assert_eq!(seen.package_sources, [format!("{dbpath}/rpmdb.sqlite")]);
        assert!(seen.problems.contains(&format!(
            "no os-release under {} (looked for /etc/os-release and /usr/lib/os-release): the operating system is unknown",
            root.display()
        )));
        assert_eq!(seen.problems.len(), 1, "{:#?}", seen.problems);
        let ours = rows(&seen, PackageFormat::Rpm);
        assert_same(&ours, &rpm_qa(&root, dbpath, "sqlite"), dbpath);
        // What the spec files say, to be sure the comparison compared
        // something.
        let tools: &InstalledPackage = seen
            .packages
            .iter()
            .find(|p| p.name == "tw-alpha-tools")
            .unwrap();
        assert_eq!(tools.version, "2:1.2.3-4.el9");
        assert_eq!(tools.source_name.as_deref(), Some("tw-alpha"));
        let beta = seen.packages.iter().find(|p| p.name == "tw-beta").unwrap();
        assert_eq!(
            (beta.version.as_str(), beta.source_name.as_deref()),
            ("0.9~rc1-1", None)
        );

        // The rpm-tool reader (for Berkeley DB and NDB databases) gives
        // the same answer when pointed at this database with its backend.
        let mut problems = Vec::new();
        let via_tool = tool::read(
            &RootFs::new(&root),
            dbpath,
            &format!("{dbpath}/rpmdb.sqlite"),
            "sqlite",
            Some(Path::new("/usr/bin/rpm")),
            &mut problems,
        )
        .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(via_tool.packages.len(), 3);
        for p in &via_tool.packages {
            assert!(seen.packages.contains(p), "{p:?}");
        }
    }

    // A Berkeley DB `Packages` that is not one: the rpm tool refuses it,
    // and the problem names the file and quotes rpm.
    let old = dir.path().join("old-root");
    // A page and more of it, so that rpm reads it and finds no hash
    // database header.
    write(
        &old,
        "var/lib/rpm/Packages",
        &"not a Berkeley DB hash database\n".repeat(512),
    );
    let seen = read_system(&old, &options("old", false));
    let shown = old.join("var/lib/rpm/Packages").display().to_string();
    assert!(
        seen.problems.iter().any(
            |p| p.starts_with(&format!("{shown}: /usr/bin/rpm -qa failed"))
                && p.contains("not a berkeley db")
        ),
        "{:#?}",
        seen.problems
    );
    assert!(seen.package_sources.is_empty());
}

/// Copies the headers of an sqlite rpm database into a Berkeley DB hash
/// file, as RHEL 7 and 8 keep `/var/lib/rpm/Packages`: keys are the header
/// numbers (native byte order), values the header blobs. Debian's
/// python3 reads the sqlite database; db5.3_load writes the hash file.
fn berkeley_db_packages(sqlite: &Path, packages: &Path) {
    // db_load's text input (-T): a key line then a value line, each byte
    // written as a backslash and two hex digits.
    const DUMP: &str = r#"
import sqlite3, struct, sys
db = sqlite3.connect('file:' + sys.argv[1] + '?immutable=1', uri=True)
esc = lambda b: ''.join('\\%02x' % c for c in b)
with open(sys.argv[2], 'w') as out:
    for hnum, blob in db.execute('SELECT hnum, blob FROM Packages'):
        out.write(esc(struct.pack('=I', hnum)) + '\n' + esc(blob) + '\n')
"#;
    let dump = packages.with_file_name("packages.dump");
    run(
        Command::new("/usr/bin/python3")
            .args(["-c", DUMP])
            .arg(sqlite)
            .arg(&dump),
        Duration::from_secs(60),
    );
    run(
        Command::new("/usr/bin/db5.3_load")
            .args(["-T", "-t", "hash", "-f"])
            .arg(&dump)
            .arg(packages),
        Duration::from_secs(60),
    );
    fs::remove_file(dump).unwrap();
}

#[test]
fn a_berkeley_db_rpm_database_is_read_through_the_rpm_tool() {
    assert!(
        Path::new("/usr/bin/db5.3_load").exists(),
        "db5.3_load is missing (scripts/test installs db5.3-util)"
    );
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rpms = build_rpms(dir.path());
    let new = dir.path().join("sqlite-root");
    rpm_root(&new, "/var/lib/rpm", &rpms);
    let old = dir.path().join("bdb-root");
    fs::create_dir_all(old.join("var/lib/rpm")).unwrap();
    berkeley_db_packages(
        &new.join("var/lib/rpm/rpmdb.sqlite"),
        &old.join("var/lib/rpm/Packages"),
    );

    let seen = read_system(&old, &options("rhel8-like", false));
    assert_eq!(seen.package_sources, ["/var/lib/rpm/Packages"]);
    assert_eq!(
        seen.problems.len(),
        1,
        "only the missing os-release: {:#?}",
        seen.problems
    );
    let ours = rows(&seen, PackageFormat::Rpm);
    assert_same(
        &ours,
        &rpm_qa(&old, "/var/lib/rpm", "bdb_ro"),
        "Berkeley DB",
    );
    // The same packages as the sqlite database they were copied from.
    let from_sqlite = read_system(&new, &options("rhel9-like", false));
    assert_same(
        &ours,
        &rows(&from_sqlite, PackageFormat::Rpm),
        "Berkeley DB against sqlite",
    );
    assert_eq!(ours.len(), 3);
}

/// A hand-written apk database (see the module comment): three records,
/// one of them corrupt.
const APK_INSTALLED: &str = "\
C:Q1x8G0Y3Zz9bY5W5mBbZ9h1sK1yE0=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407278
I:663552
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1705508227
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755

C:Q1Qm4wdZb8Xn2hZC0tG1s0q3QK2Ss=
P:libcrypto3
V:3.1.4-r5
A:x86_64
T:Crypto library from openssl
o:openssl
F:usr/lib
R:libcrypto.so.3

P:broken
A:x86_64

P:linux-lts
V:6.6.31-r0
A:x86_64
o:linux-lts
";

#[test]
fn an_alpine_root_from_a_hand_written_database() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let root = dir.path();
    write(
        root,
        "etc/os-release",
        "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
    );
    write(root, "lib/apk/db/installed", APK_INSTALLED);
    write(root, "lib/modules/6.6.31-0-lts/modules.dep", "");
    write(root, "lib/modules/6.6.9-0-lts/modules.dep", "");
    write(root, "boot/vmlinuz-lts", "");

    let seen = read_system(root, &options("alpine", false));
    let os = seen.os.as_ref().unwrap();
    assert_eq!(
        (os.id.as_str(), os.version_id.as_deref()),
        ("alpine", Some("3.19.1"))
    );
    assert_eq!(seen.package_sources, ["/lib/apk/db/installed"]);
    let got: Vec<(&str, &str, &str)> = seen
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.source()))
        .collect();
    assert_eq!(
        got,
        [
            ("musl", "1.2.4_git20230717-r4", "musl"),
            ("libcrypto3", "3.1.4-r5", "openssl"),
            ("linux-lts", "6.6.31-r0", "linux-lts"),
        ]
    );
    assert_eq!(
        seen.problems,
        [format!(
            "{}, record 3 (line 26, package broken): it has no V: (version) line",
            root.join("lib/apk/db/installed").display()
        )]
    );
    let kernel = seen.kernel.as_ref().unwrap();
    assert_eq!(kernel.installed, ["6.6.9-0-lts", "6.6.31-0-lts"]);
    assert_eq!(seen.auto_updates.tool, None);
    assert!(seen.auto_updates.evidence.is_empty());
}
