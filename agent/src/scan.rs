//! Running a set of probes and collecting their findings into a report.
//!
//! Probes run concurrently, bounded by a semaphore, with at most one probe
//! at a time per host: hospital networks carry fragile medical devices that
//! must never see a burst of connections from us.

use std::collections::HashMap;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::{Mutex, Semaphore};
use tokio::task::JoinSet;
use trustwatch_rules::{evaluate, Finding, Report, ToolInfo, SCHEMA_VERSION};

use crate::probe::{Probe, ProbeContext};

/// Probes in flight at once across all hosts.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Runs every probe and returns the findings in probe order.
pub async fn run(
    probes: &[Arc<dyn Probe>],
    ctx: &ProbeContext,
    concurrency: usize,
) -> Vec<Finding> {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut host_locks: HashMap<String, Arc<Mutex<()>>> = HashMap::new();
    let mut tasks = JoinSet::new();
    for (index, probe) in probes.iter().enumerate() {
        let host_lock = host_locks.entry(probe.host()).or_default().clone();
        let permits = permits.clone();
        let probe = probe.clone();
        let ctx = ctx.clone();
        tasks.spawn(async move {
            // Take the host's turn before a permit, so a queue for one busy
            // host does not hold permits other hosts could use.
            let _host = host_lock.lock().await;
            let _permit = permits.acquire_owned().await;
            tracing::debug!(
                probe = probe.name(),
                target = probe.target(),
                "probe starting"
            );
            (index, probe.run(&ctx).await)
        });
    }

    let mut results: Vec<Option<Vec<Finding>>> = vec![None; probes.len()];
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, findings)) => results[index] = Some(findings),
            Err(e) => tracing::error!(error = %e, "a probe task ended abnormally"),
        }
    }
    results
        .into_iter()
        .zip(probes)
        .flat_map(|(found, probe)| {
            // A probe that panicked is our bug; its rules are still
            // reported, as errors, so the gap is visible in the report.
            found.unwrap_or_else(|| {
                evaluate::unreachable(
                    &ctx.catalogue,
                    probe.rules(),
                    probe.target(),
                    "the probe crashed (a bug in the agent)",
                )
            })
        })
        .collect()
}

/// The report for findings gathered with `ctx`.
pub fn report(ctx: &ProbeContext, vantage: Option<String>, findings: Vec<Finding>) -> Report {
    Report {
        schema_version: SCHEMA_VERSION,
        scanned_at: ctx.now,
        baseline: ctx.catalogue.baseline_ref(),
        tool: Some(ToolInfo {
            name: "trustwatch-agent".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }),
        vantage,
        findings,
    }
}

/// The scan's clock: now, in UTC, to the second (sub-second precision would
/// only make reports harder to read and compare).
pub fn scan_time() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// This machine's host name, the default vantage point of a report.
pub fn local_host_name() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}
