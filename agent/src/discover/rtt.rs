//! Round-trip times measured by the sweep, and the connect timeouts they
//! give.
//!
//! Each connect that draws an answer (SYN-ACK: open; RST: closed) is one
//! sample of the path's round-trip time. Per host, samples feed an RFC 6298
//! estimator (smoothed RTT and its variation); a connect waits
//! `srtt + 4·rttvar`, clamped to the configured bounds, before calling the
//! port filtered. Until a host answers, it waits the maximum; once any host
//! of the scan has answered, a new host starts from twice the scan-wide
//! estimate instead, since hosts of one scan mostly sit on similar paths
//! and silent (filtered) hosts would otherwise cost the maximum per port.
//!
//! Timeouts (filtered ports) give no sample: nothing answered.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// The shortest and longest connect timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutBounds {
    pub min: Duration,
    pub max: Duration,
}

impl TimeoutBounds {
    fn clamp(self, t: Duration) -> Duration {
        t.max(self.min).min(self.max)
    }
}

/// Smoothed RTT and RTT variation, in microseconds (a u32 holds over an
/// hour: far beyond any timeout), kept small for a table of a /16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Estimate {
    srtt: u32,
    rttvar: u32,
}

/// RFC 6298 section 2 estimator, fed with connect round-trips.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RttEstimator {
    estimate: Option<Estimate>,
}

impl RttEstimator {
    pub fn new() -> RttEstimator {
        RttEstimator::default()
    }

    /// Adds one round-trip sample.
    pub fn sample(&mut self, rtt: Duration) {
        let r = micros(rtt);
        self.estimate = Some(match self.estimate {
            // RFC 6298 (2.2): SRTT <- R, RTTVAR <- R/2.
            None => Estimate {
                srtt: r,
                rttvar: r / 2,
            },
            // RFC 6298 (2.3), alpha = 1/8, beta = 1/4:
            // RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|, then
            // SRTT <- 7/8 SRTT + 1/8 R'.
            Some(Estimate { srtt, rttvar }) => {
                let (srtt, rttvar, r) = (u64::from(srtt), u64::from(rttvar), u64::from(r));
                Estimate {
                    rttvar: saturate((3 * rttvar + srtt.abs_diff(r)) / 4),
                    srtt: saturate((7 * srtt + r) / 8),
                }
            }
        });
    }

    /// The smoothed RTT, once there is a sample.
    pub fn srtt(&self) -> Option<Duration> {
        self.estimate
            .map(|e| Duration::from_micros(u64::from(e.srtt)))
    }

    /// `srtt + 4·rttvar` (RFC 6298 (2.3) with K = 4), once there is a
    /// sample; unclamped.
    pub fn rto(&self) -> Option<Duration> {
        self.estimate
            .map(|e| Duration::from_micros(u64::from(e.srtt) + 4 * u64::from(e.rttvar)))
    }

    /// The connect timeout: the RTO clamped to `bounds`, or the maximum
    /// until the first sample.
    pub fn timeout(&self, bounds: TimeoutBounds) -> Duration {
        self.rto().map_or(bounds.max, |rto| bounds.clamp(rto))
    }
}

fn micros(d: Duration) -> u32 {
    // A zero sample (loopback, coarse clock) would make the variation
    // vanish; one microsecond keeps the arithmetic honest.
    saturate(d.as_micros().max(1))
}

fn saturate(v: impl TryInto<u32>) -> u32 {
    v.try_into().unwrap_or(u32::MAX)
}

/// Per-host estimators of one scan plus the scan-wide one, shared by the
/// sweep's workers and by identification's dialer.
pub struct RttTable {
    bounds: TimeoutBounds,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Only hosts that answered at least once: a host that never answers
    /// costs no entry.
    hosts: HashMap<IpAddr, RttEstimator>,
    scan: RttEstimator,
}

impl RttTable {
    pub fn new(bounds: TimeoutBounds) -> RttTable {
        RttTable {
            bounds,
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn bounds(&self) -> TimeoutBounds {
        self.bounds
    }

    /// Adds a round-trip sample from `ip` to its estimator and the scan's.
    pub fn sample(&self, ip: IpAddr, rtt: Duration) {
        let mut inner = self.lock();
        inner.hosts.entry(ip).or_default().sample(rtt);
        inner.scan.sample(rtt);
    }

    /// How long a connect to `ip` waits for an answer: its own estimate;
    /// else twice the scan-wide one; else the maximum. Always within the
    /// bounds.
    pub fn timeout_for(&self, ip: IpAddr) -> Duration {
        let inner = self.lock();
        timeout_from(inner.hosts.get(&ip), &inner.scan, self.bounds)
    }

    /// The smoothed round-trip time of `ip`, if it ever answered.
    pub fn rtt_for(&self, ip: IpAddr) -> Option<Duration> {
        self.lock().hosts.get(&ip).and_then(RttEstimator::srtt)
    }

    /// The smoothed round-trip time over every answer of the scan.
    pub fn scan_rtt(&self) -> Option<Duration> {
        self.lock().scan.srtt()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The table holds plain numbers: a panic elsewhere cannot leave it
        // half-updated in a way that matters.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for RttTable {
    /// Bounds and counts, not every host.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("RttTable")
            .field("bounds", &self.bounds)
            .field("hosts", &inner.hosts.len())
            .field("scan_srtt", &inner.scan.srtt())
            .finish()
    }
}

/// The timeout rule, apart from the locking.
fn timeout_from(host: Option<&RttEstimator>, scan: &RttEstimator, b: TimeoutBounds) -> Duration {
    if let Some(rto) = host.and_then(RttEstimator::rto) {
        return b.clamp(rto);
    }
    match scan.rto() {
        Some(rto) => b.clamp(rto.saturating_mul(2)),
        None => b.max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn bounds() -> TimeoutBounds {
        TimeoutBounds {
            min: ms(100),
            max: ms(2000),
        }
    }

    #[test]
    fn first_sample_sets_srtt_and_half_variation() {
        let mut e = RttEstimator::new();
        assert_eq!(e.srtt(), None);
        assert_eq!(e.timeout(bounds()), ms(2000));
        e.sample(ms(40));
        assert_eq!(e.srtt(), Some(ms(40)));
        // 40 + 4 * 20.
        assert_eq!(e.rto(), Some(ms(120)));
        assert_eq!(e.timeout(bounds()), ms(120));
    }

    #[test]
    fn later_samples_follow_rfc_6298() {
        let mut e = RttEstimator::new();
        e.sample(ms(100));
        e.sample(ms(200));
        // rttvar = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; srtt = 7/8 * 100
        // + 1/8 * 200 = 112.5.
        assert_eq!(e.srtt(), Some(Duration::from_micros(112_500)));
        assert_eq!(e.rto(), Some(Duration::from_micros(112_500 + 250_000)));
        // Steady samples shrink the variation towards zero.
        for _ in 0..100 {
            e.sample(ms(10));
        }
        let rto = e.rto().unwrap();
        assert!(rto >= ms(10) && rto < ms(11), "{rto:?}");
        assert_eq!(e.timeout(bounds()), ms(100), "clamped to the minimum");
    }

    #[test]
    fn timeouts_stay_within_bounds() {
        let mut e = RttEstimator::new();
        e.sample(Duration::ZERO);
        assert_eq!(e.timeout(bounds()), ms(100));
        e.sample(Duration::from_secs(30));
        assert_eq!(e.timeout(bounds()), ms(2000));
        let mut huge = RttEstimator::new();
        huge.sample(Duration::from_secs(100_000));
        assert_eq!(huge.timeout(bounds()), ms(2000));
    }

    #[test]
    fn new_hosts_start_from_twice_the_scan_estimate() {
        let t = RttTable::new(bounds());
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert_eq!(t.timeout_for(a), ms(2000), "no answer yet: the maximum");
        assert_eq!(t.rtt_for(a), None);
        t.sample(a, ms(100));
        // a: 100 + 4 * 50 = 300; b has no sample: twice the scan's.
        assert_eq!(t.timeout_for(a), ms(300));
        assert_eq!(t.timeout_for(b), ms(600));
        assert_eq!(t.rtt_for(a), Some(ms(100)));
        assert_eq!(t.rtt_for(b), None);
        assert_eq!(t.scan_rtt(), Some(ms(100)));
        t.sample(b, ms(1));
        assert_eq!(t.timeout_for(b), ms(100));
        // A slow scan estimate still caps at the maximum.
        let slow = RttTable::new(bounds());
        slow.sample(a, ms(900));
        assert_eq!(slow.timeout_for(b), ms(2000));
    }
}
