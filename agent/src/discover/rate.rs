//! Pacing of new connections, shared by the sweep and identification.
//!
//! A [`Pacer`] admits each connection start against four limits:
//!
//! - **global rate** (`rate` starts per second, all hosts together): in ANY
//!   one-second window of real time at most `rate` starts are admitted
//!   (a sliding window at millisecond resolution, `rate/window.rs`); there
//!   is no burst beyond that: at most `rate` at once after an idle second;
//! - **per-host rate** and **gap**: starts to one host are at least
//!   `max(1 s / host_rate rounded up, host_gap)` apart, so at most
//!   `host_rate` in any one-second window and never two within the gap;
//! - **per-host window**: at most `per_host_window` connection attempts to
//!   one host in flight (1 in gentle mode). An attempt lasts from admission
//!   until its connect completes or times out. The sweep closes what it
//!   opens at once; identification keeps its connections open past the
//!   attempt, so in gentle mode its scheduler must itself run one session
//!   per host at a time.
//!
//! "Admitted" is when the connect system call is issued: the caller's
//! connect runs in the same poll as its admission, without yielding.
//! A start that finds room goes at once, without an await; starts that
//! must wait queue fairly (FIFO) per host and for the global window (a
//! newcomer may pass a sleeper when room appears: the limits hold either
//! way). Per-host state is dropped once a host is idle and its spacing has
//! passed, so a /16 sweep keeps entries only for the hosts in flight or
//! within their gap.

mod window;

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use self::window::RateWindow;
use crate::discover::identify::Dial;
use crate::discover::rtt::RttTable;
use crate::probe::BoxFuture;

/// The limits a [`Pacer`] enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacerLimits {
    /// New connections per second over all hosts; `None`: unlimited.
    pub rate: Option<NonZeroU32>,
    /// New connections per second to one host; `None`: unlimited.
    pub host_rate: Option<NonZeroU32>,
    /// Connection attempts in flight to one host (at least 1).
    pub per_host_window: u32,
    /// The least time between two connection starts to one host.
    pub host_gap: Duration,
}

impl PacerLimits {
    /// No limits at all. For tests and benchmarks on loopback.
    pub fn unlimited() -> PacerLimits {
        PacerLimits {
            rate: None,
            host_rate: None,
            per_host_window: u32::MAX >> 4,
            host_gap: Duration::ZERO,
        }
    }

    /// The least time between two starts to one host.
    fn host_spacing(&self) -> Duration {
        // Rounded up: 1/3 s rounded down would let 4 starts into a second.
        let by_rate = self.host_rate.map_or(Duration::ZERO, |r| {
            Duration::from_nanos(1_000_000_000u64.div_ceil(u64::from(r.get())))
        });
        by_rate.max(self.host_gap)
    }
}

/// What one connect found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortState {
    /// The handshake completed (SYN-ACK).
    Open,
    /// Refused (RST): the host is up, nothing listens.
    Closed,
    /// No answer within the timeout, or an ICMP "host unreachable".
    Filtered,
    /// The attempt failed on our side (no free port or file descriptor,
    /// no route, local policy): says nothing about the target.
    Failed(LocalError),
}

/// A local failure to connect, kept small and copyable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalError {
    pub kind: std::io::ErrorKind,
    /// The OS error number, when there is one.
    pub os: Option<i32>,
}

/// Linux error numbers for resource shortages that `ErrorKind` does not
/// name (they map to its unstable `Uncategorized`).
const ENFILE: i32 = 23;
const EMFILE: i32 = 24;
const ENOBUFS: i32 = 105;

impl LocalError {
    fn of(e: &std::io::Error) -> LocalError {
        LocalError {
            kind: e.kind(),
            os: e.raw_os_error(),
        }
    }

    /// A shortage that clears as other connections finish (no ephemeral
    /// port, no descriptor, no buffer): worth trying the same connect
    /// again a little later.
    pub fn is_transient(&self) -> bool {
        use std::io::ErrorKind::*;
        matches!(
            self.kind,
            AddrNotAvailable | OutOfMemory | WouldBlock | Interrupted
        ) || matches!(self.os, Some(ENFILE | EMFILE | ENOBUFS))
    }
}

impl std::fmt::Display for LocalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.os {
            Some(code) => write!(f, "{}", std::io::Error::from_raw_os_error(code)),
            None => write!(f, "{}", std::io::Error::from(self.kind)),
        }
    }
}

/// One paced connect: what it found, and the round-trip time when the
/// target answered (open or closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub state: PortState,
    pub rtt: Option<Duration>,
}

/// The state a connect error reveals.
fn classify(e: &std::io::Error) -> PortState {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused | ConnectionReset | ConnectionAborted => PortState::Closed,
        // The kernel gave up, or a router or the host said unreachable:
        // both are the network's answer, as nmap reports them.
        TimedOut | HostUnreachable => PortState::Filtered,
        _ => PortState::Failed(LocalError::of(e)),
    }
}

/// Admits connection starts under [`PacerLimits`]; share it in an `Arc`.
pub struct Pacer {
    limits: PacerLimits,
    spacing: Duration,
    origin: Instant,
    /// The global window, under a plain lock held only to count: admitting
    /// a start while there is room costs no await, which matters at tens
    /// of thousands of starts a second.
    global: Option<Mutex<RateWindow>>,
    /// When the window is full, waiters queue here (a fair lock), so one
    /// sleeps at a time and the others wait their turn in order.
    full_queue: tokio::sync::Mutex<()>,
    hosts: Mutex<Hosts>,
}

#[derive(Debug, Default)]
struct Hosts {
    gates: HashMap<IpAddr, Arc<HostGate>>,
    /// Size at which idle gates are next swept out.
    sweep_at: usize,
}

/// One host's limits in force.
#[derive(Debug)]
struct HostGate {
    slots: Semaphore,
    /// When the next start may be admitted. Checked and set under this
    /// plain lock in one step, so no two starts are closer than the spacing.
    next_start: Mutex<Option<Instant>>,
    /// Starts that must wait for the spacing queue here (a fair lock): one
    /// sleeps at a time, the others keep their turn.
    waiting: tokio::sync::Mutex<()>,
}

impl HostGate {
    /// Nothing pending: a gate dropped now would be recreated identical.
    fn idle(&self, now: Instant) -> bool {
        self.waiting.try_lock().is_ok()
            && self
                .next_start
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_none_or(|t| t <= now)
    }
}

/// The fewest gates worth sweeping for.
const MIN_SWEEP: usize = 1024;

impl Pacer {
    pub fn new(limits: PacerLimits) -> Pacer {
        Pacer {
            limits: PacerLimits {
                per_host_window: limits.per_host_window.max(1),
                ..limits
            },
            spacing: limits.host_spacing(),
            origin: Instant::now(),
            global: limits.rate.map(|r| Mutex::new(RateWindow::new(r))),
            full_queue: tokio::sync::Mutex::new(()),
            hosts: Mutex::new(Hosts {
                gates: HashMap::new(),
                sweep_at: MIN_SWEEP,
            }),
        }
    }

    pub fn limits(&self) -> PacerLimits {
        self.limits
    }

    /// Waits until a connection to `ip` may start, then runs `start`
    /// (which should issue its connect on first poll) while holding one of
    /// the host's slots.
    pub async fn paced<F, Fut, T>(&self, ip: IpAddr, start: F) -> T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let lease = self.lease(ip).await;
        let out = start().await;
        drop(lease);
        out
    }

    /// A paced TCP connect to `addr`, closed at once if it opens.
    pub async fn connect(&self, addr: SocketAddr, timeout: Duration) -> Attempt {
        let (result, elapsed) = self.open(addr, timeout).await;
        let state = match result {
            Ok(Ok(stream)) => {
                // Loopback can connect a socket to itself (its ephemeral
                // port chosen equal to the closed port probed): nothing
                // listens there.
                if stream.local_addr().ok() == stream.peer_addr().ok() {
                    PortState::Closed
                } else {
                    PortState::Open
                }
                // Dropped here: closed without sending anything.
            }
            Ok(Err(e)) => classify(&e),
            Err(_elapsed) => PortState::Filtered,
        };
        let rtt = matches!(state, PortState::Open | PortState::Closed).then_some(elapsed);
        Attempt { state, rtt }
    }

    /// A paced TCP connect to `addr` whose stream the caller keeps, with
    /// its round-trip time.
    pub async fn dial(
        &self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> std::io::Result<(TcpStream, Duration)> {
        match self.open(addr, timeout).await {
            (Ok(Ok(stream)), rtt) => Ok((stream, rtt)),
            (Ok(Err(e)), _) => Err(e),
            (Err(_), _) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("connect to {addr} timed out after {timeout:?}"),
            )),
        }
    }

    async fn open(
        &self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> (
        Result<std::io::Result<TcpStream>, tokio::time::error::Elapsed>,
        Duration,
    ) {
        self.paced(addr.ip(), || async move {
            let started = Instant::now();
            let result = tokio::time::timeout(timeout, TcpStream::connect(addr)).await;
            (result, started.elapsed())
        })
        .await
    }

    /// Waits for a slot of `ip`, its spacing and the global rate, in that
    /// order; the lease returns the slot when dropped.
    async fn lease(&self, ip: IpAddr) -> Lease<'_> {
        let gate = self.gate(ip);
        // From here the lease is alive, so the gate is released even if
        // this future is dropped while waiting.
        let mut lease = Lease {
            pacer: self,
            ip,
            gate,
            holds_slot: false,
        };
        // Never closed, so acquiring cannot fail; the permit is returned
        // by hand in `Lease::drop`.
        if let Ok(permit) = lease.gate.slots.acquire().await {
            permit.forget();
            lease.holds_slot = true;
        }
        if self.spacing.is_zero() {
            self.admit_global().await;
            return lease;
        }
        // Fast path: the spacing has passed and the global window has
        // room. No await, so a high per-host rate costs no task switches.
        // (tokio's timer has millisecond ticks and rounds every sleep up to
        // the next one, even a sleep until a moment already past: sleeping
        // only when the spacing has not yet passed keeps a sub-millisecond
        // spacing from becoming one start per millisecond.)
        let wait = match self.try_start(&lease.gate) {
            Ok(()) => return lease,
            Err(at) => at,
        };
        let gate = lease.gate.clone();
        let _turn = gate.waiting.lock().await;
        let mut wait = wait;
        loop {
            tokio::time::sleep_until(wait).await;
            match self.try_start(&gate) {
                Ok(()) => return lease,
                Err(at) => wait = at,
            }
        }
    }

    /// Admits a start to `gate`'s host now if its spacing has passed and
    /// the global window has room, recording it; otherwise says when to
    /// try again. Lock order: the host's, then the global window's.
    fn try_start(&self, gate: &HostGate) -> Result<(), Instant> {
        let mut next = gate
            .next_start
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if let Some(at) = *next {
            if at > now {
                return Err(at);
            }
        }
        let admitted = self.try_admit_global(now)?;
        *next = Some(admitted + self.spacing);
        Ok(())
    }

    /// Admits one start in the global window at `now`, or says when the
    /// window will have room.
    fn try_admit_global(&self, now: Instant) -> Result<Instant, Instant> {
        let Some(global) = &self.global else {
            return Ok(now);
        };
        let mut window = global.lock().unwrap_or_else(PoisonError::into_inner);
        window
            .try_admit(self.tick(now))
            .map(|()| now)
            .map_err(|tick| self.origin + Duration::from_millis(tick))
    }

    /// Waits for room in the global window; returns the admission time.
    async fn admit_global(&self) -> Instant {
        if self.global.is_none() {
            return Instant::now();
        }
        let try_admit = || self.try_admit_global(Instant::now());
        if let Ok(now) = try_admit() {
            return now;
        }
        // Full: take a turn in the queue, then sleep until the window has
        // room. A newcomer may still slip in through the fast path when
        // room appears; the window's count, not the queue, is what holds
        // the limit.
        let _turn = self.full_queue.lock().await;
        loop {
            match try_admit() {
                Ok(now) => return now,
                Err(at) => tokio::time::sleep_until(at).await,
            }
        }
    }

    /// Whole milliseconds since the pacer began.
    fn tick(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.origin).as_millis()).unwrap_or(u64::MAX)
    }

    fn gate(&self, ip: IpAddr) -> Arc<HostGate> {
        let slots = self.limits.per_host_window as usize;
        self.lock_hosts()
            .gates
            .entry(ip)
            .or_insert_with(|| {
                Arc::new(HostGate {
                    slots: Semaphore::new(slots.min(Semaphore::MAX_PERMITS)),
                    next_start: Mutex::new(None),
                    waiting: tokio::sync::Mutex::new(()),
                })
            })
            .clone()
    }

    /// Drops `ip`'s gate if nobody else uses it and nothing is pending;
    /// now and then sweeps every such gate (those left by cancelled
    /// leases, or by hosts that were within their gap when released).
    fn release(&self, ip: IpAddr, gate: &Arc<HostGate>) {
        let now = Instant::now();
        let mut hosts = self.lock_hosts();
        // Held by the map and the caller only? Others obtain the gate
        // through the map, under this lock: the count cannot grow while we
        // look.
        if Arc::strong_count(gate) == 2 && gate.idle(now) {
            hosts.gates.remove(&ip);
        }
        if hosts.gates.len() >= hosts.sweep_at {
            hosts
                .gates
                .retain(|_, g| Arc::strong_count(g) > 1 || !g.idle(now));
            hosts.sweep_at = (hosts.gates.len() * 2).max(MIN_SWEEP);
        }
    }

    /// Hosts with state held (in flight, waiting, or within their gap).
    pub fn tracked_hosts(&self) -> usize {
        self.lock_hosts().gates.len()
    }

    fn lock_hosts(&self) -> std::sync::MutexGuard<'_, Hosts> {
        // Plain bookkeeping: a panic elsewhere cannot leave it unusable.
        self.hosts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Pacer {
    /// Limits and a count: a session printing its dialer must not dump a
    /// table of thousands of hosts.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer")
            .field("limits", &self.limits)
            .field("tracked_hosts", &self.tracked_hosts())
            .finish_non_exhaustive()
    }
}

/// A host slot held; returned on drop.
struct Lease<'a> {
    pacer: &'a Pacer,
    ip: IpAddr,
    gate: Arc<HostGate>,
    holds_slot: bool,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if self.holds_slot {
            self.gate.slots.add_permits(1);
        }
        self.pacer.release(self.ip, &self.gate);
    }
}

/// Identification's way to open connections: through the scan's pacer,
/// with the host's adaptive timeout.
#[derive(Debug, Clone)]
pub struct PacedDialer {
    pacer: Arc<Pacer>,
    rtts: Arc<RttTable>,
    floor: Duration,
}

impl PacedDialer {
    /// The shortest connect timeout identification uses, whatever the
    /// host's round-trip time: a port the sweep found open should answer
    /// at once, but one lost SYN is retransmitted by the kernel after 1 s,
    /// and a missed reconnect costs a whole identification.
    pub const FLOOR: Duration = Duration::from_secs(1);

    pub fn new(pacer: Arc<Pacer>, rtts: Arc<RttTable>) -> PacedDialer {
        PacedDialer {
            pacer,
            rtts,
            floor: PacedDialer::FLOOR,
        }
    }

    /// The connect timeout for `ip`: its adaptive timeout, at least the
    /// floor, at most the scan's maximum.
    pub fn timeout_for(&self, ip: IpAddr) -> Duration {
        self.rtts
            .timeout_for(ip)
            .max(self.floor)
            .min(self.rtts.bounds().max)
    }
}

impl Dial for PacedDialer {
    fn dial(&self, addr: SocketAddr) -> BoxFuture<'_, std::io::Result<TcpStream>> {
        Box::pin(async move {
            let (stream, rtt) = self.pacer.dial(addr, self.timeout_for(addr.ip())).await?;
            self.rtts.sample(addr.ip(), rtt);
            Ok(stream)
        })
    }
}

#[cfg(test)]
mod tests;
