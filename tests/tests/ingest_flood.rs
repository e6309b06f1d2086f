//! Issue 7 reliability: 10,000 malformed, oversized, truncated or
//! schema-violating uploads from an authenticated agent. Each is refused
//! with a 4xx and a reason, the collector stays healthy, and the valid
//! reports sent among them are all stored.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use trustwatch_e2e::load::agents::AgentMint;
use trustwatch_e2e::load::client::Session;
use trustwatch_e2e::load::report::ReportMaker;
use trustwatch_e2e::process::Collector;
use trustwatch_e2e::scrape;

const BAD: usize = 10_000;
const SESSIONS: usize = 4;
/// One valid report every this many bad ones.
const VALID_EVERY: usize = 100;
const MAX_REPORT_BYTES: u64 = 64 * 1024;

/// The ways a body can be wrong, cycled through.
fn bad_body(kind: usize, n: usize, valid: &[u8]) -> Vec<u8> {
    let mut report: Value = serde_json::from_slice(valid).unwrap();
    match kind % 10 {
        // Truncated at a point that moves with n.
        0 => valid[..(n * 7919) % (valid.len() - 1) + 1].to_vec(),
        1 => {
            report["schema_version"] = json!(999);
            serde_json::to_vec(&report).unwrap()
        }
        2 => {
            report.as_object_mut().unwrap().remove("findings");
            serde_json::to_vec(&report).unwrap()
        }
        3 => {
            report["findings"][0]["rule_id"] = json!("");
            serde_json::to_vec(&report).unwrap()
        }
        4 => vec![0xff, 0xfe, b'{', 0x80, b'}'],
        5 => b"[1, 2, 3]".to_vec(),
        // Over the collector's limit.
        6 => {
            let mut big = valid.to_vec();
            big.resize(MAX_REPORT_BYTES as usize + 1 + n % 1000, b' ');
            big
        }
        7 => {
            report["findings"][0]["status"] = json!("maybe");
            serde_json::to_vec(&report).unwrap()
        }
        8 => {
            report["scanned_at"] = json!("yesterday");
            serde_json::to_vec(&report).unwrap()
        }
        _ => {
            report["findings"][0]["target"] = json!("t".repeat(5000));
            serde_json::to_vec(&report).unwrap()
        }
    }
}

#[test]
fn ten_thousand_bad_uploads_are_each_refused_and_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let collector = Collector::start_limited(tmp.path(), MAX_REPORT_BYTES);
    let mint = Arc::new(AgentMint::from_data_dir(&collector.data_dir()).unwrap());
    let maker = Arc::new(ReportMaker::new(10, 1));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ingest = collector.ingest;
    let per_session = BAD / SESSIONS;
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..SESSIONS)
            .map(|s| {
                let (mint, maker) = (mint.clone(), maker.clone());
                tokio::spawn(tokio::time::timeout(Duration::from_secs(600), async move {
                    let agent = mint.agent(s, 1);
                    let mut session = Session::open(ingest, &agent.tls).await.unwrap();
                    let (mut refused, mut valid_ok, mut sequence) = (0usize, 0usize, 0u64);
                    for n in 0..per_session {
                        if n % VALID_EVERY == 0 {
                            sequence += 1;
                            let body = maker.body(&agent.name, s, sequence);
                            let answer = session.send("/api/v1/reports", body).await;
                            let answer = match answer {
                                Ok(a) => a,
                                // The server may close a connection after a
                                // refusal (413): open another, as an agent would.
                                Err(_) => {
                                    session = Session::open(ingest, &agent.tls).await.unwrap();
                                    let body = maker.body(&agent.name, s, sequence);
                                    session.send("/api/v1/reports", body).await.unwrap()
                                }
                            };
                            assert_eq!(answer.status, 202, "valid report refused: {}", answer.body);
                            valid_ok += 1;
                        }
                        let valid = maker.body(&agent.name, s, sequence + 1);
                        let body = bad_body(n, n + s, &valid);
                        let answer = match session.send("/api/v1/reports", body.clone()).await {
                            Ok(a) => a,
                            Err(_) => {
                                session = Session::open(ingest, &agent.tls).await.unwrap();
                                session.send("/api/v1/reports", body).await.unwrap()
                            }
                        };
                        assert!(
                            (400..500).contains(&answer.status),
                            "bad upload {n} (kind {}) answered {}: {}",
                            n % 10,
                            answer.status,
                            answer.body
                        );
                        let reason = answer.json()["reason"].as_str().map(str::to_owned);
                        assert!(
                            reason.as_deref().is_some_and(|r| !r.is_empty())
                                && answer.json()["error"].is_string(),
                            "bad upload {n} (kind {}) got no reason: {}",
                            n % 10,
                            answer.body
                        );
                        refused += 1;
                    }
                    (refused, valid_ok)
                }))
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(
                t.await
                    .unwrap()
                    .expect("the flood finished within 10 minutes"),
            );
        }
        out
    });
    let refused: usize = results.iter().map(|r| r.0).sum();
    let valid: usize = results.iter().map(|r| r.1).sum();
    assert_eq!(refused, BAD);

    // Healthy, counted, and nothing valid lost.
    let (status, _) = trustwatch_e2e::http::get(collector.http, "/healthz").unwrap();
    assert_eq!(status, 200);
    let samples = scrape::parse(&collector.scrape());
    let rejected: f64 = samples
        .iter()
        .filter(|s| s.name == "trustwatch_collector_reports_rejected_total")
        .map(|s| s.value)
        .sum();
    assert_eq!(rejected as usize, BAD);
    let ingested =
        scrape::value(&samples, "trustwatch_collector_reports_ingested_total", &[]).unwrap();
    assert_eq!(ingested as usize, valid);
    let db = collector.data_dir().join("trustwatch.db");
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored as usize, valid);
}
