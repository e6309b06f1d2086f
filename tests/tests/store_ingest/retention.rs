//! Retention, called directly with a chosen "now", on each backend.

use time::{Duration, OffsetDateTime};
use trustwatch_collector::store::{Pruned, RetentionPolicy};
use trustwatch_collector::Store;
use trustwatch_rules::Severity::High;
use trustwatch_rules::Status::{Fail, Pass};

use crate::{postgres, report, sqlite, stamp, Db};

#[tokio::test]
async fn retention_on_sqlite() {
    let (_tmp, store, db) = sqlite();
    retention(&store, &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_on_postgres() {
    let (store, db, _pg) = postgres("retention").await;
    retention(&store, &db).await;
}

async fn retention(store: &Store, db: &Db) {
    // A fixed "now", and reports received 500, 450, 100 and 0 days before.
    let now = OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap();
    let ago = |days: i64| now - Duration::days(days);
    let policy = RetentionPolicy {
        report_bodies_days: 90,
        history_days: 400,
    };
    let ingest = |seq, days, findings: &'static [crate::F<'static>]| {
        let store = store.clone();
        async move {
            store
                .ingest(report(stamp("a1", seq), ago(days), ago(days), findings))
                .await
                .unwrap()
        }
    };
    // z is only ever reported by the oldest report, which therefore stays
    // as the evidence of z's current finding.
    let r1 = ingest(1, 500, &[("x", "R1", Fail, High), ("z", "R1", Fail, High)]).await;
    let r2 = ingest(3, 450, &[("x", "R1", Pass, High)]).await;
    let r3 = ingest(4, 100, &[("x", "R1", Pass, High)]).await;
    let r4 = ingest(5, 0, &[("x", "R1", Fail, High)]).await;
    assert!(r2.gap.is_some());

    let pruned = store.prune(policy, now).await.unwrap();
    assert_eq!(
        pruned,
        Pruned {
            bodies: 3,
            changes: 3,
            summaries: 2,
            gaps: 1,
            reports: 1,
            more: false,
        }
    );
    let when = now.unix_timestamp();
    assert_eq!(
        db.query(
            "SELECT id, length(body) > 0, COALESCE(body_pruned_at, 0) FROM reports ORDER BY id"
        )
        .replace("|t|", "|1|")
        .replace("|f|", "|0|")
        .replace("|true|", "|1|")
        .replace("|false|", "|0|"),
        [
            format!("{}|0|{when}", r1.report_id),
            format!("{}|0|{when}", r3.report_id),
            format!("{}|1|0", r4.report_id),
        ]
        .join("\n")
    );
    assert_eq!(
        db.query("SELECT report_id FROM scan_summaries ORDER BY report_id"),
        format!("{}\n{}", r3.report_id, r4.report_id)
    );
    assert_eq!(
        db.query("SELECT report_id FROM finding_changes ORDER BY id"),
        r4.report_id.to_string()
    );
    assert_eq!(db.query("SELECT count(*) FROM sequence_gaps"), "0");
    // Current findings are state, never pruned.
    assert_eq!(db.query("SELECT count(*) FROM findings"), "2");

    // A retry of a report whose body was emptied is still recognised.
    let retry = store
        .ingest(report(
            stamp("a1", 4),
            ago(100),
            ago(100),
            &[("x", "R1", Pass, High)],
        ))
        .await
        .unwrap();
    assert!(retry.duplicate);
    assert_eq!(retry.report_id, r3.report_id);

    // Nothing left to do.
    assert_eq!(store.prune(policy, now).await.unwrap(), Pruned::default());
}
