//! `run`: two loops sharing the spool.
//!
//! The scan loop, each cycle: renew the certificate if due, fetch the
//! central policy (or use the cached one), merge it into the plan, scan,
//! stamp the report (agent, report id, sequence) and spool it. The
//! delivery loop ([`crate::delivery`]) sends spooled reports, oldest
//! first, whenever the collector takes them. A collector that is away
//! therefore costs nothing but disk: scans go on, reports wait.
//!
//! The caller passes the shutdown future (mini-redis style). At shutdown
//! both loops stop at their next await; spool writes have no await inside,
//! so nothing is half-written, and a report in flight stays spooled.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use tokio::sync::{watch, Notify};
use trustwatch_rules::Report;

use crate::config::Config;
use crate::delivery::{Backoff, Delivery, Step, DELIVERY_TIMEOUT};
use crate::error::{Error, Result};
use crate::identity::CertInfo;
use crate::net::Resolver;
use crate::policy::{self, Fetched, Plan, Policy};
use crate::probe::{Probe, ProbeContext};
use crate::spool::{Spool, Spooled};
use crate::{renew, scan};

/// The most the policy request may take: it delays the scan, so it is
/// shorter than a delivery's.
pub const POLICY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Daemon {
    config: Config,
    resolver: Resolver,
    local: Plan,
    spool: Arc<Mutex<Spool>>,
    wake: Arc<Notify>,
    /// The client certificate in use (replaced by renewal).
    cert: Mutex<Option<CertInfo>>,
    backoff: Backoff,
}

/// What a cycle produced.
#[derive(Debug)]
pub struct Cycle {
    /// The report spooled; `None` when there was nothing to scan.
    pub spooled: Option<Spooled>,
    /// When the next cycle is due (the policy may change it).
    pub interval: Duration,
}

impl Daemon {
    /// Opens the spool; nothing touches the network yet.
    pub fn new(config: Config) -> Result<Daemon> {
        let spool = Spool::open(&config.spool.dir, config.spool.limits, SystemTime::now())
            .map_err(Error::Spool)?;
        Ok(Daemon {
            local: Plan::from_config(&config),
            cert: Mutex::new(config.cert.clone()),
            resolver: Resolver::system(),
            spool: Arc::new(Mutex::new(spool)),
            wake: Arc::new(Notify::new()),
            backoff: Backoff::default(),
            config,
        })
    }

    /// Uses `backoff` for delivery retries instead of the default (tests).
    pub fn with_backoff(mut self, backoff: Backoff) -> Daemon {
        self.backoff = backoff;
        self
    }

    fn delivery(&self) -> Delivery {
        Delivery {
            spool: self.spool.clone(),
            collector: self.config.collector.clone(),
            resolver: self.resolver.clone(),
            wake: self.wake.clone(),
            backoff: self.backoff,
            timeout: DELIVERY_TIMEOUT,
        }
    }

    /// Renews the client certificate when less than a third of its life
    /// is left. Failure is logged; the current certificate stays in use
    /// and the next cycle tries again.
    async fn renew_if_due(&self) {
        let due = {
            let cert = self.cert.lock().unwrap_or_else(|e| e.into_inner());
            cert.as_ref()
                .is_some_and(|c| c.renewal_due(OffsetDateTime::now_utc()))
        };
        if !due {
            return;
        }
        let files = &self.config.identity_files;
        match renew::renew(
            &self.config.collector,
            files,
            &self.config.enrolled_name,
            &self.resolver,
            renew::RENEW_TIMEOUT,
        )
        .await
        {
            Ok(info) => {
                tracing::info!(cert = %files.cert.display(), not_after = %info.not_after,
                    "client certificate renewed");
                *self.cert.lock().unwrap_or_else(|e| e.into_inner()) = Some(info);
            }
            Err(e) => {
                tracing::warn!(error = %e, "client certificate renewal failed; the current one stays in use")
            }
        }
    }

    /// The central policy for this cycle: fresh from the collector (and
    /// cached), else the cached one, else none.
    async fn policy(&self) -> Option<Policy> {
        let dir = &self.config.spool.dir;
        match policy::fetch(&self.config.collector, &self.resolver, POLICY_TIMEOUT).await {
            Fetched::Policy(p) => {
                if policy::load_cached(dir).as_ref() != Some(&p) {
                    tracing::info!(site = %p.site, version = p.version, "central policy received");
                    if let Err(e) = policy::save_cached(dir, &p) {
                        tracing::warn!(error = %e, "the central policy could not be cached");
                    }
                }
                Some(p)
            }
            Fetched::NoPolicy => {
                if policy::load_cached(dir).is_some() {
                    tracing::info!(
                        "the site no longer has a central policy; the local config applies alone"
                    );
                }
                if let Err(e) = policy::remove_cached(dir) {
                    tracing::warn!(error = %e, "the old central policy could not be removed from the cache");
                }
                None
            }
            Fetched::Unavailable(why) => {
                let cached = policy::load_cached(dir);
                match &cached {
                    Some(p) => tracing::info!(problem = %why, version = p.version,
                        "central policy not available; using the cached one"),
                    None => tracing::debug!(problem = %why,
                        "central policy not available and none cached; the local config applies alone"),
                }
                cached
            }
        }
    }

    /// The plan for this cycle: the local one, merged with `policy`.
    fn plan(&self, policy: Option<&Policy>) -> Plan {
        let Some(policy) = policy else {
            return self.local.clone();
        };
        let (plan, notes) = policy::apply(&self.local, policy);
        for note in notes {
            if note.is_warning() {
                tracing::warn!(site = %policy.site, version = policy.version, "{note}");
            } else {
                tracing::info!(site = %policy.site, version = policy.version, "{note}");
            }
        }
        plan
    }

    /// Scans everything in `plan` (and the local package scan) once; `None`
    /// when there is nothing to scan.
    pub async fn scan(&self, plan: &Plan) -> Option<Report> {
        if plan.is_empty() && self.config.packages.is_none() {
            return None;
        }
        let probes: Vec<Arc<dyn Probe>> = plan
            .tls
            .iter()
            .map(|c| Arc::new(c.clone().build()) as Arc<dyn Probe>)
            .collect();
        let ctx = ProbeContext {
            catalogue: self.config.catalogue.clone(),
            now: scan::scan_time(),
            limits: self.config.limits,
            resolver: self.resolver.clone(),
        };
        let mut findings = scan::run(&probes, &ctx, self.config.schedule, &mut || {}).await;
        let mut services = Vec::new();
        for (i, discovery) in plan.discovery.iter().enumerate() {
            match discovery.run(&ctx.catalogue, &self.resolver, &|_| {}).await {
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
        if let Some(packages) = &self.config.packages {
            let found = packages.run(&ctx.catalogue, ctx.now);
            findings.extend(found.findings);
            data_sources = found.data_sources;
        }
        if let Some(domains) = &plan.domains {
            findings.extend(domains.run(&ctx.catalogue, ctx.now, &|| {}).await);
        }
        if !plan.disabled_rules.is_empty() {
            let before = findings.len();
            findings.retain(|f| !plan.disabled_rules.drops(&f.rule_id));
            tracing::debug!(
                dropped = before - findings.len(),
                "findings of rules disabled by the central policy left out"
            );
        }
        let vantage = self
            .config
            .agent_name
            .clone()
            .or_else(scan::local_host_name);
        let mut report = scan::report(&ctx, vantage, findings);
        report.services = services;
        report.data_sources = data_sources;
        Some(report)
    }

    /// One scan cycle: renew if due, policy, scan, spool. Delivery is the
    /// other loop's business (or [`Daemon::once`]'s).
    pub async fn cycle(&self) -> Result<Cycle> {
        self.renew_if_due().await;
        let policy = self.policy().await;
        let plan = self.plan(policy.as_ref());
        let Some(report) = self.scan(&plan).await else {
            tracing::warn!("nothing to scan this cycle: the config names no targets and the central policy adds none");
            return Ok(Cycle {
                spooled: None,
                interval: plan.interval,
            });
        };
        let findings = report.findings.len();
        let spooled = self
            .spool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(report, &self.config.enrolled_name, SystemTime::now())
            .map_err(Error::Spool)?;
        tracing::info!(
            findings,
            sequence = spooled.sequence,
            report_id = %spooled.report_id,
            "scan finished; report spooled"
        );
        self.wake.notify_one();
        Ok(Cycle {
            spooled: Some(spooled),
            interval: plan.interval,
        })
    }

    /// `run --once`: one cycle, then deliver what is waiting without
    /// waiting on failures. Ok when this cycle's report was delivered;
    /// otherwise it stays spooled for the next run.
    pub async fn once(&self) -> Result<()> {
        let cycle = self.cycle().await?;
        let steps = self.delivery().drain().await;
        let Some(ours) = cycle.spooled.map(|s| s.sequence) else {
            return Err(Error::NothingToScan {
                hint: "the config names no targets and the central policy adds none",
            });
        };
        if steps.contains(&Step::Delivered { sequence: ours }) {
            return Ok(());
        }
        let problem = match steps.last() {
            Some(Step::Failed { message }) => message.clone(),
            Some(Step::Unauthorised { message, .. }) => format!("the collector refused this agent: {message}"),
            Some(Step::RetryAfter { secs, .. }) => format!("the collector is busy and asked for a wait of {secs}s"),
            _ => "the collector refused the report (see the log; it is in the spool's rejected/ folder)".into(),
        };
        Err(Error::Upload {
            url: self.config.collector.reports_url(),
            problem: format!("{problem}; the report stays in the spool for the next run"),
        })
    }

    /// Runs both loops until `shutdown` completes.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        let (pending, spooled_bytes) = self
            .spool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pending()
            .unwrap_or_default();
        tracing::info!(
            config = %self.config.file.display(),
            agent = %self.config.enrolled_name,
            targets = self.local.tls.len(),
            discovery_ranges = self.local.discovery.len(),
            interval_secs = self.local.interval.as_secs(),
            spool = %self.config.spool.dir.display(),
            spooled_reports = pending,
            spooled_bytes,
            "agent running"
        );
        let (stop_tx, stop) = watch::channel(false);
        let signal = async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        };
        let delivery = self.delivery();
        tokio::join!(signal, self.scan_loop(stop.clone()), delivery.run(stop));
        tracing::info!("agent stopped");
    }

    async fn scan_loop(&self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            let interval = tokio::select! {
                cycle = self.cycle() => match cycle {
                    Ok(c) => c.interval,
                    Err(e) => {
                        tracing::error!(error = %e, "the report of this cycle could not be spooled");
                        self.local.interval
                    }
                },
                _ = stop.changed() => return,
            };
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
