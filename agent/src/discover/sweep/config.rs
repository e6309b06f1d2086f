//! How hard the sweep may push: its window, rates and timeouts.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::discover::rate::PacerLimits;
use crate::discover::rtt::TimeoutBounds;

/// The sweep's limits. [`SweepConfig::default`] suits servers;
/// [`SweepConfig::gentle`] suits device ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepConfig {
    /// Connects in flight at most, over all hosts (clamped further to half
    /// the open-files limit, see [`SweepConfig::effective_window`]).
    pub window: usize,
    /// New connections per second over all hosts; `None`: unlimited.
    pub rate: Option<u32>,
    /// New connections per second to one host; `None`: unlimited.
    pub host_rate: Option<u32>,
    /// Connects in flight at most to one host.
    pub per_host_window: u32,
    /// The least time between two connection starts to one host.
    pub host_gap: Duration,
    /// The shortest connect timeout, however fast a host answers.
    pub min_timeout: Duration,
    /// The longest connect timeout (`--timeout`), used until a host or the
    /// scan has a round-trip estimate.
    pub max_timeout: Duration,
}

impl SweepConfig {
    pub const DEFAULT_WINDOW: usize = 512;
    pub const DEFAULT_RATE: u32 = 1000;
    pub const DEFAULT_HOST_RATE: u32 = 200;
    pub const DEFAULT_PER_HOST_WINDOW: u32 = 16;
    /// nmap's default `--min-rtt-timeout`. Hospital networks put Wi-Fi
    /// hops and busy embedded stacks on the path, which can take tens of
    /// milliseconds to answer a SYN however fast they answered before, and
    /// a timeout that fires too early reports an open port as filtered: a
    /// silent miss, worse than a slower sweep. A filtered port costs this
    /// much once the host's estimate has settled.
    pub const DEFAULT_MIN_TIMEOUT: Duration = Duration::from_millis(100);
    pub const DEFAULT_MAX_TIMEOUT: Duration = Duration::from_secs(2);
    /// Spacing between connection starts to one device in gentle mode.
    pub const GENTLE_GAP: Duration = Duration::from_millis(500);
    /// Longest accepted timeout and gap: beyond a minute a scan of a /24
    /// would take days, which is a typo rather than a wish.
    pub const MAX_DURATION: Duration = Duration::from_secs(60);

    /// Defaults adjusted for device ranges: one connection at a time per
    /// host, half a second apart.
    pub fn gentle() -> SweepConfig {
        SweepConfig::default().into_gentle()
    }

    /// `self` with the gentle adjustments.
    pub fn into_gentle(self) -> SweepConfig {
        SweepConfig {
            per_host_window: 1,
            host_gap: self.host_gap.max(SweepConfig::GENTLE_GAP),
            ..self
        }
    }

    /// Checks every value; the message names the field at fault.
    pub fn validate(&self) -> Result<(), SweepConfigError> {
        if self.window == 0 {
            return Err(SweepConfigError::Zero { field: "window" });
        }
        if self.per_host_window == 0 {
            return Err(SweepConfigError::Zero {
                field: "per-host window",
            });
        }
        if self.rate == Some(0) {
            return Err(SweepConfigError::Zero { field: "rate" });
        }
        if self.host_rate == Some(0) {
            return Err(SweepConfigError::Zero { field: "host rate" });
        }
        if self.min_timeout.is_zero() {
            return Err(SweepConfigError::Zero {
                field: "minimum timeout",
            });
        }
        for (field, value) in [("timeout", self.max_timeout), ("host gap", self.host_gap)] {
            if value > SweepConfig::MAX_DURATION {
                return Err(SweepConfigError::TooLong {
                    field,
                    value,
                    limit: SweepConfig::MAX_DURATION,
                });
            }
        }
        if self.min_timeout > self.max_timeout {
            return Err(SweepConfigError::TimeoutsCross {
                min: self.min_timeout,
                max: self.max_timeout,
            });
        }
        Ok(())
    }

    /// The limits the scan's [`crate::discover::rate::Pacer`] enforces.
    pub fn pacer_limits(&self) -> PacerLimits {
        PacerLimits {
            rate: self.rate.and_then(NonZeroU32::new),
            host_rate: self.host_rate.and_then(NonZeroU32::new),
            per_host_window: self.per_host_window.max(1),
            host_gap: self.host_gap,
        }
    }

    pub fn timeout_bounds(&self) -> TimeoutBounds {
        let max = self.max_timeout.max(Duration::from_millis(1));
        TimeoutBounds {
            min: self.min_timeout.min(max),
            max,
        }
    }

    /// The window actually used: at least 1, and at most half the soft
    /// limit on open files. Every connect in flight holds a descriptor;
    /// the other half is left to identification, the runtime and the
    /// upload, so the sweep never meets EMFILE however large `window` is.
    pub fn effective_window(&self) -> usize {
        let cap = open_files_soft_limit().unwrap_or(ASSUMED_OPEN_FILES) / 2;
        self.window
            .clamp(1, usize::try_from(cap).unwrap_or(usize::MAX).max(1))
    }
}

impl Default for SweepConfig {
    fn default() -> Self {
        SweepConfig {
            window: SweepConfig::DEFAULT_WINDOW,
            rate: Some(SweepConfig::DEFAULT_RATE),
            host_rate: Some(SweepConfig::DEFAULT_HOST_RATE),
            per_host_window: SweepConfig::DEFAULT_PER_HOST_WINDOW,
            host_gap: Duration::ZERO,
            min_timeout: SweepConfig::DEFAULT_MIN_TIMEOUT,
            max_timeout: SweepConfig::DEFAULT_MAX_TIMEOUT,
        }
    }
}

/// A sweep setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SweepConfigError {
    #[error("the {field} must be at least 1")]
    Zero { field: &'static str },
    #[error("the {field} of {value:?} is longer than the limit of {limit:?}")]
    TooLong {
        field: &'static str,
        value: Duration,
        limit: Duration,
    },
    #[error("the minimum timeout {min:?} is longer than the timeout {max:?}")]
    TimeoutsCross { min: Duration, max: Duration },
}

/// The usual default soft limit, assumed where it cannot be read.
const ASSUMED_OPEN_FILES: u64 = 1024;

/// The soft RLIMIT_NOFILE, read from /proc (no unsafe `getrlimit`).
fn open_files_soft_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_files_soft(&text)
}

/// From `/proc/self/limits`: `Max open files  20000  20000  files`.
/// `unlimited` reads as `u64::MAX`.
pub(super) fn parse_open_files_soft(text: &str) -> Option<u64> {
    let rest = text
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))?;
    match rest.split_whitespace().next()? {
        "unlimited" => Some(u64::MAX),
        soft => soft.parse().ok(),
    }
}
