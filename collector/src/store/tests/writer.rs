//! The SQLite writer thread: batches, and a bad report rolling back alone.

use std::time::Duration;

use time::macros::datetime;
use trustwatch_rules::{Evidence, Status};

use super::{agent, finding, incoming, open};
use crate::error::Error;
use crate::store::{Backend, FindingFilter};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_reports_share_one_transaction_and_a_failing_one_rolls_back_alone() {
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
    let held = {
        let sqlite = sqlite.clone();
        tokio::spawn(async move {
            sqlite
                .with_writer(|_| {
                    std::thread::sleep(Duration::from_millis(700));
                    Ok(())
                })
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
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
        "all ten reports in one transaction"
    );
    let rows = store.findings(FindingFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 9);
    assert!(rows.iter().all(|r| r.agent != "a4"));
    // The failed report left nothing behind: no agent row, no report row.
    let agents = store.agents().await.unwrap();
    assert_eq!(agents.len(), 9);
    assert!(agents.iter().all(|a| a.name != "a4"));
}
