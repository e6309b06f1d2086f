//! `run`: scan every configured target on a schedule and upload each report
//! to the collector.
//!
//! The caller passes the shutdown future (mini-redis style), so Ctrl-C, a
//! test, or a service manager decides when to stop. A report that cannot be
//! uploaded is logged and dropped; a durable spool that keeps it for the
//! next cycle comes in a later issue.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use trustwatch_rules::Report;

use crate::config::Config;
use crate::error::Result;
use crate::net::Resolver;
use crate::probe::{Probe, ProbeContext};
use crate::scan;
use crate::upload::Receipt;

/// The most one upload may take, connect to receipt.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct Daemon {
    config: Config,
    probes: Vec<Arc<dyn Probe>>,
    resolver: Resolver,
}

impl Daemon {
    pub fn new(config: Config) -> Daemon {
        let probes = config
            .tls
            .iter()
            .map(|c| Arc::new(c.clone().build()) as Arc<dyn Probe>)
            .collect();
        Daemon {
            config,
            probes,
            resolver: Resolver::system(),
        }
    }

    /// Scans every target once and builds the report.
    pub async fn scan(&self) -> Report {
        let ctx = ProbeContext {
            catalogue: self.config.catalogue.clone(),
            now: scan::scan_time(),
            limits: self.config.limits,
            resolver: self.resolver.clone(),
        };
        let mut findings = scan::run(&self.probes, &ctx, self.config.schedule, &mut || {}).await;
        let mut services = Vec::new();
        for (i, plan) in self.config.discovery.iter().enumerate() {
            match plan.run(&ctx.catalogue, &self.resolver, &|_| {}).await {
                Ok(found) => {
                    findings.extend(found.findings);
                    services.extend(found.services);
                }
                // A name in the range that stopped resolving (or now
                // resolves outside the allowed space) skips this range this
                // cycle; the others are still scanned and reported.
                Err(e) => tracing::warn!(
                    discovery = i,
                    error = %e,
                    "discovery range skipped this cycle"
                ),
            }
        }
        let mut data_sources = Vec::new();
        if let Some(plan) = &self.config.packages {
            let found = plan.run(&ctx.catalogue, ctx.now);
            findings.extend(found.findings);
            data_sources = found.data_sources;
        }
        if let Some(plan) = &self.config.domains {
            findings.extend(plan.run(&ctx.catalogue, ctx.now, &|| {}).await);
        }
        let vantage = self
            .config
            .agent_name
            .clone()
            .or_else(scan::local_host_name);
        let mut report = scan::report(&ctx, vantage, findings);
        report.services = services;
        report.data_sources = data_sources;
        report
    }

    /// One cycle: scan, then upload.
    pub async fn cycle(&self) -> Result<Receipt> {
        let report = self.scan().await;
        tracing::info!(findings = report.findings.len(), "scan finished");
        let result = self
            .config
            .collector
            .upload(&report, &self.resolver, UPLOAD_TIMEOUT)
            .await;
        match &result {
            Ok(receipt) => tracing::info!(
                report_id = receipt.report_id,
                findings = receipt.findings,
                url = self.config.collector.reports_url(),
                "report accepted by the collector"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "report not delivered; it is dropped (no spool yet)")
            }
        }
        result
    }

    /// Runs cycles every `interval` until `shutdown` completes. A cycle in
    /// progress is abandoned at shutdown: its connections are bounded and
    /// nothing is half-written.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        tracing::info!(
            config = %self.config.file.display(),
            targets = self.probes.len(),
            discovery_ranges = self.config.discovery.len(),
            interval_secs = self.config.interval.as_secs(),
            "agent running"
        );
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                // Failures are logged in `cycle`; the next cycle tries again.
                _ = self.cycle() => {}
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(self.config.interval) => {}
            }
        }
        tracing::info!("agent stopped");
    }
}
