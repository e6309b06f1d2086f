//! The ingest contract, one function run on each backend.

use time::macros::datetime;
use time::OffsetDateTime;
use trustwatch_collector::store::{Refusal, SequenceGap};
use trustwatch_collector::{Error, Store};
use trustwatch_rules::Severity::{Critical, High};
use trustwatch_rules::Status::{Fail, Pass};

use crate::{postgres, report, sqlite, stamp, Db, Stamp};

#[tokio::test]
async fn ingest_semantics_on_sqlite() {
    let (_tmp, store, db) = sqlite();
    ingest_semantics(&store, &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_semantics_on_postgres() {
    let (store, db, _pg) = postgres("ingest_semantics").await;
    ingest_semantics(&store, &db).await;
}

fn refusal(result: trustwatch_collector::Result<impl std::fmt::Debug>) -> Refusal {
    match result {
        Err(Error::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn ingest_semantics(store: &Store, db: &Db) {
    let t0 = datetime!(2025-01-01 00:00 UTC);
    let t1 = datetime!(2025-01-02 00:00 UTC);
    let t2 = datetime!(2025-01-03 00:00 UTC);
    let t3 = datetime!(2025-01-04 00:00 UTC);
    let now = OffsetDateTime::now_utc;
    let secs = |t: OffsetDateTime| t.unix_timestamp();

    // 1: everything is new.
    let first = [
        ("x", "R1", Fail, High),
        ("x", "R2", Pass, High),
        ("x", "R3", Fail, High),
        ("y", "R1", Fail, Critical),
    ];
    let r1 = store
        .ingest(report(stamp("a1", 1), t0, now(), &first))
        .await
        .unwrap();
    assert_eq!(
        (r1.findings, r1.duplicate, r1.gap, r1.changes),
        (4, false, None, 4)
    );
    assert_eq!(
        db.query("SELECT targets, pass, fail, error, not_applicable, fail_critical, fail_high FROM scan_summaries"),
        "2|1|3|0|0|1|2"
    );

    // The same report again: the first receipt, stored once.
    let again = store
        .ingest(report(stamp("a1", 1), t0, now(), &first))
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!((again.report_id, again.findings), (r1.report_id, 4));
    // The same id, another body.
    let reused = store
        .ingest(report(
            Stamp {
                variant: 1,
                ..stamp("a1", 1)
            },
            t0,
            now(),
            &first,
        ))
        .await;
    assert!(matches!(refusal(reused), Refusal::ReportIdReused { .. }));
    assert_eq!(db.query("SELECT count(*) FROM reports"), "1");

    // 3 after 1: x:R1 is fixed, x:R3 no longer reported, x:R2 unchanged;
    // y is not covered and stays. Sequence 2 is recorded as missing.
    let r3 = store
        .ingest(report(
            stamp("a1", 3),
            t2,
            now(),
            &[("x", "R1", Pass, High), ("x", "R2", Pass, High)],
        ))
        .await
        .unwrap();
    assert_eq!(
        r3.gap,
        Some(SequenceGap {
            first_missing: 2,
            last_missing: 2
        })
    );
    assert_eq!(r3.changes, 2);
    assert_eq!(
        db.query("SELECT first_missing, last_missing, report_id FROM sequence_gaps"),
        format!("2|2|{}", r3.report_id)
    );
    let stale = store
        .ingest(report(stamp("a1", 2), t1, now(), &first))
        .await;
    assert_eq!(
        refusal(stale),
        Refusal::StaleSequence {
            sequence: 2,
            last: 3
        }
    );

    // 4, scanned before 3 but uploaded after: late for x (seen at t2),
    // news for y (last seen at t0).
    let r4 = store
        .ingest(report(
            stamp("a1", 4),
            t1,
            now(),
            &[
                ("x", "R1", Fail, High),
                ("x", "R3", Fail, High),
                ("y", "R1", Pass, Critical),
            ],
        ))
        .await
        .unwrap();
    assert_eq!((r4.duplicate, r4.changes), (false, 1));

    // 5: x:R1 fails again; x:R2 is gone.
    let r5 = store
        .ingest(report(
            stamp("a1", 5),
            t3,
            now(),
            &[("x", "R1", Fail, High)],
        ))
        .await
        .unwrap();
    assert_eq!(r5.changes, 2);

    let current = db.query(
        "SELECT target, rule_id, status, first_seen, last_seen, last_changed, \
         COALESCE(resolved_at, 0), report_id FROM findings ORDER BY target, rule_id",
    );
    assert_eq!(
        current,
        [
            format!(
                "x|R1|fail|{}|{}|{}|0|{}",
                secs(t0),
                secs(t3),
                secs(t3),
                r5.report_id
            ),
            format!(
                "y|R1|pass|{}|{}|{}|{}|{}",
                secs(t0),
                secs(t1),
                secs(t1),
                secs(t1),
                r4.report_id
            ),
        ]
        .join("\n")
    );
    let history = db.query(
        "SELECT target, rule_id, COALESCE(from_status, '-'), to_status, at, report_id \
         FROM finding_changes ORDER BY at, target, rule_id, id",
    );
    let row = |t, rule, from, to, at: OffsetDateTime, id: i64| {
        format!("{t}|{rule}|{from}|{to}|{}|{id}", secs(at))
    };
    assert_eq!(
        history,
        [
            row("x", "R1", "-", "fail", t0, r1.report_id),
            row("x", "R2", "-", "pass", t0, r1.report_id),
            row("x", "R3", "-", "fail", t0, r1.report_id),
            row("y", "R1", "-", "fail", t0, r1.report_id),
            row("y", "R1", "fail", "pass", t1, r4.report_id),
            row("x", "R1", "fail", "pass", t2, r3.report_id),
            row("x", "R3", "fail", "absent", t2, r3.report_id),
            row("x", "R1", "pass", "fail", t3, r5.report_id),
            row("x", "R2", "pass", "absent", t3, r5.report_id),
        ]
        .join("\n")
    );
    // x:R1 was resolved at t2 before failing again at t3 (now cleared).
    assert_eq!(
        db.query("SELECT count(*) FROM scan_summaries"),
        "4",
        "one summary per stored report"
    );
    assert_eq!(
        db.query("SELECT last_sequence FROM agents WHERE name = 'a1'"),
        "5"
    );
    let contact: i64 = db
        .query("SELECT last_contact FROM agents WHERE name = 'a1'")
        .parse()
        .unwrap();
    assert!(contact >= secs(now()) - 60, "{contact}");

    // Another agent's name in the report: refused before the store.
    let mut claims = report(stamp("a2", 1), t3, now(), &first);
    claims.agent = crate::agent("a1");
    assert!(matches!(
        refusal(store.ingest(claims).await),
        Refusal::IdentityMismatch { .. }
    ));
    let mut bare = report(stamp("a1", 9), t3, now(), &first);
    bare.report.sequence = None;
    assert!(matches!(
        refusal(store.ingest(bare).await),
        Refusal::Missing { field: "sequence" }
    ));

    // Revoked: the next report is refused, and so is a retry of an old one.
    db.exec("UPDATE agents SET revoked_at = 1 WHERE name = 'a1'");
    for s in [stamp("a1", 6), stamp("a1", 5)] {
        let r = store.ingest(report(s, t3, now(), &first)).await;
        assert!(matches!(refusal(r), Refusal::Revoked { .. }));
    }
    assert_eq!(db.query("SELECT count(*) FROM reports"), "4");
    assert_eq!(db.query("SELECT count(*) FROM findings"), "2");
    crate::assert_counts_match(db);
}
