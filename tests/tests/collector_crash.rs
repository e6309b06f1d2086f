//! Issue 7 reliability: the collector is killed with SIGKILL while agents
//! stream reports. After a restart, every report it acknowledged is in the
//! store, and none is there twice, including after the agents resend
//! everything they are unsure of (as the agent's spool does).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use trustwatch_e2e::load::agents::AgentMint;
use trustwatch_e2e::load::client::{self, Outcome};
use trustwatch_e2e::load::report::ReportMaker;
use trustwatch_e2e::process::Collector;

const AGENTS: usize = 6;
const MAX_SEQUENCE: u64 = 400;
const FINDINGS: usize = 20;

type Bodies = Arc<BTreeMap<(usize, u64), Vec<u8>>>;

#[test]
fn acknowledged_reports_survive_sigkill_and_none_is_stored_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let mut collector = Collector::start(tmp.path());
    let mint = Arc::new(AgentMint::from_data_dir(&collector.data_dir()).unwrap());
    let maker = ReportMaker::new(FINDINGS, 2);
    // Bodies are made once: a resend is byte-for-byte what was sent first,
    // as a spooled report is.
    let bodies: Bodies = Arc::new(
        (0..AGENTS)
            .flat_map(|a| (1..=MAX_SEQUENCE).map(move |s| (a, s)))
            .map(|(a, s)| ((a, s), maker.body(&AgentMint::name(a), a, s)))
            .collect(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let ingest = collector.ingest;

    let streams: Vec<_> = (0..AGENTS)
        .map(|a| {
            let (mint, bodies, acked) = (mint.clone(), bodies.clone(), acked.clone());
            runtime.spawn(async move {
                let agent = mint.agent(a, 2);
                for seq in 1..=MAX_SEQUENCE {
                    match client::post(ingest, &agent.tls, bodies[&(a, seq)].clone()).await {
                        Outcome::Accepted { .. } => {
                            acked.lock().unwrap().insert((a, seq));
                        }
                        // The collector is gone: this agent stops streaming.
                        _ => return seq,
                    }
                }
                MAX_SEQUENCE + 1
            })
        })
        .collect();

    // Kill it mid-stream, once a fair number of reports are acknowledged.
    let waited = Instant::now();
    while acked.lock().unwrap().len() < 120 && waited.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(20));
    }
    collector.stop();
    let stopped_at: Vec<u64> = streams
        .into_iter()
        .map(|t| runtime.block_on(t).unwrap())
        .collect();
    let acked: BTreeSet<(usize, u64)> = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 120,
        "only {} reports acknowledged",
        acked.len()
    );
    assert!(
        stopped_at.iter().any(|&s| s <= MAX_SEQUENCE),
        "the kill came after every agent had finished; nothing was cut off"
    );

    collector.restart();
    let stored = stored_reports(&collector);
    for key in &acked {
        assert_eq!(
            stored.get(key),
            Some(&1),
            "acknowledged report {key:?} is missing after SIGKILL"
        );
    }
    assert!(
        stored.values().all(|&n| n == 1),
        "a report was stored twice"
    );

    // Each agent resends from its first unacknowledged report (what its
    // spool still holds), and, to be sure, the last acknowledged one too.
    let resent = runtime.block_on(async {
        let mut answers = Vec::new();
        for a in 0..AGENTS {
            let agent = mint.agent(a, 2);
            let first_unacked = (1..=MAX_SEQUENCE)
                .find(|s| !acked.contains(&(a, *s)))
                .unwrap_or(MAX_SEQUENCE + 1);
            let from = first_unacked.saturating_sub(1).max(1);
            // Up to and including the report that was cut off.
            for seq in from..=stopped_at[a].min(MAX_SEQUENCE) {
                let outcome = client::post(ingest, &agent.tls, bodies[&(a, seq)].clone()).await;
                answers.push(((a, seq), outcome));
            }
        }
        answers
    });
    for ((a, seq), outcome) in &resent {
        match outcome {
            Outcome::Accepted { duplicate } => {
                if acked.contains(&(*a, *seq)) {
                    assert!(duplicate, "acknowledged report {a}/{seq} was stored again");
                }
            }
            other => panic!("resending {a}/{seq} was answered {other:?}"),
        }
    }
    let stored = stored_reports(&collector);
    assert!(
        stored.values().all(|&n| n == 1),
        "a report was stored twice"
    );
    for (a, stopped) in stopped_at.iter().enumerate() {
        for seq in 1..=(*stopped).min(MAX_SEQUENCE) {
            assert_eq!(stored.get(&(a, seq)), Some(&1), "report {a}/{seq} lost");
        }
    }
}

/// (agent number, sequence) -> how many times the store holds it.
fn stored_reports(collector: &Collector) -> BTreeMap<(usize, u64), u64> {
    let db = collector.data_dir().join("trustwatch.db");
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare("SELECT agent, sequence, COUNT(*) FROM reports GROUP BY agent, sequence")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .unwrap();
    let mut out = BTreeMap::new();
    for row in rows {
        let (agent, seq, n) = row.unwrap();
        let index: usize = agent.trim_start_matches("load-").parse().unwrap();
        let seq = seq.expect("every stored report has its sequence") as u64;
        out.insert((index, seq), n as u64);
    }
    out
}
