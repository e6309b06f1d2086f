//! Exponential backoff with full jitter: the wait before retry `n` is
//! uniform in `[0, min(cap, base * 2^n))`. Full jitter spreads a fleet of
//! agents that lost the collector at the same moment, so they do not all
//! come back at the same moment either.

use std::time::Duration;

use ring::rand::SecureRandom;

pub const DEFAULT_BASE: Duration = Duration::from_secs(1);
pub const DEFAULT_CAP: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: DEFAULT_BASE,
            cap: DEFAULT_CAP,
        }
    }
}

impl Backoff {
    /// The longest wait before retry `attempt` (from 0).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        // 2^31 seconds is beyond any cap; saturate rather than overflow.
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The wait before retry `attempt`, for `unit` uniform in [0, 1).
    pub fn wait(&self, attempt: u32, unit: f64) -> Duration {
        self.ceiling(attempt).mul_f64(unit.clamp(0.0, 1.0))
    }

    /// The wait before retry `attempt`, drawn from the system's randomness.
    pub fn draw(&self, attempt: u32) -> Duration {
        self.wait(attempt, unit())
    }
}

/// A uniform draw from [0, 1); 0.5 if the system's randomness fails (the
/// backoff is then merely less spread, never shorter than it should be on
/// average).
fn unit() -> f64 {
    let mut bytes = [0u8; 8];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        return 0.5;
    }
    // 53 random bits: every value exactly representable as an f64.
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_cap() {
        let b = Backoff::default();
        let secs: Vec<u64> = (0..12).map(|n| b.ceiling(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(b.ceiling(u32::MAX), DEFAULT_CAP);
    }

    #[test]
    fn waits_are_full_jitter_below_the_ceiling() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        assert_eq!(b.wait(3, 0.0), Duration::ZERO);
        assert_eq!(b.wait(3, 0.5), Duration::from_millis(400));
        assert_eq!(b.wait(10, 0.5), Duration::from_millis(500));
        for attempt in 0..20 {
            let w = b.draw(attempt);
            assert!(w <= b.ceiling(attempt), "{w:?} at {attempt}");
        }
        // Draws differ (a fixed value would not spread a fleet).
        let draws: std::collections::BTreeSet<Duration> = (0..20).map(|_| b.draw(10)).collect();
        assert!(draws.len() > 10, "{draws:?}");
    }
}
