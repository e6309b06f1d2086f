//! The embedded catalogue is the whole of baseline.md, and broken baseline
//! files are rejected with one sentence naming file, line and key.

use std::fs;
use std::path::{Path, PathBuf};

use trustwatch_rules::{Catalogue, CatalogueError, Severity};

/// Every rule id of baseline.md §2.2–§2.9, in catalogue order.
const EXPECTED_IDS: &[&str] = &[
    "TLS-001",
    "TLS-002",
    "TLS-003",
    "TLS-004",
    "TLS-005",
    "TLS-006",
    "TLS-007",
    "TLS-008",
    "CERT-001",
    "CERT-002",
    "CERT-003",
    "CERT-004",
    "CERT-005",
    "CERT-006",
    "HTTP-001",
    "HTTP-002",
    "HTTP-003",
    "HTTP-004",
    "HTTP-005",
    "HTTP-006",
    "HTTP-007",
    "SVC-001",
    "SVC-002",
    "SVC-003",
    "SVC-004",
    "SVC-005",
    "SVC-006",
    "SVC-007",
    "SVC-008",
    "SVC-009",
    "SVC-010",
    "SNMP-001",
    "SNMP-002",
    "SMB-001",
    "SMB-002",
    "SMB-003",
    "RDP-001",
    "RDP-002",
    "SSH-001",
    "SSH-002",
    "SSH-003",
    "SSH-004",
    "MAIL-001",
    "MAIL-002",
    "MAIL-003",
    "MAIL-004",
    "MAIL-005",
    "MAIL-006",
    "MAIL-007",
    "MAIL-008",
    "MAIL-009",
    "MAIL-010",
    "MAIL-011",
    "MAIL-012",
    "MAIL-013",
    "DNS-001",
    "DNS-002",
    "DNS-003",
    "DNS-004",
    "DNS-005",
    "OS-001",
    "OS-002",
    "PATCH-001",
    "PATCH-002",
    "PATCH-003",
    "PATCH-004",
    "PATCH-005",
    "PATCH-006",
    "HOST-001",
    "HOST-002",
    "HOST-003",
    "HOST-004",
    "HOST-005",
    "HOST-006",
    "HOST-007",
    "HOST-008",
    "HOST-009",
    "HOST-010",
    "HOST-011",
    "HOST-012",
];

fn baseline_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline")
}

#[test]
fn embedded_catalogue_holds_all_80_rules_of_the_baseline() {
    let cat = Catalogue::embedded().expect("embedded catalogue is valid");
    let ids: Vec<&str> = cat.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), 80);
    assert_eq!(ids, EXPECTED_IDS);
    for rule in cat.rules() {
        assert!(
            !rule.rationale.trim().is_empty(),
            "{} has no rationale",
            rule.id
        );
        assert!(
            !rule.remediation.trim().is_empty(),
            "{} has no remediation",
            rule.id
        );
        assert!(!rule.controls.is_empty(), "{} maps no control", rule.id);
    }
}

#[test]
fn embedded_catalogue_equals_the_folder_on_disk() {
    let embedded = Catalogue::embedded().unwrap();
    let on_disk = Catalogue::load_dir(&baseline_dir()).unwrap();
    assert_eq!(embedded.rules(), on_disk.rules());
    assert_eq!(embedded.baseline(), on_disk.baseline());
    // Every .toml in the folder is either the metadata or a listed rule file.
    for entry in fs::read_dir(baseline_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            name == "baseline.toml" || embedded.baseline().files.contains(&name),
            "{name} is in rules/baseline but not listed in baseline.toml"
        );
    }
}

#[test]
fn catalogue_severities_match_baseline_md() {
    let cat = Catalogue::embedded().unwrap();
    let sev = |id: &str| cat.rule(id).unwrap().severity;
    assert_eq!(sev("TLS-001"), Severity::Critical);
    assert_eq!(sev("TLS-003"), Severity::High);
    assert_eq!(sev("TLS-004"), Severity::Low);
    assert_eq!(sev("CERT-001"), Severity::Critical);
    assert_eq!(sev("CERT-002"), Severity::Medium);
    assert_eq!(sev("CERT-006"), Severity::Low);
    assert_eq!(sev("SVC-001"), Severity::Critical);
    assert_eq!(
        cat.rule("SVC-001").unwrap().internal_severity,
        Severity::High
    );
    // Internal-only rules keep their one severity; external ones drop a level.
    assert_eq!(
        cat.rule("SMB-001").unwrap().internal_severity,
        Severity::Critical
    );
    assert_eq!(
        cat.rule("TLS-003").unwrap().internal_severity,
        Severity::Medium
    );
    assert_eq!(sev("MAIL-004"), Severity::High);
    assert_eq!(sev("HOST-012"), Severity::Low);
    assert!(cat
        .rule("PATCH-001")
        .unwrap()
        .controls
        .iter()
        .any(|c| c == "CE:SUM-14d"));
}

/// Copies the real baseline into a temp folder and replaces one file.
fn broken(file: &str, edit: impl FnOnce(String) -> String) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(baseline_dir()).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), tmp.path().join(entry.file_name())).unwrap();
    }
    let path = tmp.path().join(file);
    let text = edit(fs::read_to_string(&path).unwrap());
    fs::write(&path, text).unwrap();
    let err = Catalogue::load_dir(tmp.path()).unwrap_err();
    let msg = err.to_string();
    (tmp, msg)
}

fn line_containing(dir: &Path, file: &str, needle: &str) -> usize {
    let text = fs::read_to_string(dir.join(file)).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn unknown_key_is_named_with_file_and_line() {
    let (tmp, msg) = broken("tls.toml", |t| {
        t.replacen("title =", "colour = \"red\"\ntitle =", 1)
    });
    let line = line_containing(tmp.path(), "tls.toml", "colour");
    assert!(msg.contains("tls.toml"), "{msg}");
    assert!(msg.contains(&format!("line {line}")), "{msg}");
    assert!(msg.contains("`rule[0].colour`"), "{msg}");
    assert!(!msg.contains('\n'), "one sentence: {msg}");
}

#[test]
fn unknown_severity_is_named_with_file_line_and_key() {
    let (tmp, msg) = broken("cert.toml", |t| {
        t.replacen("severity = \"critical\"", "severity = \"severe\"", 1)
    });
    let line = line_containing(tmp.path(), "cert.toml", "\"severe\"");
    assert!(msg.contains("cert.toml"), "{msg}");
    assert!(msg.contains(&format!("line {line}")), "{msg}");
    assert!(msg.contains("`rule[0].severity`"), "{msg}");
    assert!(msg.contains("severe"), "{msg}");
}

#[test]
fn duplicate_id_names_both_places() {
    let (tmp, msg) = broken("ssh.toml", |t| t.replacen("\"SSH-002\"", "\"SSH-001\"", 1));
    let second = fs::read_to_string(tmp.path().join("ssh.toml")).unwrap();
    assert_eq!(second.matches("\"SSH-001\"").count(), 2);
    assert!(matches!(
        Catalogue::load_dir(tmp.path()),
        Err(CatalogueError::DuplicateId { .. })
    ));
    assert!(msg.contains("ssh.toml"), "{msg}");
    assert!(msg.contains("SSH-001 is defined twice"), "{msg}");
    assert!(msg.contains("`id`"), "{msg}");
}

#[test]
fn unknown_control_is_rejected() {
    let (_tmp, msg) = broken("dns.toml", |t| {
        t.replacen("controls = [", "controls = [\"ISO:27001\", ", 1)
    });
    assert!(msg.contains("dns.toml"), "{msg}");
    assert!(msg.contains("`controls`"), "{msg}");
    assert!(msg.contains("ISO:27001"), "{msg}");
}

#[test]
fn rule_in_the_wrong_file_is_rejected() {
    let (_tmp, msg) = broken("rdp.toml", |t| t.replacen("\"RDP-002\"", "\"SMB-009\"", 1));
    assert!(msg.contains("rdp.toml"), "{msg}");
    assert!(msg.contains("smb.toml"), "{msg}");
}

#[test]
fn malformed_toml_is_named_with_file_and_line() {
    let (_tmp, msg) = broken("host.toml", |t| {
        format!("{t}\n[[rule]\nid = \"HOST-099\"\n")
    });
    assert!(msg.contains("host.toml"), "{msg}");
    assert!(msg.contains("line "), "{msg}");
}

#[test]
fn missing_rule_file_names_the_file() {
    let (_tmp, msg) = broken("baseline.toml", |t| {
        t.replace("\"tls.toml\"", "\"tlsx.toml\"")
    });
    assert!(msg.contains("tlsx.toml"), "{msg}");
}
