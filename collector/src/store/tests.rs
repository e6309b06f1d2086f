use serde_json::json;
use time::macros::datetime;
use time::OffsetDateTime;
use trustwatch_rules::{BaselineRef, Evidence, Finding, Report, Severity, Status, SCHEMA_VERSION};

use super::*;
use crate::identity::AgentIdentity;

fn agent(name: &str, site: &str) -> AgentIdentity {
    AgentIdentity {
        name: name.into(),
        site: site.into(),
        cert_fingerprint: format!("fp-{name}"),
    }
}

fn finding(rule: &str, target: &str, status: Status, evidence: Evidence) -> Finding {
    Finding {
        rule_id: rule.into(),
        title: format!("title of {rule}"),
        severity: Severity::High,
        status,
        target: target.into(),
        summary: format!("{rule} is {status}"),
        evidence,
        controls: vec!["CAF:B4.d".into(), "NCSC-TLS".into()],
        remediation: "fix it".into(),
    }
}

/// A stamped report. Ids and sequences come from one counter for the
/// whole test binary: unique, and rising for every agent.
fn incoming(
    who: &AgentIdentity,
    scanned_at: OffsetDateTime,
    findings: Vec<Finding>,
) -> IncomingReport {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let report = Report {
        schema_version: SCHEMA_VERSION,
        scanned_at,
        baseline: BaselineRef {
            id: "trustwatch-nhs-baseline".into(),
            version: "1".into(),
        },
        tool: None,
        vantage: Some("host-1".into()),
        findings,
        services: Vec::new(),
        data_sources: Vec::new(),
        agent: Some(who.name.clone()),
        report_id: Some(format!("{n:032x}")),
        sequence: Some(n),
    };
    IncomingReport {
        agent: who.clone(),
        received_at: OffsetDateTime::now_utc(),
        body: serde_json::to_string(&report).unwrap(),
        report,
    }
}

fn open() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open_in(tmp.path()).unwrap();
    (tmp, store)
}

#[tokio::test]
async fn report_round_trips_with_typed_rows() {
    let (_tmp, store) = open();
    let a = agent("a1", "site-a");
    let ev = Evidence::new()
        .with("not_after", "2030-01-02T03:04:05Z")
        .with("chain", json!(["x"]));
    let stored = store
        .ingest(incoming(
            &a,
            datetime!(2026-01-01 10:00 UTC),
            vec![
                finding("CERT-001", "h:443", Status::Pass, ev.clone()),
                finding("TLS-002", "h:443", Status::Fail, Evidence::new()),
            ],
        ))
        .await
        .unwrap();
    assert_eq!((stored.findings, stored.duplicate), (2, false));

    let rows = store.findings(FindingFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 2);
    // By (agent, target, rule): the primary key the API pages on.
    assert_eq!(rows[1].rule_id, "TLS-002");
    assert_eq!(rows[1].status, Status::Fail);
    let cert = &rows[0];
    assert_eq!(
        (
            cert.agent.as_str(),
            cert.site.as_str(),
            cert.target.as_str()
        ),
        ("a1", "site-a", "h:443")
    );
    assert_eq!(cert.severity, Severity::High);
    assert_eq!(cert.evidence, serde_json::to_value(&ev).unwrap());
    assert_eq!(cert.controls, ["CAF:B4.d", "NCSC-TLS"]);
    assert_eq!(cert.first_seen, datetime!(2026-01-01 10:00 UTC));
    assert_eq!(cert.report_id, Some(stored.report_id));

    let agents = store.agents().await.unwrap();
    assert_eq!(agents.len(), 1);
    assert_eq!(
        (
            agents[0].name.as_str(),
            agents[0].cert_fingerprint.as_str(),
            agents[0].reports
        ),
        ("a1", "fp-a1", 1)
    );

    // The body is kept verbatim with its hash.
    let conn = rusqlite::Connection::open(store.location()).unwrap();
    let (body, sha): (String, String) = conn
        .query_row("SELECT body, body_sha256 FROM reports", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        sha,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body.as_bytes()))
    );
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, sqlite::schema::CURRENT);
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn upsert_keeps_first_seen_tracks_changes_and_ignores_older_reports() {
    let (_tmp, store) = open();
    let a = agent("a1", "s");
    let t0 = datetime!(2026-01-01 00:00 UTC);
    let t1 = datetime!(2026-01-02 00:00 UTC);
    let t2 = datetime!(2026-01-03 00:00 UTC);
    let f = |status| vec![finding("TLS-002", "h:443", status, Evidence::new())];
    store
        .ingest(incoming(&a, t0, f(Status::Fail)))
        .await
        .unwrap();
    store
        .ingest(incoming(&a, t1, f(Status::Fail)))
        .await
        .unwrap();
    let row = &store.findings(FindingFilter::default()).await.unwrap()[0];
    assert_eq!(
        (row.first_seen, row.last_seen, row.last_changed),
        (t0, t1, t0)
    );

    let latest = store
        .ingest(incoming(&a, t2, f(Status::Pass)))
        .await
        .unwrap();
    let row = &store.findings(FindingFilter::default()).await.unwrap()[0];
    assert_eq!(
        (row.status, row.first_seen, row.last_seen, row.last_changed),
        (Status::Pass, t0, t2, t2)
    );
    assert_eq!(row.report_id, Some(latest.report_id));

    // A late upload of an older scan does not roll the finding back.
    let mut late = f(Status::Fail);
    late[0].summary = "late".into();
    store.ingest(incoming(&a, t1, late)).await.unwrap();
    let rows = store.findings(FindingFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].status, rows[0].last_seen), (Status::Pass, t2));

    // A scan dated in the future (agent clock ahead) is dated on arrival.
    let before = OffsetDateTime::now_utc().unix_timestamp();
    store
        .ingest(incoming(
            &a,
            datetime!(2100-01-01 00:00 UTC),
            f(Status::Fail),
        ))
        .await
        .unwrap();
    let row = &store.findings(FindingFilter::default()).await.unwrap()[0];
    assert_eq!(row.status, Status::Fail);
    assert!(
        row.last_seen.unix_timestamp() - before <= 5,
        "{}",
        row.last_seen
    );
}

#[tokio::test]
async fn a_report_replaces_the_rules_of_the_targets_it_covers_only() {
    let (_tmp, store) = open();
    let a = agent("a1", "s");
    let t0 = datetime!(2026-01-01 00:00 UTC);
    let t1 = datetime!(2026-01-02 00:00 UTC);
    store
        .ingest(incoming(
            &a,
            t0,
            vec![
                finding("TLS-001", "x:443", Status::Pass, Evidence::new()),
                finding("TLS-002", "x:443", Status::Fail, Evidence::new()),
                finding("TLS-002", "y:443", Status::Fail, Evidence::new()),
            ],
        ))
        .await
        .unwrap();
    store
        .ingest(incoming(
            &a,
            t1,
            vec![finding("TLS-001", "x:443", Status::Pass, Evidence::new())],
        ))
        .await
        .unwrap();
    let mut keys: Vec<(String, String)> = store
        .findings(FindingFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.target, r.rule_id))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            ("x:443".into(), "TLS-001".into()),
            ("y:443".into(), "TLS-002".into())
        ]
    );
}

#[tokio::test]
async fn agents_are_kept_apart_and_filters_apply() {
    let (_tmp, store) = open();
    let t = datetime!(2026-01-01 00:00 UTC);
    for (name, site) in [("a1", "north"), ("a2", "south")] {
        let mut low = finding("TLS-004", "h:443", Status::Fail, Evidence::new());
        low.severity = Severity::Low;
        store
            .ingest(incoming(
                &agent(name, site),
                t,
                vec![
                    finding("TLS-002", "h:443", Status::Fail, Evidence::new()),
                    low,
                    finding("TLS-001", "h:443", Status::Pass, Evidence::new()),
                ],
            ))
            .await
            .unwrap();
    }
    let q = |filter: FindingFilter| {
        let store = store.clone();
        async move { store.findings(filter).await.unwrap() }
    };
    assert_eq!(q(FindingFilter::default()).await.len(), 6);
    let north = q(FindingFilter {
        site: Some("north".into()),
        ..Default::default()
    })
    .await;
    assert!(north.len() == 3 && north.iter().all(|r| r.agent == "a1"));
    let fails = q(FindingFilter {
        status: Some(Status::Fail),
        ..Default::default()
    })
    .await;
    assert_eq!(fails.len(), 4);
    let low = q(FindingFilter {
        severity: Some(Severity::Low),
        ..Default::default()
    })
    .await;
    assert!(low.len() == 2 && low.iter().all(|r| r.rule_id == "TLS-004"));
    let rule = q(FindingFilter {
        rule_id: Some("TLS-001".into()),
        site: Some("south".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(rule.len(), 1);
    assert_eq!(
        q(FindingFilter {
            limit: Some(2),
            ..Default::default()
        })
        .await
        .len(),
        2
    );
}

#[tokio::test]
async fn the_same_body_twice_is_stored_once() {
    let (_tmp, store) = open();
    let report = incoming(
        &agent("a1", "s"),
        datetime!(2026-01-01 00:00 UTC),
        vec![finding("TLS-002", "h:443", Status::Fail, Evidence::new())],
    );
    let first = store.ingest(report.clone()).await.unwrap();
    let again = store.ingest(report).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.report_id, first.report_id);
    assert_eq!(store.agents().await.unwrap()[0].reports, 1);
}

mod aggregates;
mod counts;
mod ledger;
mod migrations;
mod writer;
