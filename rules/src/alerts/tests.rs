use super::*;

const TEXT: &str = "\u{feff}# NHS England high-severity alerts\n\
CVE-2024-3400  CC-4485\n\
\n\
cve-2023-4966\tCC-4395 Citrix Bleed   # reviewed\n\
CVE-2024-3400 CC-4490\n\
CVE-2024-34OO oops\n\
   # indented comment\n\
CVE-2021-44228 ticket#12\n\
not-a-cve\n";

#[test]
fn text_lists_keep_good_lines_and_name_bad_ones() {
    let list = AlertList::from_text(TEXT, "alerts.txt").unwrap();
    assert_eq!(list.format(), AlertFormat::Text);
    let cves: Vec<&str> = list.entries().iter().map(|e| e.cve.as_str()).collect();
    assert_eq!(cves, ["CVE-2024-3400", "CVE-2023-4966", "CVE-2021-44228"]);
    assert_eq!(
        list.get("cve-2024-3400").unwrap().reference.as_deref(),
        Some("CC-4485; CC-4490")
    );
    assert_eq!(
        list.get("CVE-2023-4966").unwrap().reference.as_deref(),
        Some("CC-4395 Citrix Bleed")
    );
    assert_eq!(
        list.get("CVE-2021-44228").unwrap().reference.as_deref(),
        Some("ticket#12")
    );
    assert!(list.get("CVE-2024-0001").is_none());
    assert_eq!(
        list.problems(),
        [
            "alerts.txt line 6: `CVE-2024-34OO` is not a CVE id (expected CVE-YYYY-NNNN); the line was skipped",
            "alerts.txt line 9: `not-a-cve` is not a CVE id (expected CVE-YYYY-NNNN); the line was skipped",
        ]
    );
    let ds = list.data_source();
    assert_eq!(ds.kind, "alerts");
    assert_eq!(ds.path, "alerts.txt");
    assert_eq!(ds.records, Some(3));
    assert_eq!(ds.version, None);
    assert_eq!(ds.sha256.as_deref().map(str::len), Some(64));
}

#[test]
fn an_empty_list_is_a_list() {
    let list = AlertList::from_text("# nothing yet\n\n", "a.txt").unwrap();
    assert!(list.entries().is_empty());
    assert!(list.problems().is_empty());
}

const KEV: &str = r#"{
  "title": "CISA Catalog of Known Exploited Vulnerabilities",
  "catalogVersion": "2026.11.20",
  "dateReleased": "2026-11-20T17:00:00.000Z",
  "count": 4,
  "vulnerabilities": [
    {"cveID": "CVE-2024-3400", "vendorProject": "Palo Alto Networks", "product": "PAN-OS",
     "vulnerabilityName": "Palo Alto Networks PAN-OS Command Injection Vulnerability",
     "dateAdded": "2024-04-12", "dueDate": "2024-04-19"},
    {"cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2", "dateAdded": "2021-12-10"},
    {"vendorProject": "Nobody"},
    {"cveID": "KEV-1"}
  ]
}"#;

#[test]
fn kev_catalogues_are_told_by_content() {
    let list = AlertList::from_text(KEV, "known_exploited_vulnerabilities.json").unwrap();
    assert_eq!(list.format(), AlertFormat::Kev);
    assert_eq!(list.version(), Some("2026.11.20"));
    assert_eq!(list.date(), Some("2026-11-20T17:00:00.000Z"));
    assert_eq!(list.entries().len(), 2);
    assert_eq!(
        list.get("CVE-2024-3400").unwrap().reference.as_deref(),
        Some("CISA KEV, added 2024-04-12: Palo Alto Networks PAN-OS")
    );
    assert_eq!(list.problems().len(), 2);
    assert!(list.problems()[0].contains("vulnerabilities[2]: has no cveID"));
    assert!(list.problems()[1].contains("vulnerabilities[3]: `KEV-1` is not a CVE id"));
    let ds = list.data_source();
    assert_eq!(ds.version.as_deref(), Some("2026.11.20"));
    assert_eq!(ds.date.as_deref(), Some("2026-11-20T17:00:00.000Z"));
    assert_eq!(ds.records, Some(2));
}

#[test]
fn unusable_json_is_an_error_naming_the_file() {
    let err =
        AlertList::from_text("{\n  \"vulnerabilities\": [\n  oops\n]}", "kev.json").unwrap_err();
    assert!(matches!(err, AlertError::Json { line: 3, .. }), "{err}");
    assert!(err
        .to_string()
        .starts_with("kev.json line 3: is not valid JSON"));
    let err = AlertList::from_text("{\"data\": []}", "kev.json").unwrap_err();
    assert_eq!(
        err.to_string(),
        "kev.json: is not a CISA KEV catalogue: it has no `vulnerabilities` array"
    );
}

#[test]
fn cve_ids_are_checked() {
    assert_eq!(
        normalise_cve(" cve-2024-3400 ").as_deref(),
        Some("CVE-2024-3400")
    );
    assert_eq!(
        normalise_cve("CVE-2024-123456").as_deref(),
        Some("CVE-2024-123456")
    );
    assert_eq!(normalise_cve("CVE-2024-123"), None);
    assert_eq!(normalise_cve("CVE-24-1234"), None);
    assert_eq!(normalise_cve("GHSA-xxxx"), None);
}

#[test]
fn load_reads_a_file_and_names_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alerts.txt");
    std::fs::write(&path, "CVE-2024-3400 CC-4485\n").unwrap();
    let list = AlertList::load(&path).unwrap();
    assert_eq!(list.source(), path.display().to_string());
    assert_eq!(list.entries().len(), 1);
    let err = AlertList::load(&dir.path().join("none.txt")).unwrap_err();
    assert!(
        err.to_string().contains("none.txt: cannot be read"),
        "{err}"
    );
}
