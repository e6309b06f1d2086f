//! Real published OSV records (the ones built into the agent, see
//! `agent/data/advisories/SOURCES.md`) matched against hand-built systems,
//! including fixes that distributions backported without moving the
//! upstream version, and the same records imported as a folder, as a zip
//! and through an index file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use trustwatch_agent::advisories::Index;
use trustwatch_rules::observe::packages::{
    AdvisoryMatch, AutoUpdates, InstalledPackage, OsRelease, PackageFormat, RebootState,
    SystemObservation,
};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/advisories")
}

fn system(id: &str, version: &str, packages: Vec<InstalledPackage>) -> SystemObservation {
    SystemObservation {
        target: "host-a".into(),
        root: "/".into(),
        os: Some(OsRelease {
            id: id.into(),
            version_id: Some(version.into()),
            ..OsRelease::default()
        }),
        package_sources: Vec::new(),
        packages,
        kernel: None,
        reboot: RebootState::default(),
        auto_updates: AutoUpdates::default(),
        problems: Vec::new(),
    }
}

fn deb(name: &str, version: &str, source: &str) -> InstalledPackage {
    InstalledPackage {
        format: PackageFormat::Dpkg,
        name: name.into(),
        version: version.into(),
        source_name: (source != name).then(|| source.into()),
        source_version: None,
        arch: Some("amd64".into()),
    }
}

fn rpm(name: &str, version: &str) -> InstalledPackage {
    InstalledPackage {
        format: PackageFormat::Rpm,
        name: name.into(),
        version: version.into(),
        source_name: None,
        source_version: None,
        arch: Some("x86_64".into()),
    }
}

fn ids(matches: &[AdvisoryMatch]) -> Vec<(&str, &str)> {
    matches
        .iter()
        .map(|m| (m.id.as_str(), m.package.as_str()))
        .collect()
}

#[test]
fn the_bundled_records_load_without_problems() {
    let index = Index::bundled().unwrap();
    assert_eq!(index.records().unwrap(), 5);
    let ds = index.data_source();
    assert_eq!(ds.path, "builtin");
    // USN-6119-1's `modified` is the newest of the five.
    assert_eq!(ds.date.as_deref(), Some("2026-04-27T14:11:30Z"));
    assert!(ds.sha256.is_some());
}

/// Ubuntu 22.04 with OpenSSH and OpenSSL at versions before and after
/// Ubuntu's fixes. Ubuntu fixed CVE-2024-6387 in OpenSSH
/// `1:8.9p1-3ubuntu0.10` (upstream fixed it in 9.8p1) and CVE-2023-2650 in
/// OpenSSL `3.0.2-0ubuntu1.10` (upstream in 3.0.9): comparing upstream
/// versions would call both fixed systems vulnerable.
#[test]
fn ubuntu_matches_source_packages_and_honours_backported_fixes() {
    let index = Index::bundled().unwrap();
    let old = system(
        "ubuntu",
        "22.04",
        vec![
            deb("openssh-client", "1:8.9p1-3ubuntu0.7", "openssh"),
            deb("openssh-server", "1:8.9p1-3ubuntu0.7", "openssh"),
            deb("libssl3", "3.0.2-0ubuntu1.9", "openssl"),
            deb("openssl", "3.0.2-0ubuntu1.9", "openssl"),
            deb("bash", "5.1-6ubuntu1", "bash"),
        ],
    );
    let a = index.assess(&old);
    assert_eq!(a.ecosystems, ["Ubuntu:22.04"]);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    assert_eq!(
        ids(&a.matches),
        [
            ("UBUNTU-CVE-2024-6387", "openssh"),
            ("USN-6859-1", "openssh"),
            ("USN-6119-1", "openssl")
        ]
    );
    let cve = &a.matches[0];
    assert_eq!(cve.ecosystem, "Ubuntu:22.04:LTS");
    assert_eq!(cve.binaries, ["openssh-client", "openssh-server"]);
    assert_eq!(cve.installed_version, "1:8.9p1-3ubuntu0.7");
    assert_eq!(cve.fixed_version.as_deref(), Some("1:8.9p1-3ubuntu0.10"));
    assert_eq!(cve.cves, ["CVE-2024-6387"]);
    // Ubuntu's priority for the package, and NVD-style CVSS from the vector.
    assert_eq!(cve.severity.rating.as_deref(), Some("high"));
    assert_eq!(cve.severity.cvss_score, Some(8.1));
    assert_eq!(
        cve.published.map(|p| p.unix_timestamp()),
        Some(1_719_792_000) // 2024-07-01T00:00:00Z
    );
    // The USN itself carries no rating; its CVE record does.
    assert_eq!(a.matches[1].severity.rating, None);
    // USN-6119-1 rates each CVE in `cves_map`: the worst (medium, 6.5) wins.
    let ssl = &a.matches[2];
    assert_eq!(ssl.binaries, ["libssl3", "openssl"]);
    assert_eq!(ssl.fixed_version.as_deref(), Some("3.0.2-0ubuntu1.10"));
    assert_eq!(ssl.severity.rating.as_deref(), Some("medium"));
    assert_eq!(ssl.severity.cvss_score, Some(6.5));
    assert_eq!(ssl.cves, ["CVE-2023-1255", "CVE-2023-2650"]);

    let patched = system(
        "ubuntu",
        "22.04",
        vec![
            deb("openssh-server", "1:8.9p1-3ubuntu0.10", "openssh"),
            deb("libssl3", "3.0.2-0ubuntu1.12", "openssl"),
        ],
    );
    let a = index.assess(&patched);
    assert!(a.matches.is_empty(), "{:?}", a.matches);
    assert!(a.problems.is_empty());

    // The same versions on 24.04 are judged against 24.04's entries.
    let noble = system(
        "ubuntu",
        "24.04",
        vec![deb("openssh-server", "1:9.6p1-3ubuntu13", "openssh")],
    );
    let a = index.assess(&noble);
    assert_eq!(
        a.matches
            .iter()
            .map(|m| m.fixed_version.as_deref())
            .collect::<Vec<_>>(),
        [Some("1:9.6p1-3ubuntu13.3"), Some("1:9.6p1-3ubuntu13.3")]
    );
}

/// AlmaLinux 9 fixed CVE-2024-6387 in `8.7p1-38.el9_4.1`, a backport onto
/// OpenSSH 8.7p1. Red Hat-family records name binary RPMs.
#[test]
fn almalinux_matches_binary_rpms_in_rpm_order() {
    let index = Index::bundled().unwrap();
    let a = index.assess(&system(
        "almalinux",
        "9.4",
        vec![
            rpm("openssh", "8.7p1-38.el9"),
            rpm("openssh-server", "8.7p1-38.el9"),
            rpm("openssh-clients", "8.7p1-38.el9_4.1"),
            rpm("openssl-libs", "1:3.0.7-27.el9"),
        ],
    ));
    assert_eq!(a.ecosystems, ["AlmaLinux:9"]);
    assert_eq!(
        ids(&a.matches),
        [
            ("ALSA-2024:4312", "openssh"),
            ("ALSA-2024:4312", "openssh-server")
        ]
    );
    let m = &a.matches[1];
    assert_eq!(m.binaries, ["openssh-server"]);
    assert_eq!(m.fixed_version.as_deref(), Some("8.7p1-38.el9_4.1"));
    assert_eq!(m.severity.rating.as_deref(), Some("important"));
    assert_eq!(m.cves, ["CVE-2024-6387"]);

    // A later build of the same backport is fixed; so is an epoch-0 spelling.
    let later = index.assess(&system(
        "almalinux",
        "9.4",
        vec![
            rpm("openssh-server", "8.7p1-38.el9_4.4"),
            rpm("openssh", "0:8.7p1-38.el9_4.1"),
        ],
    ));
    assert!(later.matches.is_empty(), "{:?}", later.matches);

    // AlmaLinux's records are not applied to Rocky Linux: the bundle has
    // none for Rocky, which is said rather than passed as assessed.
    let rocky = index.assess(&system(
        "rocky",
        "9.4",
        vec![rpm("openssh-server", "8.7p1-38.el9")],
    ));
    assert!(rocky.ecosystems.is_empty(), "{:?}", rocky.ecosystems);
    assert!(rocky.matches.is_empty());
    assert_eq!(
        rocky.problems,
        ["host-a: the advisory data builtin holds no records for Rocky Linux:9, so its packages were not assessed there"]
    );
}

/// DSA-3029-1 fixed nginx in wheezy as `1.2.1-2.2+wheezy3` (upstream fixed
/// it in 1.6.2). A binNMU rebuild carries a `+b1` binary version; the
/// advisory counts the source version.
#[test]
fn debian_compares_the_source_version_of_binnmus() {
    let index = Index::bundled().unwrap();
    let mut rebuilt = deb("nginx-full", "1.2.1-2.2+wheezy2+b1", "nginx");
    rebuilt.source_version = Some("1.2.1-2.2+wheezy2".into());
    let a = index.assess(&system(
        "debian",
        "7",
        vec![rebuilt, deb("nginx-common", "1.2.1-2.2+wheezy2", "nginx")],
    ));
    assert_eq!(ids(&a.matches), [("DSA-3029-1", "nginx")]);
    assert_eq!(a.matches[0].binaries, ["nginx-common", "nginx-full"]);
    assert_eq!(a.matches[0].installed_version, "1.2.1-2.2+wheezy2");
    assert_eq!(a.matches[0].cves, ["CVE-2014-3616"]);

    // `+wheezy3` is the fix; a binNMU of it (`+wheezy3+b1`) is fixed too,
    // although as a binary version it sorts above `+wheezy3` either way.
    let mut fixed = deb("nginx-full", "1.2.1-2.2+wheezy3+b1", "nginx");
    fixed.source_version = Some("1.2.1-2.2+wheezy3".into());
    let a = index.assess(&system("debian", "7", vec![fixed]));
    assert!(a.matches.is_empty());
    // Debian 12 is not Debian 7: the bundle has no Debian 12 records, and
    // says so.
    let a = index.assess(&system(
        "debian",
        "12",
        vec![deb("nginx-full", "1.2.1-2.2+wheezy2", "nginx")],
    ));
    assert!(a.ecosystems.is_empty(), "{:?}", a.ecosystems);
    assert!(a.matches.is_empty());
    assert_eq!(
        a.problems,
        ["host-a: the advisory data builtin holds no records for Debian:12, so its packages were not assessed there"]
    );
}

#[test]
fn an_unreadable_version_is_one_problem_and_the_rest_is_assessed() {
    let index = Index::bundled().unwrap();
    let a = index.assess(&system(
        "ubuntu",
        "22.04",
        vec![
            deb("openssh-server", "x:8.9p1", "openssh"),
            deb("libssl3", "3.0.2-0ubuntu1.9", "openssl"),
        ],
    ));
    assert_eq!(ids(&a.matches), [("USN-6119-1", "openssl")]);
    assert_eq!(a.problems.len(), 1, "{:?}", a.problems);
    assert!(
        a.problems[0]
            .starts_with("host-a: package openssh x:8.9p1 cannot be assessed against 2 advisories"),
        "{:?}",
        a.problems
    );
    // No os-release, or one no publisher covers: a problem, no matches.
    let mut none = system("centos", "9", vec![rpm("openssh", "8.7p1-1.el9")]);
    let a = index.assess(&none);
    assert!(a.matches.is_empty() && a.ecosystems.is_empty());
    assert!(a.problems[0].contains("no OSV ecosystem Trustwatch assesses covers centos 9"));
    none.os = None;
    assert!(index.assess(&none).problems[0].contains("no os-release was read"));
}

fn demo_system() -> SystemObservation {
    system(
        "ubuntu",
        "22.04",
        vec![
            deb("openssh-server", "1:8.9p1-3ubuntu0.7", "openssh"),
            deb("libssl3", "3.0.2-0ubuntu1.9", "openssl"),
        ],
    )
}

#[test]
fn a_folder_a_zip_and_an_index_file_give_the_same_matches() {
    let expected = Index::bundled().unwrap().assess(&demo_system());
    assert_eq!(expected.matches.len(), 3);

    // The folder of records.
    let (from_folder, summary) = Index::load(&data_dir()).unwrap();
    let summary = summary.unwrap();
    assert_eq!(summary.imported, 5);
    assert!(summary.problems.is_empty(), "{:?}", summary.problems);
    assert_eq!(summary.ecosystems["Ubuntu:22.04"].imported, 3);
    assert_eq!(from_folder.assess(&demo_system()), expected);

    // An OSV-style export zip of the same records.
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("all.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            zip.start_file(name, options).unwrap();
            zip.write_all(&std::fs::read(&path).unwrap()).unwrap();
        }
    }
    zip.finish().unwrap();
    let (from_zip, summary) = Index::load(&zip_path).unwrap();
    assert_eq!(summary.unwrap().imported, 5);
    assert_eq!(from_zip.assess(&demo_system()), expected);

    // An index file, written once and re-imported (replacing, not
    // duplicating), then opened read-only.
    let db = dir.path().join("advisories.db");
    {
        let mut index = Index::create(&db).unwrap();
        index.import(std::slice::from_ref(&zip_path)).unwrap();
        let again = index.import(&[data_dir()]).unwrap();
        assert_eq!((again.imported, again.replaced), (5, 5));
        assert_eq!(index.records().unwrap(), 5);
    }
    let (opened, summary) = Index::load(&db).unwrap();
    assert!(summary.is_none());
    assert_eq!(opened.assess(&demo_system()), expected);
    let ds = opened.data_source();
    assert_eq!(ds.version.as_deref(), Some("osv-index-1+import-2"));
    assert_eq!(ds.records, Some(5));
}

/// The size the brief sets: ~100,000 records imported in well under a
/// minute, and a host of ~2,000 packages assessed in under 300 ms. Run with
/// `cargo test --release -p trustwatch-agent --test advisories -- --ignored
/// --nocapture`.
#[test]
#[ignore = "benchmark: run in release with --ignored"]
fn benchmark_100k_records_2000_packages() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("Debian.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    // 100,000 records over 5,000 source packages; each names the package in
    // Debian 11 and 12 with a versions list, like Debian's own records.
    for i in 0..100_000u32 {
        let pkg = i % 5_000;
        let record = format!(
            r#"{{"id":"DEBIAN-CVE-2024-{i:06}","modified":"2024-06-01T00:00:00Z","published":"2024-05-01T00:00:00Z",
              "upstream":["CVE-2024-{i:06}"],"details":"{details}",
              "severity":[{{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}],
              "affected":[
               {{"package":{{"ecosystem":"Debian:12","name":"pkg{pkg}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.{v}-1+deb12u1"}}]}}],
                 "versions":["1.0-1","1.{v}-1"],"ecosystem_specific":{{"urgency":"low"}}}},
               {{"package":{{"ecosystem":"Debian:11","name":"pkg{pkg}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.{v}-1+deb11u1"}}]}}]}}]}}"#,
            v = i % 40,
            details = "d".repeat(600),
        );
        zip.start_file(format!("DEBIAN-CVE-2024-{i:06}.json"), options)
            .unwrap();
        zip.write_all(record.as_bytes()).unwrap();
    }
    zip.finish().unwrap();

    let db = dir.path().join("advisories.db");
    let started = Instant::now();
    let summary = {
        let mut index = Index::create(&db).unwrap();
        index.import(&[zip_path]).unwrap()
    };
    let import = started.elapsed();
    assert_eq!(summary.imported, 100_000);
    let db_size = std::fs::metadata(&db).unwrap().len();

    let packages: Vec<InstalledPackage> = (0..2_000)
        .map(|i| deb(&format!("lib{i}"), "1.20-1", &format!("pkg{}", i * 2)))
        .collect();
    let host = system("debian", "12", packages);
    let index = Index::open(&db).unwrap();
    let _ = index.assess(&host); // warm the page cache
    let started = Instant::now();
    let a = index.assess(&host);
    let assess = started.elapsed();
    assert!(
        a.problems.is_empty(),
        "{:?}",
        &a.problems[..a.problems.len().min(3)]
    );
    eprintln!(
        "import 100,000 records: {import:?}; index file {} MiB; assess 2,000 packages: {assess:?} ({} matches)",
        db_size / (1024 * 1024),
        a.matches.len()
    );
    assert!(import.as_secs() < 60);
    assert!(assess.as_millis() < 300);
}
