//! Report ids and sequences over real mutual TLS: retries, replays, gaps,
//! identity, revocation, and 429 when the writer is behind.

use std::time::Duration;

use hyper::StatusCode;
use serde_json::Value;
use trustwatch_collector::metrics::{AuthRefusal, RejectReason};
use trustwatch_collector::store::FindingFilter;

use crate::support::{post_report, post_report_with_headers, report_for, Harness, BOUND};

fn sql(h: &Harness, statement: &str) {
    let conn = rusqlite::Connection::open(h.store.location()).unwrap();
    conn.busy_timeout(BOUND).unwrap();
    conn.execute_batch(statement).unwrap();
}

fn count(h: &Harness, query: &str) -> i64 {
    let conn = rusqlite::Connection::open(h.store.location()).unwrap();
    conn.query_row(query, [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn retries_replays_gaps_identity_and_revocation_are_answered_by_the_contract() {
    let h = Harness::start(1 << 20).await;
    let client = h.agent_client("a1", "north");
    let post = |body: Value| {
        let client = client.clone();
        let addr = h.ingest;
        async move {
            post_report(addr, client, serde_json::to_vec(&body).unwrap())
                .await
                .unwrap()
        }
    };

    let (status, first) = post(report_for("a1", 1)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    assert_eq!(first["duplicate"], false);

    // The same report again (a lost answer): 200 with the first receipt.
    let (status, again) = post(report_for("a1", 1)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["report_id"], first["report_id"]);
    assert_eq!(again["findings"], first["findings"]);

    // The same id with another body.
    let mut changed = report_for("a1", 1);
    changed["vantage"] = "elsewhere".into();
    let (status, reply) = post(changed).await;
    assert_eq!(status, StatusCode::CONFLICT, "{reply}");
    assert_eq!(reply["reason"], "report_id_reused");

    // 3 after 1: stored, and 2 recorded as missing.
    let (status, reply) = post(report_for("a1", 3)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    let stored_3 = reply["report_id"].as_i64().unwrap();
    assert_eq!(
        count(
            &h,
            &format!(
                "SELECT count(*) FROM sequence_gaps WHERE agent = 'a1' AND first_missing = 2 \
                 AND last_missing = 2 AND report_id = {stored_3}"
            )
        ),
        1
    );
    // 2 arriving now is older than 3.
    let (status, reply) = post(report_for("a1", 2)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{reply}");
    assert_eq!(reply["reason"], "stale_sequence");
    assert!(
        reply["error"].as_str().unwrap().contains("sequence 2"),
        "{reply}"
    );

    // A report claiming another agent's name.
    let (status, reply) = post(report_for("a2", 4)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{reply}");
    assert_eq!(reply["reason"], "identity_mismatch");

    assert_eq!(h.metrics.reports_ingested.get(), 2);
    assert_eq!(h.metrics.ingest.duplicates(), 1);
    assert_eq!(h.metrics.ingest.sequence_gaps(), 1);
    assert_eq!(h.metrics.refused(AuthRefusal::ReplayedReport), 2);
    assert_eq!(h.metrics.refused(AuthRefusal::IdentityMismatch), 1);
    assert_eq!(count(&h, "SELECT count(*) FROM reports"), 2);
    assert_eq!(
        count(&h, "SELECT last_sequence FROM agents WHERE name = 'a1'"),
        3
    );
    assert!(count(&h, "SELECT last_contact FROM agents WHERE name = 'a1'") > 0);

    // Revoked (as `agent revoke` records it): refused from the next report
    // on, retries included.
    sql(&h, "UPDATE agents SET revoked_at = 1 WHERE name = 'a1'");
    for body in [report_for("a1", 4), report_for("a1", 3)] {
        let (status, reply) = post(body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{reply}");
        assert_eq!(reply["reason"], "revoked");
    }
    assert_eq!(h.metrics.refused(AuthRefusal::Revoked), 2);
    assert_eq!(count(&h, "SELECT count(*) FROM reports"), 2);
    assert_eq!(
        h.store
            .findings(FindingFilter::default())
            .await
            .unwrap()
            .len(),
        7
    );
    h.stop().await;
}

#[tokio::test]
async fn a_full_queue_is_answered_429_with_a_spread_retry_after() {
    let h = Harness::start_with(1 << 20, |c| c.ingest.max_queued_reports = 1).await;
    // Another connection holds SQLite's write lock, so the one report
    // admitted waits in the writer and keeps the only slot.
    let blocker = rusqlite::Connection::open(h.store.location()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut tasks = Vec::new();
    for name in ["a1", "a2", "a3"] {
        let client = h.agent_client(name, "north");
        let addr = h.ingest;
        tasks.push(tokio::spawn(async move {
            post_report_with_headers(
                addr,
                client,
                serde_json::to_vec(&report_for(name, 1)).unwrap(),
            )
            .await
            .unwrap()
        }));
    }
    // Two of the three are turned away at once; the third is waiting.
    let deadline = tokio::time::Instant::now() + BOUND;
    while h.metrics.rejected(RejectReason::Busy) < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no 429 in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    blocker.execute_batch("ROLLBACK").unwrap();
    let mut statuses = Vec::new();
    for t in tasks {
        let (status, headers, reply) = t.await.unwrap();
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(reply["reason"], "busy");
            let secs: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=10).contains(&secs), "{secs}");
        }
        statuses.push(status);
    }
    statuses.sort();
    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    assert_eq!(h.metrics.rejected(RejectReason::Busy), 2);
    assert_eq!(h.store.agents().await.unwrap().len(), 1);
    h.stop().await;
}
