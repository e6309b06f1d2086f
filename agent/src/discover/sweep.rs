//! The TCP connect sweep: which (address, port) pairs of a scope accept a
//! connection.
//!
//! A fixed set of worker tasks (the window, clamped to what the scope can
//! use) pulls targets from a bounded queue that [`sweep`] fills lazily,
//! port-major across hosts: every host's first port, then every host's
//! second, so consecutive connects go to different hosts and no host sees
//! the whole window (the pacer caps each host's share anyway). Nothing is
//! materialised: a /16 by 65535 ports is produced one target at a time.
//!
//! Each connect goes through the shared [`Pacer`] (rates, per-host window
//! and gap) with the host's adaptive timeout from the [`RttTable`]. An
//! answer (SYN-ACK or RST) is a round-trip sample; an open connection is
//! closed at once, nothing sent. A connect that fails on our side (no free
//! port or descriptor) is retried a few times after a pause, then counted
//! as an error: never as filtered, since the target said nothing.

mod config;
mod queue;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

pub use self::config::{SweepConfig, SweepConfigError};
use self::queue::Queue;
use crate::discover::ports::PortList;
use crate::discover::rate::{Attempt, PacedDialer, Pacer, PortState};
use crate::discover::rtt::RttTable;
use crate::scope::Scope;

/// How many times a connect that failed on our side is tried again.
const LOCAL_RETRIES: u32 = 3;
/// The pause before the first retry; doubled for each next one.
const RETRY_PAUSE: Duration = Duration::from_millis(100);
/// How often progress is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);
/// The shortest target queue: refills in batches of at least half this.
const QUEUE_MIN: usize = 256;

/// Progress, reported every 200 ms and once at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepProgress {
    /// Targets finished (open, closed, filtered or failed).
    pub done: u64,
    /// Targets in all: addresses × TCP ports.
    pub total: u64,
    pub open: u64,
    pub elapsed: Duration,
}

/// What the connects found, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepCounts {
    /// Targets tried (each once, however many local retries).
    pub attempted: u64,
    pub open: u64,
    /// Refused (RST).
    pub closed: u64,
    /// No answer in time, or unreachable.
    pub filtered: u64,
    /// Failed on our side even after retries (see
    /// [`SweepOutcome::first_error`]).
    pub errors: u64,
    /// Local failures retried.
    pub retries: u64,
}

/// The result of a sweep.
#[derive(Debug)]
pub struct SweepOutcome {
    /// Open TCP endpoints, sorted by address (IPv4 first) then port.
    pub open: Vec<SocketAddr>,
    pub counts: SweepCounts,
    pub elapsed: Duration,
    /// Connects in flight at most, after clamping.
    pub window: usize,
    /// The first local error that outlived its retries.
    pub first_error: Option<String>,
    rtts: Arc<RttTable>,
}

impl SweepOutcome {
    /// The smoothed round-trip time of `ip`, if it ever answered.
    pub fn rtt_for(&self, ip: IpAddr) -> Option<Duration> {
        self.rtts.rtt_for(ip)
    }

    /// The adaptive connect timeout for `ip` at the end of the sweep.
    pub fn timeout_for(&self, ip: IpAddr) -> Duration {
        self.rtts.timeout_for(ip)
    }

    /// The round-trip table, to keep adapting during identification.
    pub fn rtts(&self) -> Arc<RttTable> {
        self.rtts.clone()
    }

    /// A dialer for identification: the same pacer, this sweep's RTTs.
    pub fn dialer(&self, pacer: Arc<Pacer>) -> PacedDialer {
        PacedDialer::new(pacer, self.rtts.clone())
    }
}

/// Sweeps every TCP port of `ports` on every address of `scope`. Never
/// fails; ends by itself (every connect has a timeout, retries are
/// bounded). Dropping the future stops every connect in flight.
pub async fn sweep(
    scope: &Scope,
    ports: &PortList,
    cfg: &SweepConfig,
    pacer: Arc<Pacer>,
    progress: &(dyn Fn(SweepProgress) + Sync),
) -> SweepOutcome {
    let started = Instant::now();
    let rtts = Arc::new(RttTable::new(cfg.timeout_bounds()));
    let hosts = scope.addresses().count() as u64;
    let total = hosts.saturating_mul(u64::from(ports.tcp().len()));
    // More workers than the scope can keep busy would only wait on the
    // per-host window.
    let per_host = u64::from(pacer.limits().per_host_window);
    let window = usize::try_from(
        (cfg.effective_window() as u64)
            .min(hosts.saturating_mul(per_host))
            .min(total),
    )
    .unwrap_or(usize::MAX);
    let shared = Arc::new(Shared::default());
    let report = |shared: &Shared| {
        progress(SweepProgress {
            done: shared.done.load(Ordering::Relaxed),
            total,
            open: shared.open.load(Ordering::Relaxed),
            elapsed: started.elapsed(),
        })
    };

    let mut open = Vec::new();
    if window > 0 {
        let queue = Arc::new(Queue::new(window.saturating_mul(2).max(QUEUE_MIN)));
        let mut workers = JoinSet::new();
        for _ in 0..window {
            workers.spawn(worker(
                queue.clone(),
                pacer.clone(),
                rtts.clone(),
                shared.clone(),
            ));
        }
        let mut targets = tcp_targets(scope, ports);
        let mut ticks = tokio::time::interval_at(started + PROGRESS_EVERY, PROGRESS_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut feeding = queue.fill(&mut targets);
        loop {
            tokio::select! {
                () = queue.wait_for_room(), if feeding => feeding = queue.fill(&mut targets),
                // Workers end once the queue is closed and empty, or by
                // panicking: a bug of ours, raised here.
                joined = workers.join_next() => match joined {
                    Some(Ok(found)) => open.extend(found),
                    Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Some(Err(_)) => {}
                    None => break,
                },
                _ = ticks.tick() => {
                    report(&shared);
                    if feeding {
                        feeding = queue.fill(&mut targets);
                    }
                }
            }
        }
    }
    open.sort_unstable();
    report(&shared);
    SweepOutcome {
        open,
        counts: shared.counts(),
        elapsed: started.elapsed(),
        window,
        first_error: shared.first_error(),
        rtts,
    }
}

/// The TCP targets in sweep order, lazily: port-major, so consecutive
/// targets are different hosts (every host's first port, then every
/// host's second, ...).
fn tcp_targets<'a>(scope: &'a Scope, ports: &'a PortList) -> impl Iterator<Item = SocketAddr> + 'a {
    ports
        .tcp()
        .iter()
        .flat_map(move |port| scope.addresses().map(move |ip| SocketAddr::new(ip, port)))
}

/// The UDP targets of the scope (addresses × UDP ports), for the SNMP
/// step: not swept, listed lazily, host-major.
pub fn udp_targets<'a>(
    scope: &'a Scope,
    ports: &'a PortList,
) -> impl Iterator<Item = SocketAddr> + 'a {
    scope
        .addresses()
        .flat_map(move |ip| ports.udp().iter().map(move |p| SocketAddr::new(ip, p)))
}

/// Counters the workers update and progress reads.
#[derive(Debug, Default)]
struct Shared {
    done: AtomicU64,
    open: AtomicU64,
    closed: AtomicU64,
    filtered: AtomicU64,
    errors: AtomicU64,
    retries: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Shared {
    fn record(&self, state: PortState) {
        let counter = match state {
            PortState::Open => &self.open,
            PortState::Closed => &self.closed,
            PortState::Filtered => &self.filtered,
            PortState::Failed(e) => {
                let mut first = self
                    .first_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                first.get_or_insert_with(|| e.to_string());
                &self.errors
            }
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    fn counts(&self) -> SweepCounts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SweepCounts {
            attempted: get(&self.done),
            open: get(&self.open),
            closed: get(&self.closed),
            filtered: get(&self.filtered),
            errors: get(&self.errors),
            retries: get(&self.retries),
        }
    }

    fn first_error(&self) -> Option<String> {
        self.first_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Connects to targets from the queue until it is empty and closed;
/// returns the open ones.
async fn worker(
    queue: Arc<Queue>,
    pacer: Arc<Pacer>,
    rtts: Arc<RttTable>,
    shared: Arc<Shared>,
) -> Vec<SocketAddr> {
    let mut open = Vec::new();
    while let Some(addr) = queue.next().await {
        let attempt = probe(&pacer, &rtts, &shared, addr).await;
        if let Some(rtt) = attempt.rtt {
            rtts.sample(addr.ip(), rtt);
        }
        if attempt.state == PortState::Open {
            open.push(addr);
        }
        shared.record(attempt.state);
    }
    open
}

/// One target: a paced connect, tried again after a pause while it fails
/// on our side.
async fn probe(pacer: &Pacer, rtts: &RttTable, shared: &Shared, addr: SocketAddr) -> Attempt {
    let mut pause = RETRY_PAUSE;
    let mut retries = 0;
    loop {
        let attempt = pacer.connect(addr, rtts.timeout_for(addr.ip())).await;
        match attempt.state {
            PortState::Failed(e) if e.is_transient() && retries < LOCAL_RETRIES => {
                // A shortage of ports or descriptors clears as other
                // connects finish.
                retries += 1;
                shared.retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            _ => return attempt,
        }
    }
}

#[cfg(test)]
mod tests;
