use time::macros::datetime;
use trustwatch_rules::{BaselineRef, Evidence, Finding, Report, Severity, Status, SCHEMA_VERSION};

use super::*;

const UID: &str = "0123456789abcdef0123456789abcdef";

fn finding(rule: &str, target: &str, status: Status, severity: Severity) -> Finding {
    Finding {
        rule_id: rule.into(),
        title: rule.into(),
        severity,
        status,
        target: target.into(),
        summary: String::new(),
        evidence: Evidence::new(),
        controls: vec![],
        remediation: String::new(),
    }
}

fn incoming(agent: Option<&str>, uid: Option<&str>, sequence: Option<u64>) -> IncomingReport {
    let report = Report {
        schema_version: SCHEMA_VERSION,
        scanned_at: datetime!(2026-01-01 00:00 UTC),
        baseline: BaselineRef {
            id: "b".into(),
            version: "1".into(),
        },
        tool: None,
        vantage: None,
        findings: vec![
            finding("R2", "y", Status::Fail, Severity::Critical),
            finding("R1", "x", Status::Fail, Severity::High),
            finding("R1", "y", Status::Pass, Severity::High),
            finding("R3", "y", Status::Error, Severity::Low),
            finding("R4", "y", Status::NotApplicable, Severity::Low),
            finding("R5", "y", Status::Fail, Severity::Info),
            // The same rule and target again: the last one listed wins.
            finding("R1", "x", Status::Fail, Severity::Medium),
        ],
        services: vec![],
        data_sources: vec![],
        agent: agent.map(str::to_owned),
        report_id: uid.map(str::to_owned),
        sequence,
    };
    IncomingReport {
        agent: AgentIdentity {
            name: "a1".into(),
            site: "s".into(),
            cert_fingerprint: "fp".into(),
        },
        // Before the scan: the observation is dated on arrival.
        received_at: datetime!(2025-12-31 23:00 UTC),
        body: serde_json::to_string(&report).unwrap(),
        report,
    }
}

#[test]
fn a_stamped_report_is_flattened_deduplicated_and_summarised() {
    let p = prepare(incoming(Some("a1"), Some(UID), Some(7))).unwrap();
    assert_eq!((p.report_uid.as_str(), p.sequence), (UID, 7));
    assert_eq!(p.reported, 7);
    let keys: Vec<(&str, &str)> = p
        .rows
        .iter()
        .map(|r| (r.target.as_str(), r.rule_id.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("x", "R1"),
            ("y", "R1"),
            ("y", "R2"),
            ("y", "R3"),
            ("y", "R4"),
            ("y", "R5")
        ]
    );
    assert_eq!(p.rows[0].severity, Severity::Medium);
    assert_eq!(
        p.summary,
        Summary {
            targets: 2,
            pass: 1,
            fail: 3,
            error: 1,
            not_applicable: 1,
            fail_critical: 1,
            fail_high: 0,
            fail_medium: 1,
            fail_low: 0,
        }
    );
    let received = datetime!(2025-12-31 23:00 UTC).unix_timestamp();
    assert_eq!((p.observed, p.received), (received, received));
    assert_eq!(p.scanned, datetime!(2026-01-01 00:00 UTC).unix_timestamp());
    assert_eq!(p.body_sha256.len(), 64);
}

#[test]
fn missing_or_malformed_stamps_and_another_agents_name_are_refused() {
    let cases = [
        (incoming(None, Some(UID), Some(1)), "malformed", "`agent`"),
        (
            incoming(Some("a1"), None, Some(1)),
            "malformed",
            "`report_id`",
        ),
        (
            incoming(Some("a1"), Some(UID), None),
            "malformed",
            "`sequence`",
        ),
        (
            incoming(Some("a1"), Some(&UID.to_uppercase()), Some(1)),
            "malformed",
            "32 lowercase",
        ),
        (
            incoming(Some("a1"), Some("0123"), Some(1)),
            "malformed",
            "32 lowercase",
        ),
        (
            incoming(Some("a1"), Some(UID), Some(0)),
            "malformed",
            "sequence 0",
        ),
        (
            incoming(Some("a1"), Some(UID), Some(u64::MAX)),
            "malformed",
            "outside",
        ),
        (
            incoming(Some("a2"), Some(UID), Some(1)),
            "identity_mismatch",
            "agent `a2`",
        ),
    ];
    for (input, reason, words) in cases {
        let refusal = prepare(input).unwrap_err();
        assert_eq!(refusal.reason(), reason, "{refusal}");
        let m = refusal.to_string();
        assert!(m.contains(words), "{words}: {m}");
        assert_eq!(m.lines().count(), 1);
    }
}

fn state(revoked: bool, last_sequence: i64) -> AgentState {
    AgentState {
        revoked,
        last_sequence,
    }
}

#[test]
fn decisions_follow_revocation_then_report_id_then_sequence() {
    let p = prepare(incoming(Some("a1"), Some(UID), Some(5))).unwrap();
    let same = Earlier {
        report_id: 42,
        body_sha256: &p.body_sha256,
    };
    let other = Earlier {
        report_id: 42,
        body_sha256: "0000",
    };
    assert_eq!(
        decide(&p, state(false, 4), None),
        Decision::Store { gap: None }
    );
    assert_eq!(
        decide(&p, state(false, 0), None),
        Decision::Store {
            gap: Some(SequenceGap {
                first_missing: 1,
                last_missing: 4
            })
        }
    );
    assert_eq!(
        decide(&p, state(false, 2), None),
        Decision::Store {
            gap: Some(SequenceGap {
                first_missing: 3,
                last_missing: 4
            })
        }
    );
    // An exact retry is a duplicate even after later reports.
    assert_eq!(
        decide(&p, state(false, 9), Some(same)),
        Decision::Duplicate { report_id: 42 }
    );
    assert!(matches!(
        decide(&p, state(false, 9), Some(other)),
        Decision::Refuse(Refusal::ReportIdReused { .. })
    ));
    assert_eq!(
        decide(&p, state(false, 5), None),
        Decision::Refuse(Refusal::StaleSequence {
            sequence: 5,
            last: 5
        })
    );
    assert!(matches!(
        decide(&p, state(false, 9), None),
        Decision::Refuse(Refusal::StaleSequence { .. })
    ));
    // Revocation wins over everything, retries included.
    for earlier in [None, Some(same)] {
        assert!(matches!(
            decide(&p, state(true, 0), earlier),
            Decision::Refuse(Refusal::Revoked { .. })
        ));
    }
    assert_eq!(
        SequenceGap {
            first_missing: 3,
            last_missing: 4
        }
        .missing(),
        2
    );
}
