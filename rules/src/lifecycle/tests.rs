use time::macros::date;

use super::*;

fn os(id: &str, version: &str) -> OsRelease {
    OsRelease {
        id: id.into(),
        version_id: Some(version.into()),
        ..OsRelease::default()
    }
}

fn table() -> Lifecycle {
    Lifecycle::embedded().expect("the embedded table is valid")
}

#[test]
fn embedded_table_loads_with_its_version() {
    let t = table();
    assert_eq!(t.version, "2026.11.1");
    assert_eq!(t.published, date!(2026 - 11 - 22));
    assert_eq!(t.source(), EMBEDDED_NAME);
    assert_eq!(t.sha256().len(), 64);
    assert!(!t.sources.is_empty());
    // Every family the brief asks for is covered.
    for (id, v) in [
        ("debian", "9"),
        ("debian", "13"),
        ("ubuntu", "16.04"),
        ("ubuntu", "26.04"),
        ("ubuntu", "25.10"),
        ("rhel", "7.9"),
        ("rhel", "10.0"),
        ("rocky", "8.10"),
        ("almalinux", "9.4"),
        ("centos", "7"),
        ("centos", "9"),
        ("alpine", "3.16.9"),
        ("alpine", "3.23.0"),
        ("windows", "10.0.19045.4529"),
        ("windows", "10.0.26200"),
        ("windows-server", "6.3.9600"),
        ("windows-server", "10.0.26100"),
    ] {
        assert!(
            t.lookup(&os(id, v)).is_some(),
            "{id} {v} is not in the table"
        );
    }
}

#[test]
fn lookup_uses_each_os_scheme() {
    let t = table();
    assert_eq!(
        t.lookup(&os("debian", "12")).unwrap().name,
        "Debian 12 (bookworm)"
    );
    assert_eq!(t.lookup(&os("rhel", "9.4")).unwrap().version, "9");
    assert_eq!(t.lookup(&os("alpine", "3.19.1")).unwrap().version, "3.19");
    assert_eq!(t.lookup(&os("ubuntu", "22.04")).unwrap().version, "22.04");
    assert!(t.lookup(&os("ubuntu", "22.10")).is_none());
    assert!(t.lookup(&os("debian", "8")).is_none());
    assert!(t.lookup(&os("fedora", "40")).is_none());
    // Derivatives are not matched through ID_LIKE.
    let mut mint = os("linuxmint", "21.3");
    mint.id_like = vec!["ubuntu".into(), "debian".into()];
    assert!(t.lookup(&mint).is_none());
    // No VERSION_ID (Debian testing) is not in the table.
    let mut testing = os("debian", "x");
    testing.version_id = None;
    assert!(t.lookup(&testing).is_none());
}

#[test]
fn windows_client_and_server_share_a_build_but_not_a_release() {
    let t = table();
    let mut w = os("windows", "10.0.26100.2033");
    w.edition = Some("Professional".into());
    assert_eq!(t.lookup(&w).unwrap().name, "Windows 11 version 24H2");
    w.edition = Some("ServerStandard".into());
    assert_eq!(t.lookup(&w).unwrap().name, "Windows Server 2025");
    assert_eq!(
        t.lookup(&os("windows-server", "10.0.26100")).unwrap().name,
        "Windows Server 2025"
    );
}

#[test]
fn editions_have_their_own_dates() {
    let t = table();
    let r = t.lookup(&os("windows", "10.0.22631")).unwrap();
    let home = r.terms(Some("Core"));
    assert_eq!(home.edition, None);
    assert_eq!(home.security_until, date!(2025 - 11 - 11));
    let ent = r.terms(Some("enterprise"));
    assert_eq!(ent.edition, Some("Enterprise"));
    assert_eq!(ent.security_until, date!(2026 - 11 - 10));
    assert_eq!(r.terms(None).security_until, home.security_until);
    let ltsc = t.lookup(&os("windows", "10.0.19044")).unwrap();
    let terms = ltsc.terms(Some("EnterpriseS"));
    assert_eq!(terms.name, "Windows 10 Enterprise LTSC 2021");
    assert_eq!(terms.security_until, date!(2027 - 01 - 12));
}

#[test]
fn extensions_count_only_with_enrolment() {
    let t = table();
    let mut bionic = os("ubuntu", "18.04");
    let r = t.lookup(&bionic).unwrap();
    let terms = r.terms(None);
    assert_eq!(terms.supported_until(&bionic), date!(2023 - 05 - 31));
    bionic.extended_support = vec!["freexian-elts".into()];
    assert_eq!(terms.supported_until(&bionic), date!(2023 - 05 - 31));
    bionic.extended_support = vec!["ubuntu-pro-esm".into()];
    assert_eq!(terms.supported_until(&bionic), date!(2028 - 04 - 30));
    assert_eq!(
        terms.enrolled_extension(&bionic).unwrap().kind,
        Extension::UbuntuProEsm
    );
    for e in Extension::ALL {
        assert_eq!(Extension::from_name(e.name()), Some(e));
    }
}

#[test]
fn data_source_records_version_date_and_hash() {
    let t = table();
    let ds = t.data_source("/etc/trustwatch/lifecycle.toml");
    assert_eq!(ds.kind, "lifecycle");
    assert_eq!(ds.path, "/etc/trustwatch/lifecycle.toml");
    assert_eq!(ds.version.as_deref(), Some("2026.11.1"));
    assert_eq!(ds.date.as_deref(), Some("2026-11-22"));
    assert_eq!(ds.records, Some(t.releases.len() as u64));
    assert_eq!(ds.sha256.as_deref(), Some(t.sha256()));
}

const SMALL: &str = r#"version = "t1"
published = 2026-01-01

[[release]]
os = "debian"
version = "12"
name = "Debian 12"
released = 2023-06-10
security_until = 2028-06-30

[[release]]
os = "ubuntu"
version = "22.04"
name = "Ubuntu 22.04"
released = 2022-04-21
security_until = 2027-06-30
extended = "Ubuntu Pro ESM"
extended_until = 2032-04-30
"#;

fn error_of(text: &str) -> (usize, String, String) {
    match Lifecycle::from_toml(text, "my-table.toml").unwrap_err() {
        LifecycleError::Invalid {
            file,
            line,
            key,
            message,
        } => {
            assert_eq!(file, "my-table.toml");
            (line, key, message)
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn a_small_table_parses_and_other_os_match_by_prefix() {
    let text = format!(
        "{SMALL}\n[[release]]\nos = \"ol\"\nversion = \"8\"\nname = \"Oracle Linux 8\"\nreleased = 2019-07-18\nsecurity_until = 2029-07-31\n"
    );
    let t = Lifecycle::from_toml(&text, "my-table.toml").unwrap();
    assert_eq!(t.releases.len(), 3);
    assert_eq!(t.lookup(&os("ol", "8.9")).unwrap().name, "Oracle Linux 8");
    assert!(t.lookup(&os("ol", "80")).is_none());
    assert_eq!(t.source(), "my-table.toml");
}

#[test]
fn dates_out_of_order_name_file_line_and_key() {
    let text = SMALL.replace("security_until = 2028-06-30", "security_until = 2020-01-01");
    let (line, key, message) = error_of(&text);
    assert_eq!(line, 9);
    assert_eq!(key, "release[0].security_until");
    assert!(message.contains("not after the release date"), "{message}");
    let text = SMALL.replace("extended_until = 2032-04-30", "extended_until = 2027-01-01");
    let (line, key, _) = error_of(&text);
    assert_eq!((line, key.as_str()), (18, "release[1].extended_until"));
}

#[test]
fn duplicates_and_bad_keys_are_refused() {
    let text = SMALL
        .replace("version = \"22.04\"", "version = \"12\"")
        .replace("os = \"ubuntu\"", "os = \"debian\"");
    let (line, key, message) = error_of(&text);
    assert_eq!((line, key.as_str()), (13, "release[1].version"));
    assert!(
        message.contains("listed twice") && message.contains("line 5"),
        "{message}"
    );

    let (line, key, _) = error_of(&SMALL.replace("version = \"22.04\"", "version = \"22\""));
    assert_eq!((line, key.as_str()), (13, "release[1].version"));

    let (_, key, message) = error_of(&SMALL.replace("Ubuntu Pro ESM", "Ubuntu Advantage"));
    assert_eq!(key, "release[1].extended");
    assert!(message.contains("Ubuntu Pro ESM"), "{message}");

    let (_, key, _) = error_of(&SMALL.replace("extended_until = 2032-04-30\n", ""));
    assert_eq!(key, "release[1].extended_until");

    let (line, key, message) =
        error_of(&SMALL.replace("released = 2023-06-10", "released = 2023-06-10T00:00:00Z"));
    assert_eq!((line, key.as_str()), (8, "release[0].released"));
    assert!(message.contains("must be a date"), "{message}");

    let (line, key, _) = error_of(&SMALL.replace(
        "name = \"Debian 12\"",
        "name = \"Debian 12\"\ncodename = \"bookworm\"",
    ));
    assert_eq!((line, key.as_str()), (8, "release[0].codename"));

    let (_, key, _) = error_of(&SMALL.replace("os = \"debian\"", "os = \"Debian\""));
    assert_eq!(key, "release[0].os");

    let (_, key, _) = error_of(&SMALL.replace("published = 2026-01-01\n", ""));
    assert_eq!(key, "published");
}

#[test]
fn edition_rules_are_checked() {
    let text = format!(
        "{SMALL}\n[[release.edition]]\neditions = [\"Pro\"]\nsecurity_until = 2030-01-01\n\n[[release.edition]]\neditions = [\"pro\"]\nsecurity_until = 2031-01-01\n"
    );
    let (line, key, message) = error_of(&text);
    assert_eq!(key, "release[1].edition[1].editions");
    assert_eq!(line, 25);
    assert!(message.contains("already listed"), "{message}");
    // An edition that outlives the inherited extension is refused.
    let text = format!(
        "{SMALL}\n[[release.edition]]\neditions = [\"Pro\"]\nsecurity_until = 2033-01-01\n"
    );
    let (_, key, _) = error_of(&text);
    assert_eq!(key, "release[1].edition[0].extended_until");
}

#[test]
fn load_names_a_missing_file() {
    let err = Lifecycle::load(Path::new("/nonexistent/lifecycle.toml")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("/nonexistent/lifecycle.toml: cannot be read"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.toml");
    std::fs::write(&path, SMALL).unwrap();
    let t = Lifecycle::load(&path).unwrap();
    assert_eq!(t.source(), path.display().to_string());
    assert_eq!(t.version, "t1");
}
