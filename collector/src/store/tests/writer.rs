//! The SQLite writer thread: batches, and a bad report rolling back alone.

use std::time::Duration;

use time::macros::datetime;
use trustwatch_rules::{Evidence, Status};

use super::counts::counted;
use super::{agent, finding, incoming, open};
use crate::error::Error;
use crate::store::{Backend, FindingFilter};

/// Holds the writer connection for `ms` milliseconds (started before this
/// returns), so reports sent meanwhile queue up and are taken together.
async fn hold_writer(
    sqlite: &crate::store::sqlite::Sqlite,
    ms: u64,
) -> tokio::task::JoinHandle<crate::error::Result<()>> {
    let sqlite = sqlite.clone();
    let held = tokio::spawn(async move {
        sqlite
            .with_writer(move |_| {
                std::thread::sleep(Duration::from_millis(ms));
                Ok(())
            })
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    held
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_reports_are_taken_together_and_a_failing_one_fails_alone() {
    let (_tmp, store) = open();
    let Backend::Sqlite(sqlite) = store.backend() else {
        unreachable!("open() makes a SQLite store")
    };
    // A finding with this rule id makes its report fail inside the batch.
    sqlite
        .with_writer(|conn| {
            conn.execute_batch(
                "CREATE TRIGGER boom BEFORE INSERT ON findings WHEN NEW.rule_id = 'BOOM'
                 BEGIN SELECT RAISE(ABORT, 'boom'); END;",
            )
            .unwrap();
            Ok(())
        })
        .await
        .unwrap();
    let before = sqlite.batches();

    // Hold the writer connection so that every report below is queued
    // before the writer can start; it then takes them all at once.
    let held = hold_writer(sqlite, 700).await;
    let mut tasks = Vec::new();
    for i in 0..10 {
        let store = store.clone();
        let rule = if i == 4 { "BOOM" } else { "TLS-002" };
        let report = incoming(
            &agent(&format!("a{i}"), "s"),
            datetime!(2026-01-01 00:00 UTC),
            vec![finding(rule, "h:443", Status::Fail, Evidence::new())],
        );
        tasks.push(tokio::spawn(async move { store.ingest(report).await }));
    }
    held.await.unwrap().unwrap();
    let mut stored = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        let result = tokio::time::timeout(Duration::from_secs(10), t)
            .await
            .expect("answered in time")
            .unwrap();
        if i == 4 {
            let e = result.unwrap_err();
            assert!(
                matches!(e, Error::Store { .. }) && e.to_string().contains("boom"),
                "{e}"
            );
        } else {
            assert!(!result.unwrap().duplicate);
            stored += 1;
        }
    }
    assert_eq!(stored, 9);
    assert_eq!(
        sqlite.batches() - before,
        1,
        "all ten reports taken in one batch"
    );
    let rows = store.findings(FindingFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 9);
    assert!(rows.iter().all(|r| r.agent != "a4"));
    // The failed report left nothing behind: no agent row, no report row.
    let agents = store.agents().await.unwrap();
    assert_eq!(agents.len(), 9);
    assert!(agents.iter().all(|a| a.name != "a4"));
    // Nor anything in the counts the writer keeps.
    let conn = rusqlite::Connection::open(store.location()).unwrap();
    let (counts, grouped) = counted(&conn);
    assert_eq!(counts, grouped);
}

/// Reports written in one transaction, two of them from each agent (the
/// second changes a status and retires a finding): the summed counts
/// equal the findings grouped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_summed_over_a_batch_match_the_findings() {
    let (_tmp, store) = open();
    let Backend::Sqlite(sqlite) = store.backend() else {
        unreachable!("open() makes a SQLite store")
    };
    let before = sqlite.batches();
    let held = hold_writer(sqlite, 500).await;
    let mut tasks = Vec::new();
    for i in 0..4 {
        let who = agent(&format!("a{i}"), if i % 2 == 0 { "north" } else { "south" });
        let first = incoming(
            &who,
            datetime!(2026-01-01 00:00 UTC),
            vec![
                finding("TLS-002", "h:443", Status::Fail, Evidence::new()),
                finding("CERT-001", "h:443", Status::Pass, Evidence::new()),
            ],
        );
        let second = incoming(
            &who,
            datetime!(2026-01-02 00:00 UTC),
            vec![finding("TLS-002", "h:443", Status::Pass, Evidence::new())],
        );
        // In order per agent: the second is queued after the first.
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let a = store.ingest(first);
            let b = store.ingest(second);
            // join! polls in order: the first is queued before the second.
            let (a, b) = tokio::join!(a, b);
            (a.unwrap(), b.unwrap())
        }));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    held.await.unwrap().unwrap();
    for t in tasks {
        let (a, b) = t.await.unwrap();
        assert!(!a.duplicate && !b.duplicate);
    }
    assert!(sqlite.batches() - before <= 2, "the reports were batched");
    let conn = rusqlite::Connection::open(store.location()).unwrap();
    let (counts, grouped) = counted(&conn);
    assert_eq!(counts, grouped);
    let failing: i64 = counts.iter().filter(|c| c.3 == "fail").map(|c| c.4).sum();
    assert_eq!(
        failing, 0,
        "every TLS-002 failure was fixed by the second report"
    );
    assert_eq!(counts.iter().map(|c| c.4).sum::<i64>(), 4);
}
