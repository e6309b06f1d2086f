//! A quick measurement of the store's ingest path (not the HTTP/TLS in
//! front of it): `--reports` agents each send one report of `--findings`
//! findings (first contact: every finding is new history), then a second
//! report each in which 1% of findings changed (the steady state), through
//! `Store::ingest` from `--concurrency` tasks at once. Prints reports/s,
//! findings/s and latency percentiles for both rounds.
//!
//! ```text
//! cargo run --release -p trustwatch-collector --example ingest_throughput -- \
//!     [--reports 2000] [--findings 100] [--concurrency 64]
//!     [--postgres "host=… dbname=…" | --data FOLDER]
//! ```
//!
//! SQLite goes to a temporary folder (or `--data`, kept, to look at the
//! sizes); `--postgres` takes a libpq string of an empty database (the
//! schema is created).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use time::OffsetDateTime;
use trustwatch_collector::store::IncomingReport;
use trustwatch_collector::{AgentIdentity, Config, Store};
use trustwatch_rules::{BaselineRef, Evidence, Finding, Report, Severity, Status, SCHEMA_VERSION};

struct Args {
    reports: usize,
    findings: usize,
    concurrency: usize,
    postgres: Option<String>,
    data: Option<std::path::PathBuf>,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        reports: 2000,
        findings: 100,
        concurrency: 64,
        postgres: None,
        data: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--reports" => a.reports = value.parse()?,
            "--findings" => a.findings = value.parse()?,
            "--concurrency" => a.concurrency = value.parse()?,
            "--postgres" => a.postgres = Some(value),
            "--data" => a.data = Some(value.into()),
            _ => bail!("unknown flag {flag}"),
        }
    }
    Ok(a)
}

fn report(agent: usize, sequence: u64, findings: usize, changed_every: usize) -> IncomingReport {
    let name = format!("agent-{agent:05}");
    let host = format!("host-{agent:05}.trust.nhs.uk");
    let scanned_at = OffsetDateTime::now_utc() - time::Duration::hours(2 - sequence as i64);
    let findings = (0..findings)
        .map(|i| {
            let flipped = changed_every > 0 && (i + agent) % changed_every == 0;
            let fail = (i % 5 == 0) != flipped;
            Finding {
                rule_id: format!("RULE-{i:03}"),
                title: format!("Rule number {i} of the baseline"),
                severity: Severity::High,
                status: if fail { Status::Fail } else { Status::Pass },
                target: if i < findings_per_port(findings) {
                    format!("{host}:443")
                } else {
                    host.clone()
                },
                summary: format!("rule {i} observed on {host}"),
                evidence: Evidence::new()
                    .with("protocols", serde_json::json!(["TLSv1.2", "TLSv1.3"]))
                    .with("not_after", "2027-01-01T00:00:00Z"),
                controls: vec!["CAF:B4.d".into(), "CE:SUM".into()],
                remediation: "Apply the vendor's guidance.".into(),
            }
        })
        .collect();
    let report = Report {
        schema_version: SCHEMA_VERSION,
        scanned_at,
        baseline: BaselineRef {
            id: "trustwatch-nhs-baseline".into(),
            version: "2026.1".into(),
        },
        tool: None,
        vantage: Some(host),
        findings,
        services: vec![],
        data_sources: vec![],
        agent: Some(name.clone()),
        report_id: Some(format!("{agent:016x}{sequence:016x}")),
        sequence: Some(sequence),
    };
    IncomingReport {
        agent: AgentIdentity {
            name,
            site: format!("site-{}", agent % 20),
            cert_fingerprint: format!("{agent:064x}"),
        },
        received_at: OffsetDateTime::now_utc(),
        body: serde_json::to_string(&report).expect("serialise"),
        report,
    }
}

/// A third of a host's findings are about its TLS port, the rest about
/// the host: two targets per report.
fn findings_per_port(findings: usize) -> usize {
    findings / 3
}

async fn round(store: &Store, reports: Vec<IncomingReport>, concurrency: usize, label: &str) {
    let n = reports.len();
    let findings: usize = reports.iter().map(|r| r.report.findings.len()).sum();
    let queue = Arc::new(Mutex::new(reports));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (store, queue, latencies, done) = (
            store.clone(),
            queue.clone(),
            latencies.clone(),
            done.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(r) = queue.lock().expect("queue").pop() else {
                    return;
                };
                let t = Instant::now();
                match store.ingest(r).await {
                    Ok(s) if !s.duplicate => {}
                    other => panic!("not stored: {other:?}"),
                }
                latencies.lock().expect("latencies").push(t.elapsed());
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let secs = started.elapsed().as_secs_f64();
    let mut l = latencies.lock().expect("latencies").clone();
    l.sort();
    let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)];
    println!(
        "{label}: {n} reports, {findings} findings in {secs:.2} s: {:.0} reports/s, {:.0} findings/s; latency p50 {:?} p99 {:?}",
        n as f64 / secs,
        findings as f64 / secs,
        pct(0.5),
        pct(0.99),
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let tmp = tempfile::tempdir()?;
    let store = match &a.postgres {
        None => Store::open_in(a.data.as_deref().unwrap_or(tmp.path()))?,
        Some(url) => {
            let text = format!(
                "data_dir = \"data\"\n[store]\nbackend = \"postgres\"\nurl = \"{url}\"\npool_size = 16\n"
            );
            let config = Config::parse(&text, Path::new("collector.toml"))?;
            Store::connect(&config.store, tmp.path()).await?
        }
    };
    println!("store: {}", store.location().display());
    let first: Vec<_> = (0..a.reports)
        .map(|i| report(i, 1, a.findings, 0))
        .collect();
    let bytes: usize = first.iter().map(|r| r.body.len()).sum();
    println!(
        "report body: {} bytes on average ({} per finding)",
        bytes / a.reports.max(1),
        bytes / (a.reports * a.findings).max(1)
    );
    round(&store, first, a.concurrency, "first contact (all new)").await;
    let second: Vec<_> = (0..a.reports)
        .map(|i| report(i, 2, a.findings, 100))
        .collect();
    round(&store, second, a.concurrency, "steady state (1% changed)").await;
    // Let the writer finish dropping before the folder goes.
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(())
}
