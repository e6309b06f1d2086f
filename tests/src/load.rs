//! A load generator for the collector's ingest (the issue 7 benchmark):
//! many simulated agents, each with its own client certificate from the
//! collector's CA, each posting one report of N findings over mutual TLS,
//! as the real agent does. Only ever aimed at loopback.

pub mod agents;
pub mod client;
pub mod report;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use self::agents::AgentMint;
use self::client::Outcome;
use self::report::ReportMaker;

/// What to send.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub ingest: SocketAddr,
    /// Simulated agents `first_agent..first_agent + agents`, one report each.
    pub agents: usize,
    pub first_agent: usize,
    pub findings: usize,
    pub sites: usize,
    /// Reports in flight at once.
    pub concurrency: usize,
    /// The sequence number every report of this run carries (a second run
    /// over the same agents uses a higher one).
    pub sequence: u64,
    /// Gives up on the run past this, whatever is left.
    pub limit: Duration,
}

/// What happened, for the benchmark's results.json.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadResult {
    pub reports_sent: u64,
    pub reports_accepted: u64,
    pub duplicates: u64,
    /// Answers other than 202/200, by status.
    pub refused: BTreeMap<u16, u64>,
    /// 429/503 answers honoured by waiting Retry-After (then retried).
    pub busy_retries: u64,
    pub transport_errors: u64,
    pub findings_accepted: u64,
    pub elapsed_secs: f64,
    pub reports_per_sec: f64,
    pub findings_per_sec: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_max_ms: f64,
    /// The first few transport or refusal messages, for diagnosis.
    pub sample_errors: Vec<String>,
}

/// Runs the plan; `mint` holds the collector CA that signs the agents'
/// certificates.
pub async fn run(plan: &LoadPlan, mint: Arc<AgentMint>) -> LoadResult {
    let maker = Arc::new(ReportMaker::new(plan.findings, plan.sites));
    let next = Arc::new(AtomicUsize::new(0));
    let shared = Arc::new(Mutex::new((LoadResult::default(), Vec::<f64>::new())));
    let started = Instant::now();
    let deadline = started + plan.limit;
    let mut tasks = Vec::new();
    for _ in 0..plan.concurrency.max(1) {
        let (plan, mint, maker, next, shared) = (
            plan.clone(),
            mint.clone(),
            maker.clone(),
            next.clone(),
            shared.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= plan.agents || Instant::now() > deadline {
                    break;
                }
                let index = plan.first_agent + i;
                let agent = mint.agent(index, plan.sites);
                let body = maker.body(&agent.name, index, plan.sequence);
                let sent = Instant::now();
                let mut busy = 0;
                let outcome = loop {
                    let outcome = client::post(plan.ingest, &agent.tls, body.clone()).await;
                    match outcome {
                        // Honour Retry-After as an agent would, within the run's bound.
                        Outcome::Busy(wait) if Instant::now() + wait < deadline && busy < 20 => {
                            busy += 1;
                            tokio::time::sleep(wait).await;
                        }
                        other => break other,
                    }
                };
                let latency = sent.elapsed().as_secs_f64() * 1000.0;
                let mut guard = shared.lock().unwrap_or_else(|p| p.into_inner());
                let (result, latencies) = &mut *guard;
                result.reports_sent += 1;
                result.busy_retries += busy;
                match outcome {
                    Outcome::Accepted { duplicate } => {
                        result.reports_accepted += 1;
                        result.findings_accepted += plan.findings as u64;
                        result.duplicates += u64::from(duplicate);
                        latencies.push(latency);
                    }
                    Outcome::Refused(status, text) => {
                        *result.refused.entry(status).or_default() += 1;
                        note(result, format!("{status}: {text}"));
                    }
                    Outcome::Busy(_) => *result.refused.entry(429).or_default() += 1,
                    Outcome::Failed(e) => {
                        result.transport_errors += 1;
                        note(result, e);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (mut result, mut latencies) = Arc::try_unwrap(shared)
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
        .unwrap_or_default();
    latencies.sort_by(f64::total_cmp);
    result.elapsed_secs = elapsed;
    result.reports_per_sec = result.reports_accepted as f64 / elapsed;
    result.findings_per_sec = result.findings_accepted as f64 / elapsed;
    result.latency_p50_ms = percentile(&latencies, 0.50);
    result.latency_p99_ms = percentile(&latencies, 0.99);
    result.latency_max_ms = latencies.last().copied().unwrap_or(0.0);
    result
}

fn note(result: &mut LoadResult, message: String) {
    if result.sample_errors.len() < 5 {
        result.sample_errors.push(message);
    }
}

/// The nearest-rank percentile of sorted values (0 when empty).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
