//! The patch-level scan through the real binary: `trustwatch-agent scan
//! --packages --root DIR --advisories …` and `advisories import|info`, on
//! root filesystems built here, judged against the five real OSV records
//! bundled in `agent/data/advisories/` (see its SOURCES.md).
//!
//! - Ubuntu 22.04 roots are written by hand in dpkg's own layout (as the
//!   collector's demo system is), with real Ubuntu package names and
//!   versions around the regreSSHion fix (CVE-2024-6387).
//! - AlmaLinux 9 roots hold a real rpm database: packages built with
//!   `rpmbuild` and registered with `rpm --root R -i --justdb`.
//! - Alpine roots hold a hand-written apk installed database, judged
//!   against a test record in the shape of Alpine's (no published Alpine
//!   record is reachable from here).
//! - Expected values are computed here from the records' own fields
//!   (`published`, the `fixed` events) and the lifecycle table's dates, and
//!   from the report's own scan date, never written in as results.
//!
//! The binary's warnings go to stderr through `tracing`, which colours
//! them; [`plain`] strips the colour codes before lines are compared.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};
use trustwatch_e2e::binary;
use trustwatch_e2e::process::run_bounded;
use trustwatch_e2e::roots::{build_rpms, rpm_root, run, set_mtime, write};

/// Any one run of the agent here reads a few small files.
const LIMIT: Duration = Duration::from_secs(60);

/// The Cyber Essentials allowance PATCH-001 counts from publication.
const ALLOWANCE_DAYS: i64 = 14;

// ------------------------------------------------------------ running it

/// What one run of the agent gave.
struct Outcome {
    code: Option<i32>,
    stdout: String,
    /// stderr without colour codes.
    stderr: String,
}

impl Outcome {
    /// The JSON report on stdout.
    fn report(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "no JSON report ({e}); exit {:?}\nstdout: {}\nstderr: {}",
                self.code, self.stdout, self.stderr
            )
        })
    }

    /// The non-empty stderr lines that contain `needle`.
    fn lines_with(&self, needle: &str) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && l.contains(needle))
            .collect()
    }

    /// The only non-empty stderr line, for errors that stop the scan.
    fn one_line(&self) -> &str {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "expected one line: {}", self.stderr);
        lines[0]
    }
}

fn agent<I, S>(args: I) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let out = run_bounded(
        Command::new(binary("trustwatch-agent"))
            .args(&args)
            // Warnings at the default level, whatever the caller's RUST_LOG.
            .env_remove("RUST_LOG"),
        LIMIT,
    );
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: plain(&String::from_utf8_lossy(&out.stderr)),
    }
}

/// `scan --packages --root ROOT --format json` and `extra`.
fn scan(root: &Path, extra: &[&dyn AsRef<std::ffi::OsStr>]) -> Outcome {
    let mut args: Vec<OsString> = ["scan", "--packages", "--format", "json", "--root"]
        .map(OsString::from)
        .to_vec();
    args.push(root.into());
    args.extend(extra.iter().map(|a| a.as_ref().to_owned()));
    agent(args)
}

/// Text without ANSI colour sequences (`ESC [ … letter`).
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn finding<'a>(report: &'a Value, rule: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} finding in {report:#}"))
}

fn status(report: &Value, rule: &str) -> String {
    finding(report, rule)["status"]
        .as_str()
        .expect("a status")
        .to_owned()
}

/// The UTC date the report was made, after checking it is today's (the
/// binary judged by the real clock, as the days below assume).
fn scan_date(report: &Value) -> Date {
    let at = OffsetDateTime::parse(report["scanned_at"].as_str().unwrap(), &Rfc3339).unwrap();
    let drift = (OffsetDateTime::now_utc() - at).abs();
    assert!(drift < time::Duration::minutes(10), "scanned_at {at}");
    at.to_offset(UtcOffset::UTC).date()
}

/// PATCH-001's overdue list, keyed by (advisory, package).
fn overdue(report: &Value) -> BTreeMap<(String, String), Value> {
    finding(report, "PATCH-001")["evidence"]["overdue"]
        .as_array()
        .expect("an overdue list")
        .iter()
        .map(|o| {
            let key = (
                o["advisory"].as_str().unwrap().to_owned(),
                o["package"].as_str().unwrap().to_owned(),
            );
            (key, o.clone())
        })
        .collect()
}

// ------------------------------------------------------- advisory records

fn records_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../agent/data/advisories")
}

/// The bundled OSV record in `file`, as published.
fn record(file: &str) -> Value {
    let text = fs::read_to_string(records_dir().join(file)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every bundled record file, sorted.
fn record_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(records_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// The UTC date of a record's `published`.
fn published_date(record: &Value) -> Date {
    let text = record["published"].as_str().expect("published");
    OffsetDateTime::parse(text, &Rfc3339)
        .unwrap()
        .to_offset(UtcOffset::UTC)
        .date()
}

/// The `fixed` event of the record's entry for `package` in `ecosystem`.
fn fixed_in(record: &Value, ecosystem: &str, package: &str) -> String {
    record["affected"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["package"]["ecosystem"] == ecosystem && a["package"]["name"] == package)
        .flat_map(|a| a["ranges"].as_array().unwrap())
        .flat_map(|r| r["events"].as_array().unwrap())
        .find_map(|e| e["fixed"].as_str())
        .unwrap_or_else(|| panic!("no fix for {package} in {ecosystem}"))
        .to_owned()
}

/// What PATCH-001 must say of an overdue `record` on `scan_date`.
fn expected_days_overdue(record: &Value, scan_date: Date) -> i64 {
    (scan_date - published_date(record)).whole_days() - ALLOWANCE_DAYS
}

// -------------------------------------------------------- lifecycle dates

/// `security_until` and `extended_until` of a release in the embedded
/// lifecycle table (rules/data/lifecycle.toml), read as text.
fn lifecycle_dates(os: &str, version: &str) -> (Date, Option<Date>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/data/lifecycle.toml");
    let text = fs::read_to_string(path).unwrap();
    let block = text
        .split("[[release]]")
        .find(|b| {
            b.lines().any(|l| l.trim() == format!("os = \"{os}\""))
                && b.lines()
                    .any(|l| l.trim() == format!("version = \"{version}\""))
        })
        .unwrap_or_else(|| panic!("{os} {version} not in the lifecycle table"));
    let date = |key: &str| {
        block.lines().find_map(|l| {
            let value = l.trim().strip_prefix(key)?.trim_start().strip_prefix('=')?;
            let value = value.split('#').next().unwrap().trim();
            Some(Date::parse(value, format_description!("[year]-[month]-[day]")).unwrap())
        })
    };
    (
        date("security_until").expect("security_until"),
        date("extended_until"),
    )
}

// ------------------------------------------------------------------ roots

/// Ubuntu 22.04's os-release, as a jammy point release ships it.
const JAMMY: &str = r#"PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=jammy
"#;

/// One dpkg status paragraph in dpkg's own field order.
fn paragraph(name: &str, source: &str, version: &str) -> String {
    let mut p = format!(
        "Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: net\n\
         Architecture: amd64\n"
    );
    if source != name {
        p.push_str(&format!("Source: {source}\n"));
    }
    p.push_str(&format!(
        "Version: {version}\nDescription: {name} (Trustwatch test root)\n"
    ));
    p
}

/// A status file of (package, source, version) rows.
fn status_file(packages: &[(&str, &str, &str)]) -> String {
    packages
        .iter()
        .map(|(n, s, v)| paragraph(n, s, v))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A jammy server: OpenSSH at `openssh` (all three binaries of the
/// source), OpenSSL at 3.0.2-0ubuntu1.8 (before USN-6119-1's fix).
fn jammy_packages(openssh: &str) -> Vec<(&str, &str, &str)> {
    vec![
        ("base-files", "base-files", "12ubuntu4.6"),
        ("libssl3", "openssl", "3.0.2-0ubuntu1.8"),
        ("openssh-client", "openssh", openssh),
        ("openssh-server", "openssh", openssh),
        ("openssh-sftp-server", "openssh", openssh),
        ("openssl", "openssl", "3.0.2-0ubuntu1.8"),
    ]
}

/// A root at `dir` with `os_release` and a dpkg status file.
fn deb_root(dir: &Path, os_release: &str, status: &str) -> PathBuf {
    write(dir, "etc/os-release", os_release);
    write(dir, "var/lib/dpkg/status", status);
    dir.to_owned()
}

/// The openssh version that ran before regreSSHion's fix on jammy.
const OPENSSH_VULNERABLE: &str = "1:8.9p1-3ubuntu0.1";

// ------------------------------------------------------- 1: Ubuntu, dpkg

/// Scans `root` with the built-in records, expecting PATCH-001 to fail (it
/// is rated high, the default --fail-on: exit 1); the report and its scan
/// date.
fn scan_failing_patch_001(root: &Path) -> (Value, Date) {
    let out = scan(root, &[&"--advisories", &"builtin"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let report = out.report();
    let today = scan_date(&report);
    let patch = finding(&report, "PATCH-001");
    assert_eq!(patch["status"], "fail", "{patch:#}");
    (report, today)
}

#[test]
fn ubuntu_openssh_before_the_fix_is_overdue_on_both_real_records() {
    let dir = tempfile::tempdir().unwrap();
    let root = deb_root(
        dir.path(),
        JAMMY,
        &status_file(&jammy_packages(OPENSSH_VULNERABLE)),
    );
    let (report, today) = scan_failing_patch_001(&root);
    let patch = finding(&report, "PATCH-001");

    let listed = overdue(&report);
    for file in ["USN-6859-1.json", "UBUNTU-CVE-2024-6387.json"] {
        let rec = record(file);
        let id = rec["id"].as_str().unwrap();
        let entry = listed
            .get(&(id.to_owned(), "openssh".to_owned()))
            .unwrap_or_else(|| panic!("{id} not overdue for openssh: {patch:#}"));
        assert_eq!(entry["installed"], OPENSSH_VULNERABLE);
        assert_eq!(
            entry["fixed"],
            fixed_in(&rec, "Ubuntu:22.04:LTS", "openssh"),
            "{id}"
        );
        assert_eq!(
            entry["days_overdue"],
            expected_days_overdue(&rec, today),
            "{id}: published {}, scanned {today}",
            rec["published"]
        );
        assert!(entry["cves"]
            .as_array()
            .unwrap()
            .contains(&Value::from("CVE-2024-6387")));
        // The binaries installed from the source package.
        assert_eq!(
            entry["binaries"],
            serde_json::json!(["openssh-client", "openssh-server", "openssh-sftp-server"])
        );
    }
    // Only those two: OpenSSL's USN-6119-1 matches too, but Ubuntu rates
    // its CVEs low and medium (cves_map), below PATCH-001's bar.
    assert_eq!(listed.len(), 2, "{patch:#}");
    assert_eq!(patch["evidence"]["matches"], 3);
    assert_eq!(patch["evidence"]["below_severity_bar"], 1);

    let kinds: Vec<&str> = report["data_sources"]
        .as_array()
        .expect("data_sources")
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["advisories", "lifecycle"]);
    assert_eq!(report["data_sources"][0]["path"], "builtin");
    assert_eq!(
        report["data_sources"][0]["records"],
        record_files().len() as u64
    );
}

/// Canonical fixed CVE-2024-6387 in jammy by backporting the patch to
/// 8.9p1 (`1:8.9p1-3ubuntu0.10`); upstream fixed it in 9.8p1. Comparing
/// upstream versions would call 8.9p1 vulnerable forever; dpkg's order of
/// the full version must not.
#[test]
fn ubuntu_backported_and_later_openssh_fixes_are_not_matched() {
    let dir = tempfile::tempdir().unwrap();
    // An alert list naming both regreSSHion and an OpenSSL CVE: PATCH-002
    // lists every match of a listed CVE whatever its rating, so it shows
    // openssh is not matched at all while openssl (still vulnerable)
    // proves the root was assessed.
    let alerts = write(
        dir.path(),
        "alerts.txt",
        "CVE-2024-6387 regreSSHion\nCVE-2023-2650 openssl\n",
    );
    for openssh in ["1:8.9p1-3ubuntu0.10", "1:8.9p1-3ubuntu0.13"] {
        let root = deb_root(
            &dir.path().join(openssh.replace(':', "_")),
            JAMMY,
            &status_file(&jammy_packages(openssh)),
        );
        let out = scan(&root, &[&"--advisories", &"builtin", &"--alerts", &alerts]);
        let report = out.report();
        let patch = finding(&report, "PATCH-001");
        assert_eq!(patch["status"], "pass", "{openssh}: {patch:#}");
        // The one match left is OpenSSL's.
        assert_eq!(patch["evidence"]["matches"], 1, "{openssh}: {patch:#}");
        let alerts = finding(&report, "PATCH-002");
        assert_eq!(alerts["status"], "fail", "{alerts:#}");
        assert_eq!(
            alerts["evidence"]["present_cves"],
            serde_json::json!(["CVE-2023-2650"]),
            "{openssh}: {alerts:#}"
        );
        assert!(alerts["evidence"]["present"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["package"] == "openssl"));
        // PATCH-002 is critical: exit 1 still.
        assert_eq!(out.code, Some(1), "{}", out.stderr);
    }
}

// ---------------------------------------------------- 2: AlmaLinux, rpm

/// AlmaLinux 9.4's os-release.
const ALMA_9: &str = r#"NAME="AlmaLinux"
VERSION="9.4 (Seafoam Ocelot)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"
"#;

/// An AlmaLinux 9 root whose rpm database holds `openssh` and its
/// subpackage `openssh-server` at 8.7p1-`release`, built with rpmbuild
/// (no files: only the database matters here).
fn alma_root(dir: &Path, release: &str) -> PathBuf {
    let spec = format!(
        "Name: openssh\nVersion: 8.7p1\nRelease: {release}\n\
         Summary: Trustwatch test stand-in for AlmaLinux's openssh\nLicense: BSD\n\
         %define debug_package %{{nil}}\n\
         %description\nThe package's name and version only.\n\
         %package server\nSummary: The server half\n\
         %description server\nThe package's name and version only.\n\
         %files\n%files server\n"
    );
    let rpms = build_rpms(&dir.join("build"), &[("openssh.spec", &spec)]);
    assert_eq!(rpms.len(), 2, "{rpms:?}");
    let root = dir.join("root");
    rpm_root(&root, "/var/lib/rpm", &rpms);
    write(&root, "etc/os-release", ALMA_9);
    root
}

#[test]
fn almalinux_9_rpm_database_is_matched_against_alsa_2024_4312() {
    let rec = record("ALSA-2024-4312.json");
    // The id as AlmaLinux spells it (with a colon), not as the file is
    // named.
    let id = rec["id"].as_str().unwrap().to_owned();
    let fixed = fixed_in(&rec, "AlmaLinux:9", "openssh");
    assert_eq!(fixed, fixed_in(&rec, "AlmaLinux:9", "openssh-server"));

    let dir = tempfile::tempdir().unwrap();
    let root = alma_root(&dir.path().join("vulnerable"), "38.el9_4");
    let (report, today) = scan_failing_patch_001(&root);
    let patch = finding(&report, "PATCH-001");
    assert_eq!(
        patch["evidence"]["package_sources"],
        serde_json::json!(["/var/lib/rpm/rpmdb.sqlite"])
    );
    let listed = overdue(&report);
    // Red Hat family advisories name binary packages: one entry each.
    for package in ["openssh", "openssh-server"] {
        let entry = listed
            .get(&(id.clone(), package.to_owned()))
            .unwrap_or_else(|| panic!("{id} not overdue for {package}: {patch:#}"));
        assert_eq!(entry["installed"], "8.7p1-38.el9_4");
        assert_eq!(entry["fixed"], fixed);
        assert_eq!(entry["ecosystem"], "AlmaLinux:9");
        assert_eq!(entry["days_overdue"], expected_days_overdue(&rec, today));
    }
    assert_eq!(listed.len(), 2, "{patch:#}");

    // The fixed build: nothing matches, and PATCH-001 passes.
    let root = alma_root(&dir.path().join("fixed"), "38.el9_4.1");
    let out = scan(&root, &[&"--advisories", &"builtin"]);
    let report = out.report();
    let patch = finding(&report, "PATCH-001");
    assert_eq!(patch["status"], "pass", "{patch:#}");
    assert_eq!(patch["evidence"]["matches"], 0, "{patch:#}");
    assert_eq!(patch["evidence"]["packages"], 2, "{patch:#}");
}

// ------------------------------------------------- 3: import and index

/// Records per index ecosystem, counted from the record files: each
/// record once per ecosystem it names. The index keys Ubuntu by release
/// (`Ubuntu:22.04`), without OSV's `:LTS` suffix.
fn expected_ecosystems(files: &[PathBuf]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for file in files {
        let rec: Value = serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap();
        let mut ecosystems: Vec<String> = rec["affected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let e = a["package"]["ecosystem"].as_str().unwrap();
                e.strip_suffix(":LTS").unwrap_or(e).to_owned()
            })
            .collect();
        ecosystems.sort();
        ecosystems.dedup();
        for e in ecosystems {
            *counts.entry(e).or_insert(0) += 1;
        }
    }
    counts
}

/// Runs `advisories info` on `db` and checks it lists `files`' records.
fn assert_info_lists(db: &Path, files: &[PathBuf]) {
    let out = agent([
        "advisories".into(),
        "info".into(),
        "--index".into(),
        OsString::from(db),
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().map(str::trim).collect();
    assert!(
        lines.contains(&format!("{} advisories", files.len()).as_str()),
        "{}",
        out.stdout
    );
    for (ecosystem, n) in expected_ecosystems(files) {
        assert!(
            lines.contains(&format!("{ecosystem}: {n} advisories").as_str()),
            "{ecosystem}: {n} not listed:\n{}",
            out.stdout
        );
    }
}

/// `advisories import PATHS --index DB`, which must succeed quietly.
/// A folder `dir/osv` holding a copy of every real record, and their
/// paths in the tree.
fn records_copy(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let data = dir.join("osv");
    fs::create_dir(&data).unwrap();
    let files = record_files();
    for f in &files {
        fs::copy(f, data.join(f.file_name().unwrap())).unwrap();
    }
    (data, files)
}

/// Imports `paths` into `db` and expects success with exactly one stderr
/// line mentioning `about`, naming `input`.
fn import_naming(paths: &[&Path], db: &Path, about: &str, input: &Path) -> Outcome {
    let out = import(paths, db);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let named = out.lines_with(about);
    assert_eq!(named.len(), 1, "{}", out.stderr);
    assert!(
        named[0].contains(&input.display().to_string()),
        "{}",
        named[0]
    );
    out
}

fn import(paths: &[&Path], db: &Path) -> Outcome {
    let mut args: Vec<OsString> = vec!["advisories".into(), "import".into()];
    args.extend(paths.iter().map(OsString::from));
    args.extend(["--index".into(), db.into()]);
    agent(args)
}

/// PATCH-001's overdue list without the day counts, which depend on the
/// scan's date (two scans may straddle midnight).
fn overdue_undated(report: &Value) -> Vec<Value> {
    overdue(report)
        .into_values()
        .map(|mut o| {
            let obj = o.as_object_mut().unwrap();
            obj.remove("days_overdue");
            obj.remove("days_since_published");
            o
        })
        .collect()
}

#[test]
fn imported_index_and_zip_export_give_the_same_evidence_as_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let root = deb_root(
        &dir.path().join("jammy"),
        JAMMY,
        &status_file(&jammy_packages(OPENSSH_VULNERABLE)),
    );
    let builtin = scan(&root, &[&"--advisories", &"builtin"]).report();
    let reference = overdue_undated(&builtin);
    assert_eq!(reference.len(), 2);

    // The bundled folder as it is in the tree (its SOURCES.md beside the
    // records is not a record and must not be a problem).
    let files = record_files();
    let db = dir.path().join("folder.db");
    let out = import(&[&records_dir()], &db);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stderr.trim(), "", "a clean import warns of nothing");
    assert_info_lists(&db, &files);
    let report = scan(&root, &[&"--advisories", &db]).report();
    assert_eq!(overdue_undated(&report), reference);
    assert_eq!(report["data_sources"][0]["kind"], "advisories");
    assert_eq!(report["data_sources"][0]["path"], db.display().to_string());

    // The same records as an OSV zip export (flat, one record a member),
    // made with python3's zipfile.
    let zip = dir.path().join("export.zip");
    run(
        Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile, os\n\
                 with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n\
                 \x20   for f in sys.argv[2:]: z.write(f, os.path.basename(f))\n",
            ])
            .arg(&zip)
            .args(&files),
        LIMIT,
    );
    let zdb = dir.path().join("zip.db");
    let out = import(&[&zip], &zdb);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_info_lists(&zdb, &files);
    let report = scan(&root, &[&"--advisories", &zdb]).report();
    assert_eq!(overdue_undated(&report), reference);
    // And the zip read directly for one scan, without an index file.
    let report = scan(&root, &[&"--advisories", &zip]).report();
    assert_eq!(overdue_undated(&report), reference);
    assert_eq!(status(&report, "PATCH-001"), "fail");
}

// ---------------------------------------------------------- 4: bad input

#[test]
fn a_corrupt_dpkg_paragraph_is_named_and_the_rest_still_assessed() {
    let dir = tempfile::tempdir().unwrap();
    let mut paragraphs: Vec<String> = jammy_packages(OPENSSH_VULNERABLE)
        .iter()
        .map(|(n, s, v)| paragraph(n, s, v))
        .collect();
    // Third of seven: a version dpkg itself would refuse (empty revision).
    paragraphs.insert(
        2,
        "Package: tw-broken\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-\n"
            .into(),
    );
    let root = deb_root(dir.path(), JAMMY, &paragraphs.join("\n"));
    let out = scan(&root, &[&"--advisories", &"builtin"]);
    // Failing findings, not bad input.
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let status_path = root.join("var/lib/dpkg/status").display().to_string();
    let named = out.lines_with(&status_path);
    assert_eq!(named.len(), 1, "{}", out.stderr);
    assert!(
        named[0].contains("paragraph 3") && named[0].contains("tw-broken"),
        "{}",
        named[0]
    );
    let report = out.report();
    let patch = finding(&report, "PATCH-001");
    assert_eq!(patch["status"], "fail", "{patch:#}");
    assert!(overdue(&report).contains_key(&("USN-6859-1".into(), "openssh".into())));
    // Six packages read; the bad one is in the evidence too.
    assert_eq!(patch["evidence"]["packages"], 6);
    let problems = patch["evidence"]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].as_str().unwrap().contains("paragraph 3"));
}

#[test]
fn a_truncated_record_is_named_and_the_good_ones_imported() {
    let dir = tempfile::tempdir().unwrap();
    let (data, files) = records_copy(dir.path());
    // Half of a real record, as an interrupted download leaves it.
    let whole = fs::read(records_dir().join("USN-6119-1.json")).unwrap();
    let truncated = data.join("USN-9999-1.json");
    fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();

    let db = dir.path().join("index.db");
    let out = import_naming(&[&data], &db, "USN-9999-1.json", &truncated);
    assert_eq!(out.stderr.lines().filter(|l| !l.is_empty()).count(), 1);
    // Every good record is in.
    assert_info_lists(&db, &files);
}

#[test]
fn a_record_in_an_unknown_ecosystem_is_named_and_the_rest_imported() {
    let dir = tempfile::tempdir().unwrap();
    // A real record moved to an ecosystem Trustwatch does not assess.
    let mut mageia = record("DSA-3029-1.json");
    mageia["id"] = "MGASA-2014-0001".into();
    for a in mageia["affected"].as_array_mut().unwrap() {
        a["package"]["ecosystem"] = "Mageia:9".into();
    }
    let (data, files) = records_copy(dir.path());
    let odd = write(&data, "MGASA-2014-0001.json", &mageia.to_string());

    // In a folder: one message naming the ecosystem and where it was.
    let db = dir.path().join("folder.db");
    import_naming(&[&data], &db, "Mageia:9", &data);
    assert_info_lists(&db, &files);

    // Given as a file: the file is named.
    let db = dir.path().join("file.db");
    import_naming(&[&odd, &records_dir()], &db, "Mageia:9", &odd);
    assert_info_lists(&db, &files);
}

#[test]
fn a_root_that_is_not_there_exits_2_naming_root() {
    let out = agent([
        "scan",
        "--packages",
        "--root",
        "/nonexistent-trustwatch-root",
        "--advisories",
        "builtin",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let line = out.one_line();
    assert!(
        line.contains("--root") && line.contains("/nonexistent-trustwatch-root"),
        "{line}"
    );
    assert_eq!(out.stdout, "", "nothing is scanned");
}

#[test]
fn a_broken_lifecycle_table_exits_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let root = deb_root(
        &dir.path().join("root"),
        JAMMY,
        &status_file(&jammy_packages(OPENSSH_VULNERABLE)),
    );
    // The real table with one date written as a word.
    let real = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/data/lifecycle.toml"),
    )
    .unwrap();
    let at = real.find("security_until = 20").unwrap();
    let line = real[..at].matches('\n').count() + 1;
    let end = at + real[at..].find('\n').unwrap();
    let broken = format!("{}security_until = \"soon\"{}", &real[..at], &real[end..]);
    let table = write(dir.path(), "lifecycle-2026.toml", &broken);
    let out = scan(
        &root,
        &[&"--advisories", &"builtin", &"--lifecycle", &table],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let msg = out.one_line();
    assert!(msg.contains("--lifecycle"), "{msg}");
    assert!(msg.contains("lifecycle-2026.toml"), "{msg}");
    assert!(msg.contains(&format!("line {line}")), "line {line}: {msg}");
    assert!(msg.contains("security_until"), "{msg}");
}

#[test]
fn a_bad_alert_line_is_named_and_the_good_lines_still_used() {
    let dir = tempfile::tempdir().unwrap();
    let root = deb_root(
        &dir.path().join("root"),
        JAMMY,
        &status_file(&jammy_packages(OPENSSH_VULNERABLE)),
    );
    // The bad line comes before the one that matters, so reading went on.
    let alerts = write(
        dir.path(),
        "nhs-alerts.txt",
        "# CVEs from NHS England cyber alerts\nCVE-2024-63B7 typo\nCVE-2024-6387 CC-4507\n",
    );
    let out = scan(&root, &[&"--advisories", &"builtin", &"--alerts", &alerts]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let named = out.lines_with("nhs-alerts.txt");
    assert_eq!(named.len(), 1, "{}", out.stderr);
    assert!(named[0].contains("line 2"), "{}", named[0]);
    let report = out.report();
    let alert = finding(&report, "PATCH-002");
    assert_eq!(alert["status"], "fail", "{alert:#}");
    assert_eq!(
        alert["evidence"]["present_cves"],
        serde_json::json!(["CVE-2024-6387"])
    );
    assert_eq!(alert["evidence"]["alert_list"]["entries"], 1);
    assert_eq!(
        alert["evidence"]["alert_list_problems"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(alert["evidence"]["present"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["alert_reference"] == "CC-4507"));
    let kinds: Vec<&str> = report["data_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["advisories", "lifecycle", "alerts"]);
}

#[test]
fn advisories_that_are_not_an_index_or_not_there_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let root = deb_root(
        &dir.path().join("root"),
        JAMMY,
        &status_file(&jammy_packages(OPENSSH_VULNERABLE)),
    );
    // Another program's SQLite database, made by python3's sqlite3.
    let other = dir.path().join("inventory.sqlite");
    run(
        Command::new("python3")
            .args([
                "-c",
                "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\n\
                 c.execute('CREATE TABLE hosts (name TEXT)')\nc.commit()\n",
            ])
            .arg(&other),
        LIMIT,
    );
    let missing = dir.path().join("advisories.db");
    for path in [&other, &missing] {
        let out = scan(&root, &[&"--advisories", path]);
        assert_eq!(out.code, Some(2), "{}", out.stderr);
        let msg = out.one_line();
        assert!(
            msg.contains("--advisories") && msg.contains(&path.display().to_string()),
            "{msg}"
        );
        assert_eq!(out.stdout, "", "nothing is scanned");
    }
}

/// This machine's own root (the tests run on Debian 12): the bundled
/// records cover no Debian 12 package, which must not read as a pass.
#[test]
fn an_ecosystem_with_no_records_is_an_error_not_a_pass() {
    let os_release = fs::read_to_string("/etc/os-release").unwrap();
    let field = |key: &str| {
        os_release
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(|v| v.trim_matches('"').to_owned())
            .unwrap_or_else(|| panic!("no {key} in /etc/os-release"))
    };
    let (id, version) = (field("ID"), field("VERSION_ID"));
    let mut ecosystem = id.clone();
    ecosystem[..1].make_ascii_uppercase();
    let key = format!("{ecosystem}:{version}");
    assert_ne!(key, "Debian:7", "the bundle does cover Debian 7");

    let out = scan(Path::new("/"), &[&"--advisories", &"builtin"]);
    assert_ne!(out.code, Some(2), "{}", out.stderr);
    let report = out.report();
    let patch = finding(&report, "PATCH-001");
    assert_eq!(patch["status"], "error", "{patch:#}");
    let said = out.lines_with(&format!("holds no records for {key}"));
    assert_eq!(said.len(), 1, "{}", out.stderr);
    assert!(said[0].contains("builtin"), "{}", said[0]);
}

// ------------------------------------------- 5: PATCH-003, PATCH-004, OS-001

/// A point in the past, `days` days and an hour ago (the hour so that it
/// reads as `days` whole days however slowly the scan runs).
fn days_ago(days: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(days * 24 * 3600 + 3600)
}

#[test]
fn a_reboot_pending_beyond_14_days_fails_patch_003() {
    let dir = tempfile::tempdir().unwrap();
    for (age, expected) in [(20, "fail"), (0, "pass")] {
        let root = deb_root(
            &dir.path().join(format!("age-{age}")),
            JAMMY,
            &status_file(&jammy_packages("1:8.9p1-3ubuntu0.10")),
        );
        let marker = write(
            &root,
            "var/run/reboot-required",
            "*** System restart required ***\n",
        );
        write(
            &root,
            "var/run/reboot-required.pkgs",
            "linux-image-5.15.0-107-generic\n",
        );
        set_mtime(&marker, days_ago(age));
        let report = scan(&root, &[&"--advisories", &"builtin"]).report();
        let reboot = finding(&report, "PATCH-003");
        assert_eq!(reboot["status"], expected, "{age} days: {reboot:#}");
        assert_eq!(reboot["evidence"]["pending_days"], age, "{reboot:#}");
        assert_eq!(reboot["evidence"]["reboot_required"], true);
        assert_eq!(
            reboot["evidence"]["reboot_packages"],
            serde_json::json!(["linux-image-5.15.0-107-generic"])
        );
    }
}

#[test]
fn unattended_upgrades_must_have_succeeded_within_7_days() {
    let dir = tempfile::tempdir().unwrap();
    let mut packages = jammy_packages("1:8.9p1-3ubuntu0.10");
    packages.push(("unattended-upgrades", "unattended-upgrades", "2.8ubuntu1"));
    for (age, expected) in [(2, "pass"), (10, "fail")] {
        let root = deb_root(
            &dir.path().join(format!("age-{age}")),
            JAMMY,
            &status_file(&packages),
        );
        write(
            &root,
            "etc/apt/apt.conf.d/20auto-upgrades",
            "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n",
        );
        let stamp = write(&root, "var/lib/apt/periodic/unattended-upgrades-stamp", "");
        let when = days_ago(age);
        set_mtime(&stamp, when);
        let report = scan(&root, &[&"--advisories", &"builtin"]).report();
        let auto = finding(&report, "PATCH-004");
        assert_eq!(auto["status"], expected, "{age} days: {auto:#}");
        assert_eq!(auto["evidence"]["tool"], "unattended-upgrades");
        assert_eq!(auto["evidence"]["enabled"], true);
        assert_eq!(auto["evidence"]["age_days"], age, "{auto:#}");
        let last =
            OffsetDateTime::parse(auto["evidence"]["last_success"].as_str().unwrap(), &Rfc3339)
                .unwrap();
        let stamped = OffsetDateTime::from(when);
        assert!(
            (last - stamped).abs() < time::Duration::seconds(1),
            "{last} against {stamped}"
        );
    }

    // Installed but switched off: fails whatever the stamp says.
    let root = deb_root(&dir.path().join("off"), JAMMY, &status_file(&packages));
    write(
        &root,
        "etc/apt/apt.conf.d/20auto-upgrades",
        "APT::Periodic::Unattended-Upgrade \"0\";\n",
    );
    let stamp = write(&root, "var/lib/apt/periodic/unattended-upgrades-stamp", "");
    set_mtime(&stamp, days_ago(1));
    let report = scan(&root, &[&"--advisories", &"builtin"]).report();
    assert_eq!(status(&report, "PATCH-004"), "fail");
    assert_eq!(finding(&report, "PATCH-004")["evidence"]["enabled"], false);
}

#[test]
fn debian_10_is_past_its_support_end() {
    let dir = tempfile::tempdir().unwrap();
    let root = deb_root(
        dir.path(),
        "PRETTY_NAME=\"Debian GNU/Linux 10 (buster)\"\nNAME=\"Debian GNU/Linux\"\n\
         VERSION_ID=\"10\"\nVERSION=\"10 (buster)\"\nVERSION_CODENAME=buster\nID=debian\n",
        &status_file(&[("base-files", "base-files", "10.3+deb10u13")]),
    );
    let out = scan(&root, &[&"--advisories", &"builtin"]);
    // OS-001 is critical, above the default --fail-on.
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let report = out.report();
    let today = scan_date(&report);
    let (until, _) = lifecycle_dates("debian", "10");
    let os = finding(&report, "OS-001");
    assert_eq!(os["severity"], "critical");
    assert_eq!(os["status"], "fail", "{os:#}");
    assert_eq!(os["evidence"]["supported_until"], until.to_string());
    assert_eq!(
        os["evidence"]["days_past_end"],
        (today - until).whole_days()
    );
    assert_eq!(os["evidence"]["extended_support_applied"], false);
}

#[test]
fn ubuntu_18_04_passes_only_with_esm_until_its_end() {
    const BIONIC: &str = "NAME=\"Ubuntu\"\nVERSION=\"18.04.6 LTS (Bionic Beaver)\"\nID=ubuntu\n\
                          ID_LIKE=debian\nPRETTY_NAME=\"Ubuntu 18.04.6 LTS\"\nVERSION_ID=\"18.04\"\n\
                          VERSION_CODENAME=bionic\nUBUNTU_CODENAME=bionic\n";
    let (security_until, esm_until) = lifecycle_dates("ubuntu", "18.04");
    let esm_until = esm_until.expect("18.04 has an ESM end date");
    let status_text = status_file(&[("base-files", "base-files", "10.1ubuntu2.12")]);
    let dir = tempfile::tempdir().unwrap();

    // Without ESM: standard support ended.
    let plain_root = deb_root(&dir.path().join("plain"), BIONIC, &status_text);
    let report = scan(&plain_root, &[&"--advisories", &"builtin"]).report();
    let today = scan_date(&report);
    let os = finding(&report, "OS-001");
    let expected = if today <= security_until {
        "pass"
    } else {
        "fail"
    };
    assert_eq!(os["status"], expected, "{os:#}");
    assert_eq!(os["evidence"]["extended_support_applied"], false);
    assert_eq!(
        os["evidence"]["supported_until"],
        security_until.to_string()
    );

    // Enrolled in Ubuntu Pro: the ESM source is in apt's sources (a
    // commented-out line beside it must not count on its own).
    let esm_root = deb_root(&dir.path().join("esm"), BIONIC, &status_text);
    write(
        &esm_root,
        "etc/apt/sources.list.d/ubuntu-esm-infra.list",
        "# Written by ubuntu-advantage-tools\n\
         deb https://esm.ubuntu.com/infra/ubuntu bionic-infra-security main\n",
    );
    let report = scan(&esm_root, &[&"--advisories", &"builtin"]).report();
    let today = scan_date(&report);
    let os = finding(&report, "OS-001");
    let expected = if today <= esm_until { "pass" } else { "fail" };
    assert_eq!(os["status"], expected, "{os:#}");
    assert_eq!(os["evidence"]["extended_support_applied"], true);
    assert_eq!(os["evidence"]["supported_until"], esm_until.to_string());
    if expected == "pass" {
        assert_eq!(
            os["evidence"]["days_left"],
            (esm_until - today).whole_days()
        );
    }

    // Only a commented-out ESM line: not enrolled.
    let commented = deb_root(&dir.path().join("commented"), BIONIC, &status_text);
    write(
        &commented,
        "etc/apt/sources.list",
        "deb http://archive.ubuntu.com/ubuntu bionic main\n\
         # deb https://esm.ubuntu.com/infra/ubuntu bionic-infra-security main\n",
    );
    let report = scan(&commented, &[&"--advisories", &"builtin"]).report();
    assert_eq!(
        finding(&report, "OS-001")["evidence"]["extended_support_applied"],
        false
    );
}

// ----------------------------------------------------------------- alpine

/// Alpine 3.19's os-release.
const ALPINE_3_19: &str = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n\
                           PRETTY_NAME=\"Alpine Linux v3.19\"\n";

/// An Alpine root: os-release and apk's installed database with busybox
/// (and its subpackage ssl_client, origin busybox) at revision `busybox_r`.
fn alpine_root(dir: &Path, busybox_r: u32) -> PathBuf {
    let root = dir.join(format!("alpine-r{busybox_r}"));
    write(&root, "etc/os-release", ALPINE_3_19);
    let mut db = String::new();
    for (name, version, origin) in [
        ("musl", "1.2.4_git20230717-r4".to_owned(), "musl"),
        ("busybox", format!("1.36.1-r{busybox_r}"), "busybox"),
        ("ssl_client", format!("1.36.1-r{busybox_r}"), "busybox"),
    ] {
        db.push_str(&format!(
            "C:Q1placeholderchecksum=\nP:{name}\nV:{version}\nA:x86_64\nS:1\nI:1\nT:{name}\no:{origin}\n\n"
        ));
    }
    write(&root, "lib/apk/db/installed", &db);
    root
}

/// Alpine's OSV records carry the CVE in `upstream` and no severity. No
/// published Alpine record is reachable from here (they live in OSV's
/// storage bucket, not a repository), so this one is made in that shape
/// and named as a test record; the version order it exercises is apk's.
fn alpine_record(fixed: &str) -> String {
    serde_json::json!({
        "schema_version": "1.6.0",
        "id": "TEST-ALPINE-0001",
        "modified": "2025-01-10T00:00:00Z",
        "published": "2025-01-02T00:00:00Z",
        "upstream": ["CVE-2023-42363"],
        "affected": [{
            "package": {"ecosystem": "Alpine:v3.19", "name": "busybox",
                         "purl": "pkg:apk/alpine/busybox?arch=source"},
            "ranges": [{"type": "ECOSYSTEM",
                        "events": [{"introduced": "0"}, {"fixed": fixed}]}]
        }]
    })
    .to_string()
}

#[test]
fn alpine_origins_are_matched_in_apk_order() {
    let dir = tempfile::tempdir().unwrap();
    // The fix at -r10: a text comparison would put -r9 after it and miss
    // the match, and put -r10 before -r9's fix; apk's order does not.
    let data = write(
        dir.path(),
        "osv/TEST-ALPINE-0001.json",
        &alpine_record("1.36.1-r10"),
    );
    let vulnerable = alpine_root(dir.path(), 9);
    let out = scan(&vulnerable, &[&"--advisories", &data]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let report = out.report();
    let today = scan_date(&report);
    let listed = overdue(&report);
    let entry = &listed[&("TEST-ALPINE-0001".to_owned(), "busybox".to_owned())];
    assert_eq!(entry["installed"], "1.36.1-r9");
    assert_eq!(entry["fixed"], "1.36.1-r10");
    assert_eq!(
        entry["binaries"],
        serde_json::json!(["busybox", "ssl_client"])
    );
    assert_eq!(entry["cves"], serde_json::json!(["CVE-2023-42363"]));
    assert_eq!(entry["ecosystem"], "Alpine:v3.19");
    let published = Date::from_calendar_date(2025, time::Month::January, 2).unwrap();
    assert_eq!(
        entry["days_overdue"],
        (today - published).whole_days() - ALLOWANCE_DAYS
    );
    assert_eq!(
        finding(&report, "PATCH-001")["evidence"]["package_sources"],
        serde_json::json!(["/lib/apk/db/installed"])
    );

    // At the fix and after it: nothing is pending.
    for r in [10, 11] {
        let out = scan(&alpine_root(dir.path(), r), &[&"--advisories", &data]);
        let report = out.report();
        assert_eq!(status(&report, "PATCH-001"), "pass", "{}", out.stderr);
        assert_eq!(finding(&report, "PATCH-001")["evidence"]["matches"], 0);
    }
}
