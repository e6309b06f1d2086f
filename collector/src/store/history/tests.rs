use time::OffsetDateTime;
use trustwatch_rules::{BaselineRef, Evidence, Finding, Report, Severity, Status, SCHEMA_VERSION};

use super::*;
use crate::identity::AgentIdentity;
use crate::store::ingest::prepare;
use crate::store::IncomingReport;

/// A report observed at `at` (unix seconds) with `(target, rule, status)`.
fn report(at: i64, findings: &[(&str, &str, Status)]) -> Prepared {
    let when = OffsetDateTime::from_unix_timestamp(at).unwrap();
    let report = Report {
        schema_version: SCHEMA_VERSION,
        scanned_at: when,
        baseline: BaselineRef {
            id: "b".into(),
            version: "1".into(),
        },
        tool: None,
        vantage: None,
        findings: findings
            .iter()
            .map(|(target, rule, status)| Finding {
                rule_id: (*rule).into(),
                title: (*rule).into(),
                severity: Severity::High,
                status: *status,
                target: (*target).into(),
                summary: String::new(),
                evidence: Evidence::new(),
                controls: vec![],
                remediation: String::new(),
            })
            .collect(),
        services: vec![],
        data_sources: vec![],
        agent: Some("a1".into()),
        report_id: Some("0123456789abcdef0123456789abcdef".into()),
        sequence: Some(1),
    };
    prepare(IncomingReport {
        agent: AgentIdentity {
            name: "a1".into(),
            site: "s".into(),
            cert_fingerprint: "fp".into(),
        },
        received_at: when,
        body: String::new(),
        report,
    })
    .unwrap()
}

fn current(target: &str, rule: &str, status: &str, seen: (i64, i64, i64)) -> CurrentRow {
    CurrentRow {
        site: "s".into(),
        target: target.into(),
        rule_id: rule.into(),
        status: status.into(),
        severity: "medium".into(),
        first_seen: seen.0,
        last_seen: seen.1,
        last_changed: seen.2,
        resolved_at: None,
    }
}

fn change<'a>(
    target: &'a str,
    rule: &'a str,
    from: Option<&'a str>,
    to: &'a str,
    at: i64,
) -> Change<'a> {
    Change {
        target,
        rule_id: rule,
        severity: if to == ABSENT { "medium" } else { "high" },
        from_status: from,
        to_status: to,
        at,
    }
}

#[test]
fn first_report_inserts_everything_as_new() {
    let p = report(100, &[("x", "R1", Status::Fail), ("x", "R2", Status::Pass)]);
    let plan = plan(&p, &[]);
    assert_eq!(
        plan.upserts,
        [
            Upsert {
                row: 0,
                first_seen: 100,
                last_changed: 100,
                resolved_at: None
            },
            Upsert {
                row: 1,
                first_seen: 100,
                last_changed: 100,
                resolved_at: None
            }
        ]
    );
    assert!(plan.deletes.is_empty());
    assert_eq!(
        plan.changes,
        [
            change("x", "R1", None, "fail", 100),
            change("x", "R2", None, "pass", 100)
        ]
    );
}

#[test]
fn unchanged_findings_keep_their_dates_and_write_no_history() {
    let p = report(200, &[("x", "R1", Status::Fail)]);
    let mut c = current("x", "R1", "fail", (100, 150, 120));
    c.resolved_at = Some(90);
    let cur = [c];
    let plan = plan(&p, &cur);
    assert_eq!(
        plan.upserts,
        [Upsert {
            row: 0,
            first_seen: 100,
            last_changed: 120,
            resolved_at: Some(90)
        }]
    );
    assert!(plan.changes.is_empty() && plan.deletes.is_empty());
}

#[test]
fn status_changes_move_last_changed_and_resolved_at() {
    let cases = [
        ("fail", Status::Pass, None, Some(200)),
        ("error", Status::Pass, None, Some(200)),
        ("pass", Status::Fail, Some(50), None),
        ("pass", Status::Error, Some(50), None),
        ("not_applicable", Status::Pass, Some(50), Some(50)),
        ("pass", Status::NotApplicable, Some(50), Some(50)),
        ("fail", Status::NotApplicable, None, None),
    ];
    for (from, to, before, after) in cases {
        let p = report(200, &[("x", "R1", to)]);
        let mut c = current("x", "R1", from, (100, 150, 100));
        c.resolved_at = before;
        let cur = [c];
        let plan = plan(&p, &cur);
        assert_eq!(
            plan.upserts,
            [Upsert {
                row: 0,
                first_seen: 100,
                last_changed: 200,
                resolved_at: after
            }],
            "{from} -> {to}"
        );
        assert_eq!(
            plan.changes,
            [change("x", "R1", Some(from), to.as_str(), 200)]
        );
    }
}

#[test]
fn rules_no_longer_reported_for_a_covered_target_become_absent() {
    let p = report(200, &[("x", "R1", Status::Pass)]);
    let cur = [
        current("x", "R1", "pass", (100, 100, 100)),
        current("x", "R9", "fail", (100, 100, 100)),
        // Another target the report does not cover: left alone.
        current("y", "R9", "fail", (100, 100, 100)),
    ];
    let plan = plan(&p, &cur);
    assert_eq!(plan.upserts.len(), 1);
    assert_eq!(plan.deletes, [("x", "R9")]);
    assert_eq!(plan.changes, [change("x", "R9", Some("fail"), ABSENT, 200)]);
}

#[test]
fn a_late_report_changes_nothing_for_targets_seen_since() {
    // x was covered at 300; the report is from 200. y was last seen at
    // 100, so the late report is still the newest news about y.
    let p = report(
        200,
        &[
            ("x", "R1", Status::Fail),
            ("x", "R7", Status::Fail),
            ("y", "R1", Status::Fail),
        ],
    );
    let cur = [
        current("x", "R1", "pass", (100, 300, 300)),
        current("x", "R2", "pass", (100, 300, 100)),
        current("y", "R1", "pass", (100, 100, 100)),
        current("y", "R2", "pass", (100, 100, 100)),
    ];
    let plan = plan(&p, &cur);
    // Only y's row (index 2 in sorted order) is written.
    assert_eq!(
        plan.upserts,
        [Upsert {
            row: 2,
            first_seen: 100,
            last_changed: 200,
            resolved_at: None
        }]
    );
    assert_eq!(plan.deletes, [("y", "R2")]);
    assert_eq!(
        plan.changes,
        [
            change("y", "R1", Some("pass"), "fail", 200),
            change("y", "R2", Some("pass"), ABSENT, 200)
        ]
    );
}

#[test]
fn a_report_at_the_same_second_as_the_stored_one_still_applies() {
    let p = report(100, &[("x", "R1", Status::Pass)]);
    let cur = [current("x", "R1", "fail", (100, 100, 100))];
    let plan = plan(&p, &cur);
    assert_eq!(plan.upserts[0].resolved_at, Some(100));
    assert_eq!(plan.changes.len(), 1);
}
