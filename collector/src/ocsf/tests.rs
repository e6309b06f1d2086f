use serde_json::json;
use time::macros::datetime;
use trustwatch_rules::{Severity, Status};

use super::*;
use crate::store::query::{ExceptionRef, FindingSource};

fn row(rule_id: &str, status: Status, severity: Severity) -> FindingRow {
    FindingRow {
        agent: "ward-7".into(),
        site: "rxy".into(),
        target: "10.0.0.5:443".into(),
        host: "10.0.0.5".into(),
        rule_id: rule_id.into(),
        title: "A rule".into(),
        severity,
        status,
        reported_status: status.as_str().into(),
        exception: None,
        summary: "what was seen".into(),
        evidence: json!({}),
        controls: vec!["CAF:B4.d".into(), "DSPT:9.2.3".into(), "CE:SC".into()],
        first_seen: datetime!(2026-01-01 00:00 UTC),
        last_seen: datetime!(2026-01-03 00:00 UTC),
        last_changed: datetime!(2026-01-02 00:00 UTC),
        resolved_at: None,
        report_id: Some(7),
        source: FindingSource::Report,
    }
}

fn at(activity: Activity) -> Occurrence {
    Occurrence {
        activity,
        at: datetime!(2026-01-03 12:00 UTC),
    }
}

#[test]
fn type_uid_is_class_times_100_plus_activity() {
    for (activity, id) in [
        (Activity::Create, 1),
        (Activity::Update, 2),
        (Activity::Close, 3),
    ] {
        let e = event(&row("TLS-001", Status::Fail, Severity::High), at(activity));
        assert_eq!(e["class_uid"], 2003);
        assert_eq!(e["category_uid"], 2);
        assert_eq!(e["activity_id"], id);
        assert_eq!(e["type_uid"], 200300 + id);
        assert_eq!(e["time"], 1_767_441_600_000_i64);
        assert_eq!(e["metadata"]["version"], OCSF_VERSION);
    }
}

#[test]
fn every_result_maps_to_a_compliance_status_and_severity() {
    let cases = [
        (Status::Pass, 1, "Pass", 1, 4),
        (Status::Fail, 3, "Fail", 4, 1),
        (Status::Error, 2, "Warning", 4, 1),
        (Status::NotApplicable, 99, "Not Applicable", 1, 4),
    ];
    for (status, cid, cname, sev, lifecycle) in cases {
        let e = event(
            &row("TLS-001", status, Severity::High),
            at(Activity::Update),
        );
        assert_eq!(e["compliance"]["status_id"], cid, "{status}");
        assert_eq!(e["compliance"]["status"], cname, "{status}");
        assert_eq!(e["severity_id"], sev, "{status}");
        assert_eq!(e["status_id"], lifecycle, "{status}");
    }
    let sevs = [
        (Severity::Info, 1),
        (Severity::Low, 2),
        (Severity::Medium, 3),
        (Severity::High, 4),
        (Severity::Critical, 5),
    ];
    for (s, id) in sevs {
        assert_eq!(severity_id(s, Status::Fail), id);
        assert_eq!(severity_id(s, Status::Pass), 1);
    }
}

#[test]
fn standards_come_from_the_controls_prefixes() {
    let e = event(
        &row("TLS-001", Status::Fail, Severity::High),
        at(Activity::Create),
    );
    assert_eq!(
        e["compliance"]["standards"],
        json!(["Cyber Essentials", "NCSC CAF", "NHS DSPT"])
    );
    assert_eq!(
        e["compliance"]["requirements"],
        json!(["CAF:B4.d", "DSPT:9.2.3", "CE:SC"])
    );
    assert_eq!(e["compliance"]["control"], "TLS-001");
    assert_eq!(e["device"]["ip"], "10.0.0.5");
}

#[test]
fn an_excepted_failure_is_suppressed_and_a_close_is_resolved() {
    let mut r = row("TLS-001", Status::Fail, Severity::High);
    r.exception = Some(ExceptionRef {
        id: 1,
        owner: "ciso".into(),
        expires: "2027-01-01".into(),
        compensating_control: "waf".into(),
    });
    assert_eq!(event(&r, at(Activity::Update))["status_id"], 3);
    assert_eq!(event(&r, at(Activity::Close))["status_id"], 4);
}

#[test]
fn the_uid_is_stable_per_agent_target_and_rule_only() {
    let a = row("TLS-001", Status::Fail, Severity::High);
    let mut b = a.clone();
    b.status = Status::Pass;
    b.title = "renamed".into();
    let uid = |r: &FindingRow, act| event(r, at(act))["finding_info"]["uid"].clone();
    assert_eq!(uid(&a, Activity::Create), uid(&b, Activity::Close));
    let mut c = a.clone();
    c.target = "10.0.0.5:8443".into();
    assert_ne!(uid(&a, Activity::Create), uid(&c, Activity::Create));
    // The separator keeps ("ab", "c") apart from ("a", "bc").
    assert_ne!(finding_uid("ab", "c", "R"), finding_uid("a", "bc", "R"));
}

#[test]
fn overdue_fixes_become_a_vulnerability_finding() {
    let mut r = row("PATCH-001", Status::Fail, Severity::High);
    r.evidence = json!({
        "overdue": [
            {"advisory": "DSA-5532-1", "cves": ["CVE-2023-5678", "CVE-2023-5363"],
             "ecosystem": "Debian:12", "package": "openssl", "installed": "3.0.9-1",
             "fixed": "3.0.11-1~deb12u2", "rating": "high"},
            {"advisory": "DSA-0001-1", "cves": [], "ecosystem": "Debian:12",
             "package": "zlib", "installed": "1.2", "fixed": null}
        ],
        "undated": []
    });
    let e = event(&r, at(Activity::Create));
    assert_eq!(e["class_uid"], 2002);
    assert_eq!(e["type_uid"], 200201);
    let v = e["vulnerabilities"].as_array().unwrap();
    assert_eq!(v.len(), 3);
    assert_eq!(v[0]["cve"]["uid"], "CVE-2023-5678");
    assert_eq!(v[0]["affected_packages"][0]["name"], "openssl");
    assert_eq!(v[0]["affected_packages"][0]["version"], "3.0.9-1");
    assert_eq!(
        v[0]["affected_packages"][0]["fixed_in_version"],
        "3.0.11-1~deb12u2"
    );
    assert_eq!(v[0]["is_fix_available"], true);
    assert_eq!(v[2]["cve"]["uid"], "DSA-0001-1");
    assert_eq!(v[2]["is_fix_available"], false);
    assert_eq!(e["severity_id"], 4);
    assert_eq!(sourcetype(2002), "ocsf:vulnerability_finding");
}

#[test]
fn a_patch_rule_without_listed_fixes_stays_a_compliance_finding() {
    let e = event(
        &row("PATCH-004", Status::Fail, Severity::Medium),
        at(Activity::Update),
    );
    assert_eq!(e["class_uid"], 2003);
}

#[test]
fn the_current_state_picks_its_activity() {
    let mut r = row("TLS-001", Status::Fail, Severity::High);
    r.last_changed = r.first_seen;
    assert_eq!(Occurrence::of_current(&r).activity, Activity::Create);
    r.last_changed = datetime!(2026-01-02 00:00 UTC);
    assert_eq!(Occurrence::of_current(&r).activity, Activity::Update);
    r.status = Status::Pass;
    r.resolved_at = Some(r.last_changed);
    assert_eq!(Occurrence::of_current(&r).activity, Activity::Close);
    assert_eq!(Occurrence::of_current(&r).at, r.last_seen);
}

#[test]
fn alert_listed_cves_become_vulnerabilities_too() {
    let mut r = row("PATCH-002", Status::Fail, Severity::Critical);
    r.evidence = json!({
        "present_cves": ["CVE-2024-3094"],
        "present": [
            {"cve": "CVE-2024-3094", "advisory": "DSA-5649-1", "ecosystem": "Debian:12",
             "package": "xz-utils", "installed": "5.6.0-0.2", "fixed": "5.6.1+really5.4.5-1"}
        ]
    });
    let e = event(&r, at(Activity::Create));
    assert_eq!(e["class_uid"], 2002);
    assert_eq!(e["severity_id"], 5);
    assert_eq!(e["vulnerabilities"][0]["cve"]["uid"], "CVE-2024-3094");
    assert_eq!(e["vulnerabilities"][0]["references"], json!(["DSA-5649-1"]));
}
