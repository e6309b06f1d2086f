//! Running a set of probes and collecting their findings into a report.
//!
//! Probes run concurrently, bounded by a global semaphore, and by one
//! semaphore per host: hospital networks carry fragile medical devices
//! that must never see a burst of connections from us. A probe makes its
//! connections one after another, so a host sees at most `per_host`
//! connections from one scan at any moment.
//!
//! "Host" is the target's host as written: an IP literal in canonical form,
//! or the lower-cased DNS name. Names are not resolved first (that would
//! cost a lookup per target before the scan starts, and a name's addresses
//! can change during it), so `localhost:443` and `127.0.0.1:8443` count as
//! two hosts.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use trustwatch_rules::{evaluate, Finding, Report, ToolInfo, SCHEMA_VERSION};

use crate::probe::{Probe, ProbeContext};

/// Probes in flight at once across all hosts, by default.
pub const DEFAULT_CONCURRENCY: usize = 32;
/// Probes in flight at once against one host, by default.
pub const DEFAULT_PER_HOST: usize = 1;
/// Accepted values of the global limit (`--concurrency`).
pub const CONCURRENCY: RangeInclusive<usize> = 1..=1024;
/// Accepted values of the per-host limit (`--per-host`).
pub const PER_HOST: RangeInclusive<usize> = 1..=64;

/// How many probes may run at once, overall and per host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub concurrency: usize,
    pub per_host: usize,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            concurrency: DEFAULT_CONCURRENCY,
            per_host: DEFAULT_PER_HOST,
        }
    }
}

/// Runs every probe within `schedule`, calling `on_done` as each finishes
/// (for a progress bar), and returns the findings in probe order.
pub async fn run(
    probes: &[Arc<dyn Probe>],
    ctx: &ProbeContext,
    schedule: Schedule,
    on_done: &mut (dyn FnMut() + Send),
) -> Vec<Finding> {
    let permits = Arc::new(Semaphore::new(schedule.concurrency.max(1)));
    let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let mut tasks = JoinSet::new();
    for (index, probe) in probes.iter().enumerate() {
        let host = hosts
            .entry(probe.host())
            .or_insert_with(|| Arc::new(Semaphore::new(schedule.per_host.max(1))))
            .clone();
        let permits = permits.clone();
        let probe = probe.clone();
        let ctx = ctx.clone();
        tasks.spawn(async move {
            // The host's turn before a global permit, so a queue for one
            // busy host holds no permits other hosts could use. Both
            // semaphores are fair (first come, first served), so no host
            // is starved by another's long queue.
            let _host = host.acquire_owned().await;
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
        on_done();
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
        services: Vec::new(),
        data_sources: Vec::new(),
        agent: None,
        report_id: None,
        sequence: None,
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

#[cfg(test)]
mod tests;
