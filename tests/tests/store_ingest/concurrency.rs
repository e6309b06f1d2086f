//! Several collectors on one PostgreSQL database, and admission control.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use time::macros::datetime;
use time::OffsetDateTime;
use trustwatch_collector::store::{ledger, Refusal, Stored};
use trustwatch_collector::{Error, Store};
use trustwatch_rules::Severity::High;
use trustwatch_rules::Status::{Fail, Pass};

use crate::{assert_counts_match, pg, pg_config, report, stamp, Db};

const REPORTS: u64 = 30;

/// Two collectors' stores (4 connections each) on a new database `name`.
async fn two_collectors(
    name: &str,
) -> (
    std::sync::Arc<trustwatch_e2e::postgres::PgServer>,
    Store,
    Store,
) {
    let pg = pg();
    pg.create_database(name);
    let config = pg_config(&pg, name, 4);
    let a = Store::connect(&config, Path::new("/nonexistent"))
        .await
        .unwrap();
    let b = Store::connect(&config, Path::new("/nonexistent"))
        .await
        .unwrap();
    (pg, a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_on_one_database_store_each_report_once_and_never_go_back() {
    let (pg, a, b) = two_collectors("two_collectors").await;
    let (reader, other) = (a.clone(), b.clone());
    // Four senders, two per collector, each uploading the agent's reports
    // 1..=REPORTS in order: every report arrives four times, in races,
    // starting with the agent's very first contact.
    let mut tasks = Vec::new();
    for store in [a.clone(), b.clone(), a, b] {
        tasks.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for seq in 1..=REPORTS {
                // The same body from every sender (a retry is byte-identical);
                // the status alternates so the history has rows to race on.
                let status = if seq % 2 == 0 { Pass } else { Fail };
                let findings = [("h:443", "TLS-002", status, High)];
                let scanned = datetime!(2025-01-01 00:00 UTC) + time::Duration::hours(seq as i64);
                let result = store
                    .ingest(report(
                        stamp("a1", seq),
                        scanned,
                        OffsetDateTime::now_utc(),
                        &findings,
                    ))
                    .await;
                outcomes.push((seq, result));
            }
            outcomes
        }));
    }
    let mut stored: BTreeMap<u64, Stored> = BTreeMap::new();
    let mut duplicates: Vec<(u64, i64)> = Vec::new();
    for t in tasks {
        for (seq, result) in t.await.unwrap() {
            match result {
                Ok(s) if s.duplicate => duplicates.push((seq, s.report_id)),
                Ok(s) => {
                    let earlier = stored.insert(seq, s);
                    assert!(earlier.is_none(), "report {seq} stored twice");
                }
                Err(Error::Refused(Refusal::StaleSequence { sequence, last })) => {
                    assert!(sequence < last, "{sequence} refused after {last}");
                }
                Err(e) => panic!("report {seq}: {e}"),
            }
        }
    }
    // Every duplicate points to the one stored copy.
    for (seq, id) in duplicates {
        assert_eq!(stored[&seq].report_id, id, "duplicate of {seq}");
    }
    let db = "two_collectors";
    assert_eq!(
        pg.psql(db, "SELECT count(*) FROM reports"),
        stored.len().to_string()
    );
    // In commit order (ids), sequences only ever rise.
    let sequences: Vec<u64> = pg
        .psql(db, "SELECT sequence FROM reports ORDER BY id")
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
    assert_eq!(sequences, stored.keys().copied().collect::<Vec<_>>());
    assert_eq!(
        sequences.last(),
        Some(&REPORTS),
        "the last report is never stale"
    );
    assert_eq!(
        pg.psql(db, "SELECT last_sequence FROM agents"),
        REPORTS.to_string()
    );
    assert_eq!(
        pg.psql(db, "SELECT count(*) FROM scan_summaries"),
        stored.len().to_string()
    );
    // One change per stored report whose status differs from the one
    // stored before it: the history follows commit order.
    let mut expected = 0;
    let mut previous: Option<u64> = None;
    for seq in &sequences {
        if previous.is_none_or(|p| p % 2 != seq % 2) {
            expected += 1;
        }
        previous = Some(*seq);
    }
    assert_eq!(
        pg.psql(db, "SELECT count(*) FROM finding_changes"),
        expected.to_string()
    );
    // The agent's hash chain follows the same order, unbroken, and its
    // head is the last report's: the row lock serialised it too.
    let chain = reader.report_chain("a1", 0).await.unwrap();
    assert_eq!(chain.len(), stored.len());
    assert_eq!(chain[0].expected_hash(ledger::GENESIS), chain[0].chain_hash);
    for pair in chain.windows(2) {
        assert_eq!(
            pair[1].expected_hash(&pair[0].chain_hash),
            pair[1].chain_hash
        );
    }
    assert_eq!(
        reader.chain_heads().await.unwrap(),
        [("a1".to_owned(), chain.last().unwrap().chain_hash.clone())]
    );
    // Ledger appends from both collectors at once stay one chain.
    let appends: Vec<_> = (0..8)
        .map(|i| {
            let store = if i % 2 == 0 {
                reader.clone()
            } else {
                other.clone()
            };
            tokio::spawn(async move { store.ledger_checkpoint().await.unwrap() })
        })
        .collect();
    for t in appends {
        t.await.unwrap();
    }
    let entries = reader.ledger().await.unwrap();
    assert_eq!(entries.len(), 8);
    assert_eq!(ledger::check_ledger(&entries), Vec::<String>::new());
}

/// Agents of one site report the same two rules in opposite orders
/// (sorted by target, R1 comes first for half of them and R2 for the
/// others), concurrently through two collectors. Each report changes the
/// site's count rows for both rules: taken row by row they could be
/// locked in opposite orders and deadlock; the store takes them once, in
/// key order, at the end. Every report is stored and the counts are exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_of_one_site_never_deadlock_on_the_counts() {
    const AGENTS: u64 = 8;
    const ROUNDS: u64 = 12;
    let name = "counts_order";
    let (pg, a, b) = two_collectors(name).await;
    let mut tasks = Vec::new();
    for i in 0..AGENTS {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let who = format!("a{i}");
            let (first, second) = if i % 2 == 0 {
                ("R1", "R2")
            } else {
                ("R2", "R1")
            };
            for seq in 1..=ROUNDS {
                // Both statuses flip every round, so both rules' count rows
                // change in every report.
                let status = if seq % 2 == 0 { Pass } else { Fail };
                let findings = [
                    ("a:443", first, status, High),
                    ("b:443", second, status, High),
                ];
                let scanned = datetime!(2025-01-01 00:00 UTC) + time::Duration::hours(seq as i64);
                store
                    .ingest(report(
                        stamp(&who, seq),
                        scanned,
                        OffsetDateTime::now_utc(),
                        &findings,
                    ))
                    .await
                    .unwrap_or_else(|e| panic!("{who} report {seq}: {e}"));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let db = Db::Postgres {
        pg: pg.clone(),
        name: name.into(),
    };
    assert_eq!(
        db.query("SELECT count(*) FROM reports"),
        (AGENTS * ROUNDS).to_string()
    );
    assert_counts_match(&db);
    // The last round passed everywhere: 2 findings per agent, all passing.
    assert_eq!(
        db.query("SELECT rule_id, status, n FROM finding_counts WHERE n <> 0 ORDER BY 1"),
        format!("R1|pass|{AGENTS}\nR2|pass|{AGENTS}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_answers_busy_when_no_ingest_slot_frees_within_a_second() {
    let pg = pg();
    let db = "busy";
    pg.create_database(db);
    // One connection, so one ingest at a time.
    let store = Store::connect(&pg_config(&pg, db, 1), Path::new("/nonexistent"))
        .await
        .unwrap();
    let at = datetime!(2025-01-01 00:00 UTC);
    let one = [("h:443", "TLS-002", Fail, High)];
    store
        .ingest(report(stamp("a1", 1), at, OffsetDateTime::now_utc(), &one))
        .await
        .unwrap();

    // Another session holds the agent's row for three seconds.
    let holder = {
        let pg = pg.clone();
        std::thread::spawn(move || {
            pg.psql(
                db,
                "BEGIN; SELECT 1 FROM agents WHERE name = 'a1' FOR UPDATE; \
                 SELECT pg_sleep(3); COMMIT;",
            )
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while pg.psql(
        db,
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' \
         AND state = 'active' AND pid <> pg_backend_pid()",
    ) != "1"
    {
        assert!(Instant::now() < deadline, "the lock holder did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Two reports: whichever takes the one slot waits on the row lock; the
    // other is told to come back after about a second.
    let started = Instant::now();
    let tasks: Vec<_> = [2, 3]
        .into_iter()
        .map(|seq| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .ingest(report(
                        stamp("a1", seq),
                        at,
                        OffsetDateTime::now_utc(),
                        &one,
                    ))
                    .await
            })
        })
        .collect();
    let mut busy = 0;
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Err(Error::Refused(Refusal::Busy)) => {
                busy += 1;
                assert!(started.elapsed() >= Duration::from_millis(900));
            }
            Ok(s) => {
                ok += 1;
                assert!(!s.duplicate);
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((busy, ok), (1, 1));
    holder.join().unwrap();
}
