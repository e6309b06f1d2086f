//! Retention: report bodies are emptied after `report_bodies_days` (their
//! digest, ids and summary stay); history (finding changes, scan
//! summaries, sequence gaps, and report rows no current finding points to)
//! is deleted after `history_days`. Current findings are never pruned:
//! they are the state, not its history.
//!
//! Each call does bounded work ([`BATCH_ROWS`] rows per statement, at most
//! [`MAX_ROUNDS`] statements per kind), so a backlog (retention just
//! enabled, or shortened) is worked off over several runs instead of one
//! long transaction that stalls ingest.

use std::future::Future;

use time::OffsetDateTime;

use crate::error::Result;

/// Rows touched by one statement.
pub const BATCH_ROWS: i64 = 10_000;
/// Statements per kind of row in one run.
pub const MAX_ROUNDS: usize = 10;

const DAY: i64 = 86_400;

/// How long things are kept, from `[retention]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub report_bodies_days: u32,
    pub history_days: u32,
}

impl RetentionPolicy {
    /// The unix-seconds limits for a run at `now`: rows strictly older go.
    pub(crate) fn cutoffs(&self, now: OffsetDateTime) -> Cutoffs {
        let now = now.unix_timestamp();
        Cutoffs {
            now,
            bodies_before: now - i64::from(self.report_bodies_days) * DAY,
            history_before: now - i64::from(self.history_days) * DAY,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cutoffs {
    pub now: i64,
    pub bodies_before: i64,
    pub history_before: i64,
}

impl Cutoffs {
    /// The limit for `kind`: report bodies have their own, everything
    /// else goes with the history.
    pub(crate) fn before(&self, kind: PruneKind) -> i64 {
        match kind {
            PruneKind::Bodies => self.bodies_before,
            PruneKind::Changes | PruneKind::Summaries | PruneKind::Gaps | PruneKind::Reports => {
                self.history_before
            }
        }
    }
}

/// What one run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Report bodies emptied.
    pub bodies: u64,
    pub changes: u64,
    pub summaries: u64,
    pub gaps: u64,
    /// Report rows deleted (their bodies were emptied earlier).
    pub reports: u64,
    /// True when some statement hit its bound: more is left for the next run.
    pub more: bool,
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.bodies + self.changes + self.summaries + self.gaps + self.reports
    }
}

/// The kinds of rows retention removes, in the order a run handles them
/// (summaries before the reports they describe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PruneKind {
    Bodies,
    Changes,
    Summaries,
    Gaps,
    Reports,
}

impl PruneKind {
    pub const ALL: [PruneKind; 5] = [
        PruneKind::Bodies,
        PruneKind::Changes,
        PruneKind::Summaries,
        PruneKind::Gaps,
        PruneKind::Reports,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PruneKind::Bodies => "report_bodies",
            PruneKind::Changes => "finding_changes",
            PruneKind::Summaries => "scan_summaries",
            PruneKind::Gaps => "sequence_gaps",
            PruneKind::Reports => "reports",
        }
    }
}

/// One bounded run, the same on every backend: for each kind in turn,
/// `statement(kind)` (one statement of at most [`BATCH_ROWS`] rows) again
/// while it fills its batch, at most [`MAX_ROUNDS`] times; `more` is set
/// when a kind still had rows left.
pub(crate) async fn run<F, Fut>(mut statement: F) -> Result<Pruned>
where
    F: FnMut(PruneKind) -> Fut,
    Fut: Future<Output = Result<u64>>,
{
    let mut pruned = Pruned::default();
    'kinds: for kind in PruneKind::ALL {
        for _ in 0..MAX_ROUNDS {
            let n = statement(kind).await?;
            pruned.add(kind, n);
            if n < BATCH_ROWS as u64 {
                continue 'kinds;
            }
        }
        pruned.more = true;
    }
    Ok(pruned)
}

impl Pruned {
    pub fn count(&self, kind: PruneKind) -> u64 {
        match kind {
            PruneKind::Bodies => self.bodies,
            PruneKind::Changes => self.changes,
            PruneKind::Summaries => self.summaries,
            PruneKind::Gaps => self.gaps,
            PruneKind::Reports => self.reports,
        }
    }

    pub(crate) fn add(&mut self, kind: PruneKind, n: u64) {
        let slot = match kind {
            PruneKind::Bodies => &mut self.bodies,
            PruneKind::Changes => &mut self.changes,
            PruneKind::Summaries => &mut self.summaries,
            PruneKind::Gaps => &mut self.gaps,
            PruneKind::Reports => &mut self.reports,
        };
        *slot += n;
    }
}
