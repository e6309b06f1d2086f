//! The delivery loop: sends the oldest spooled report, one at a time, and
//! removes it only once the collector has it (202, or 200 duplicate).
//!
//! Decisions:
//! - Oldest first, one at a time: the collector sees each agent's
//!   sequence in order, so "older than the last one stored" reliably means
//!   a replay.
//! - Network errors and 5xx: exponential backoff with full jitter
//!   ([`backoff`]); 429/503 with `Retry-After`: at least that long (at most
//!   an hour). Success resets the backoff.
//! - 400, 409, 413: refused for good; the report goes to `rejected/` and
//!   the next is sent at once.
//! - 401, 403: the report is kept (the fault is the agent's identity, not
//!   the report); one error is logged per run of refusals, then backoff.
//! - A new report wakes an idle loop at once, so the first report after a
//!   start is delivered promptly; it does not cut a backoff short.

pub mod backoff;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{watch, Notify};

pub use self::backoff::Backoff;
use crate::net::Resolver;
use crate::spool::Spool;
use crate::upload::{Action, Collector, Outcome};

/// The most one delivery attempt may take, connect to receipt.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// What one attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing waiting.
    Empty,
    Delivered {
        sequence: u64,
    },
    Rejected {
        sequence: u64,
    },
    /// 401/403: the identity is refused.
    Unauthorised {
        sequence: u64,
        message: String,
    },
    /// Wait at least this long.
    RetryAfter {
        sequence: u64,
        secs: u64,
    },
    /// No delivery; retry after the backoff.
    Failed {
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub spool: Arc<Mutex<Spool>>,
    pub collector: Collector,
    pub resolver: Resolver,
    /// Notified when a report is spooled.
    pub wake: Arc<Notify>,
    pub backoff: Backoff,
    pub timeout: Duration,
}

impl Delivery {
    fn spool(&self) -> std::sync::MutexGuard<'_, Spool> {
        // Spool operations are synchronous and leave the files consistent
        // even if a panic interrupted one, so a poisoned lock is usable.
        self.spool.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One attempt at the oldest report.
    pub async fn step(&self) -> Step {
        let next = self.spool().oldest();
        let spooled = match next {
            Ok(Some(s)) => s,
            Ok(None) => return Step::Empty,
            Err(e) => {
                return Step::Failed {
                    message: e.to_string(),
                }
            }
        };
        let sequence = spooled.sequence;
        let outcome = self
            .collector
            .deliver(spooled.body, &self.resolver, self.timeout)
            .await;
        match (outcome.action(), outcome) {
            (Action::Delivered, Outcome::Accepted(r) | Outcome::Duplicate(r)) => {
                if let Err(e) = self.spool().remove(sequence) {
                    // Delivered but still on disk: it is sent again and
                    // acknowledged as a duplicate, so nothing is lost.
                    tracing::error!(sequence, error = %e, "delivered report could not be removed from the spool");
                }
                tracing::info!(
                    sequence,
                    report_id = %spooled.report_id,
                    stored_as = r.report_id,
                    findings = r.findings,
                    duplicate = r.duplicate,
                    "report delivered to the collector"
                );
                Step::Delivered { sequence }
            }
            (
                Action::Reject,
                Outcome::Refused {
                    status,
                    reason,
                    message,
                },
            ) => {
                match self.spool().reject(sequence, &reason) {
                    Ok(to) => {
                        tracing::warn!(sequence, status, reason = %reason, message = %message,
                        moved_to = %to.display(), "the collector refused the report for good; it will not be sent again")
                    }
                    Err(e) => tracing::error!(sequence, status, reason = %reason, error = %e,
                        "the collector refused the report for good, and it could not be moved to rejected/"),
                }
                Step::Rejected { sequence }
            }
            (
                Action::Unauthorised,
                Outcome::Refused {
                    status,
                    reason,
                    message,
                },
            ) => Step::Unauthorised {
                sequence,
                message: format!("{status} {reason}: {message}"),
            },
            (_, Outcome::RetryAfter { secs, .. }) => Step::RetryAfter { sequence, secs },
            (
                _,
                Outcome::Refused {
                    status,
                    reason,
                    message,
                },
            ) => Step::Failed {
                message: format!("the collector answered {status} {reason}: {message}"),
            },
            (_, Outcome::Unreachable(message)) => Step::Failed { message },
            // `action` maps Accepted and Duplicate to Delivered only.
            (_, Outcome::Accepted(_) | Outcome::Duplicate(_)) => Step::Failed {
                message: "unexpected delivery outcome".into(),
            },
        }
    }

    /// Sends what is waiting until the spool is empty or an attempt fails
    /// (no waiting: `run --once`). Returns the steps taken.
    pub async fn drain(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        loop {
            let step = self.step().await;
            let go_on = matches!(step, Step::Delivered { .. } | Step::Rejected { .. });
            steps.push(step);
            if !go_on {
                return steps;
            }
        }
    }

    /// Delivers until `stop` turns true. A report in flight at shutdown
    /// stays in the spool (sent again next start; a duplicate at worst).
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        let mut attempt: u32 = 0;
        let mut unauthorised_said = false;
        loop {
            if *stop.borrow() {
                return;
            }
            let step = tokio::select! {
                step = self.step() => step,
                _ = stop.changed() => return,
            };
            let wait = match step {
                Step::Empty => {
                    tokio::select! {
                        () = self.wake.notified() => continue,
                        _ = stop.changed() => return,
                    }
                }
                Step::Delivered { .. } | Step::Rejected { .. } => {
                    if attempt > 0 || unauthorised_said {
                        tracing::info!(
                            after_attempts = attempt,
                            "the collector takes reports again"
                        );
                    }
                    attempt = 0;
                    unauthorised_said = false;
                    continue;
                }
                Step::Unauthorised { sequence, message } => {
                    let wait = self.backoff.draw(attempt);
                    if !unauthorised_said {
                        tracing::error!(sequence, refusal = %message, retry_in_secs = wait.as_secs(),
                            "the collector refuses this agent's identity; reports are kept until it accepts them (renew or enrol again)");
                        unauthorised_said = true;
                    }
                    wait
                }
                Step::RetryAfter { sequence, secs } => {
                    tracing::info!(
                        sequence,
                        retry_after_secs = secs,
                        "the collector asked the agent to wait"
                    );
                    Duration::from_secs(secs)
                }
                Step::Failed { message } => {
                    let wait = self.backoff.draw(attempt);
                    tracing::warn!(problem = %message, attempt = attempt + 1, retry_in_ms = wait.as_millis() as u64,
                        "report not delivered; it stays in the spool");
                    wait
                }
            };
            attempt = attempt.saturating_add(1);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
