//! Running a [`DiscoveryPlan`]: resolve names, fix the scope, sweep,
//! identify every open port, ask SNMP on the hosts that answered, and judge
//! the inventory against the baseline.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use trustwatch_rules::evaluate::{self, ServiceScan};
use trustwatch_rules::observe::ServiceObservation;
use trustwatch_rules::{Catalogue, Finding};

use super::identify::{self, snmp, IdentifyOptions};
use super::plan::{build_scope, DiscoveryPlan, Field, PlanError, ScopeEntry};
use super::rate::{PacedDialer, Pacer};
use super::sweep::{self, SweepOutcome, SweepProgress};
use crate::net::Resolver;
use crate::scope::Scope;

/// How long a host name may take to resolve.
const RESOLVE_WITHIN: Duration = Duration::from_secs(10);
/// Identifications (and SNMP queries) in flight at once, overall.
const IDENTIFY_WINDOW: usize = 256;

/// What a discovery scan found.
#[derive(Debug)]
pub struct Discovered {
    /// Every open port, by host then port (TCP first, then UDP).
    pub services: Vec<ServiceObservation>,
    pub findings: Vec<Finding>,
    pub sweep: SweepOutcome,
    /// Sweep plus identification.
    pub elapsed: Duration,
}

/// Where the scan has got to, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    Sweep(SweepProgress),
    Identify { done: usize, total: usize },
}

impl DiscoveryPlan {
    /// Runs the scan. Fails only when the scope cannot be fixed (a name
    /// that does not resolve, a resolved address outside the allowed
    /// space); everything found on the network is data.
    pub async fn run(
        &self,
        catalogue: &Catalogue,
        resolver: &Resolver,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<Discovered, PlanError> {
        let started = Instant::now();
        let scope = self.scope(resolver).await?;
        let pacer = Arc::new(Pacer::new(self.sweep.pacer_limits()));
        let outcome = sweep::sweep(&scope, &self.ports, &self.sweep, pacer.clone(), &|p| {
            progress(Progress::Sweep(p))
        })
        .await;
        let dialer = outcome.dialer(pacer.clone());
        let mut services = identify_all(self, &outcome, &dialer, progress).await;
        services.extend(snmp_all(self, &scope, &outcome, &pacer).await);
        services.sort_by(|a, b| {
            let key = |o: &ServiceObservation| (o.host.parse::<IpAddr>().ok(), o.transport, o.port);
            key(a).cmp(&key(b))
        });
        let findings = evaluate::services(
            catalogue,
            &ServiceScan {
                services: &services,
                exposure: self.exposure,
                register: self.register.as_ref(),
            },
        );
        Ok(Discovered {
            services,
            findings,
            sweep: outcome,
            elapsed: started.elapsed(),
        })
    }

    /// The scope with names replaced by their addresses, validated again
    /// now that every address is known.
    async fn scope(&self, resolver: &Resolver) -> Result<Scope, PlanError> {
        let include = addresses(&self.include, resolver, Field::Hosts).await?;
        let exclude = addresses(&self.exclude, resolver, Field::Exclude).await?;
        build_scope(&include, &exclude, self.limits).map_err(|e| PlanError {
            field: Field::Hosts,
            problem: e.to_string(),
        })
    }
}

async fn addresses(
    entries: &[ScopeEntry],
    resolver: &Resolver,
    field: Field,
) -> Result<Vec<String>, PlanError> {
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        match entry {
            ScopeEntry::Net(net) => out.push(net.clone()),
            ScopeEntry::Name(host) => {
                let deadline = tokio::time::Instant::now() + RESOLVE_WITHIN;
                let found = resolver
                    .resolve(host, deadline)
                    .await
                    .map_err(|e| PlanError {
                        field,
                        problem: e.reason,
                    })?;
                out.extend(found.iter().map(IpAddr::to_string));
            }
        }
    }
    Ok(out)
}

/// The wait for a greeting on an unknown port: ten round trips, at least a
/// quarter of a second (a busy server's accept loop), at most two.
fn quick_wait(rtt: Option<Duration>) -> Duration {
    let floor = Duration::from_millis(250);
    match rtt {
        None => Duration::from_millis(800),
        Some(rtt) => (rtt * 10 + floor).min(Duration::from_secs(2)),
    }
}

async fn identify_all(
    plan: &DiscoveryPlan,
    outcome: &SweepOutcome,
    dialer: &PacedDialer,
    progress: &(dyn Fn(Progress) + Sync),
) -> Vec<ServiceObservation> {
    let total = outcome.open.len();
    let window = Arc::new(Semaphore::new(IDENTIFY_WINDOW));
    // Per host, no more conversations at once than the sweep's per-host
    // window allows (one in gentle mode).
    let per_host = plan.sweep.per_host_window.max(1) as usize;
    let mut hosts: HashMap<IpAddr, Arc<Semaphore>> = HashMap::new();
    let mut tasks = JoinSet::new();
    for (index, addr) in outcome.open.iter().copied().enumerate() {
        let host = hosts
            .entry(addr.ip())
            .or_insert_with(|| Arc::new(Semaphore::new(per_host)))
            .clone();
        let window = window.clone();
        let dialer = dialer.clone();
        let opts = IdentifyOptions {
            quick_wait: quick_wait(outcome.rtt_for(addr.ip())),
            ..plan.identify.clone()
        };
        tasks.spawn(async move {
            let _host = host.acquire_owned().await;
            let _slot = window.acquire_owned().await;
            (index, identify::identify_tcp(addr, &opts, &dialer).await)
        });
    }
    let mut found: Vec<Option<ServiceObservation>> = vec![None; total];
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        done += 1;
        progress(Progress::Identify { done, total });
        match joined {
            Ok((index, obs)) => found[index] = Some(obs),
            Err(e) => tracing::error!(error = %e, "an identification task ended abnormally"),
        }
    }
    found
        .into_iter()
        .zip(&outcome.open)
        .map(|(obs, addr)| {
            // A crashed identification (our bug) still lists the open port.
            obs.unwrap_or_else(|| {
                let mut o = ServiceObservation::open(
                    addr.ip().to_string(),
                    addr.port(),
                    trustwatch_rules::observe::Transport::Tcp,
                );
                o.note = Some("identification crashed (a bug in the agent)".into());
                o
            })
        })
        .collect()
}

/// SNMP on the UDP ports of the list. When TCP ports were swept too, only
/// hosts that answered the sweep (an open port or a refusal) are asked:
/// UDP gives no answer from a closed port, and waiting on every silent
/// address of a range would cost seconds each. A UDP-only list (`U:161`)
/// asks every address in scope, since nothing else says which are up.
async fn snmp_all(
    plan: &DiscoveryPlan,
    scope: &Scope,
    outcome: &SweepOutcome,
    pacer: &Arc<Pacer>,
) -> Vec<ServiceObservation> {
    if plan.ports.udp().is_empty() || plan.identify.gentle {
        return Vec::new();
    }
    let window = Arc::new(Semaphore::new(IDENTIFY_WINDOW));
    let mut tasks = JoinSet::new();
    let swept_tcp = !plan.ports.tcp().is_empty();
    for addr in sweep::udp_targets(scope, &plan.ports)
        .filter(|a| !swept_tcp || outcome.rtt_for(a.ip()).is_some())
    {
        let window = window.clone();
        let pacer = pacer.clone();
        let opts = plan.identify.clone();
        tasks.spawn(async move {
            let _slot = window.acquire_owned().await;
            // Paced like a connection: SNMP's datagrams count against the
            // same rate limits.
            pacer
                .paced(addr.ip(), || snmp::identify_udp(addr, &opts))
                .await
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(Some(obs)) = joined {
            out.push(obs);
        }
    }
    out
}
