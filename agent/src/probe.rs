//! The one trait every probe implements, and what a probe is given to run.
//!
//! A probe gathers observations about one target and turns them into
//! findings with the pure evaluator in `trustwatch-rules`. It never panics,
//! never fails (an unreachable target is a finding with status `error`) and
//! never runs past its limits, so the scheduler can treat every probe alike.

pub mod http;
pub mod tls;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use trustwatch_rules::{Catalogue, Finding};

use crate::net::Resolver;

/// A boxed, sendable future: keeps [`Probe`] dyn-compatible without the
/// async-trait crate.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Bounds every probe respects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// One network attempt (resolve, or connect plus handshake) never takes
    /// longer than this.
    pub timeout: Duration,
    /// The most bytes a probe reads from one connection before giving up:
    /// a hostile or broken server cannot make the agent buffer without end.
    pub max_read_bytes: usize,
}

impl Limits {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    pub fn with_timeout(timeout: Duration) -> Limits {
        Limits {
            timeout,
            ..Limits::default()
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Self::DEFAULT_TIMEOUT,
            // A handshake with a long chain is a few tens of KiB.
            max_read_bytes: 256 * 1024,
        }
    }
}

/// What a probe is given to run: the rules to judge by, the scan's clock and
/// the limits. Shared by all probes of one scan.
#[derive(Debug, Clone)]
pub struct ProbeContext {
    pub catalogue: Arc<Catalogue>,
    /// The scan's time: certificates are judged against it and it is the
    /// report's `scanned_at`, so every finding is reproducible from evidence.
    pub now: OffsetDateTime,
    pub limits: Limits,
    /// How probes find addresses for DNS names.
    pub resolver: Resolver,
}

/// One kind of check against one target.
pub trait Probe: Send + Sync + std::fmt::Debug {
    /// The probe kind, e.g. `tls`, for logs.
    fn name(&self) -> &'static str;

    /// The target exactly as given, as it appears in findings.
    fn target(&self) -> &str;

    /// The rules this probe reports on, so that a probe that crashed (a bug)
    /// can still be reported as `error` findings rather than vanish.
    fn rules(&self) -> &'static [&'static str];

    /// The host this probe connects to. The scheduler allows one connection
    /// at a time per host, because hospital networks carry fragile devices.
    fn host(&self) -> String;

    /// Runs the probe. Infallible by design: failures to reach the target
    /// are findings with status `error`.
    fn run<'a>(&'a self, ctx: &'a ProbeContext) -> BoxFuture<'a, Vec<Finding>>;
}
