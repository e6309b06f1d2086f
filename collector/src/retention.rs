//! The hourly retention task of `serve`: empties old report bodies and
//! deletes old history (see [`crate::store::retention`]), a bounded amount
//! per run, until the caller's shutdown future completes; and, daily, a
//! ledger checkpoint of the agents' report chains.

use std::future::Future;
use std::time::Duration;

use time::OffsetDateTime;

use crate::metrics::Metrics;
use crate::store::{RetentionPolicy, Store};

/// Between runs. A run works off at most a bounded number of rows, so a
/// backlog shrinks by that much per hour; steady state needs far less.
pub const PERIOD: Duration = Duration::from_secs(3600);

/// A ledger checkpoint of every agent's chain head is appended by the
/// first run after this long (see `store/ledger.rs`): the chains are then
/// on record daily, not only when an evidence pack is made.
pub const CHECKPOINT_EVERY_SECS: i64 = 86_400;

/// Runs [`Store::prune`] now and every [`PERIOD`] until `shutdown`.
pub async fn run(
    store: Store,
    policy: RetentionPolicy,
    metrics: Metrics,
    shutdown: impl Future<Output = ()>,
) {
    let mut ticks = tokio::time::interval(PERIOD);
    // A collector that was suspended runs once when it wakes, not once
    // per missed hour.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            _ = ticks.tick() => {}
        }
        // A run is not raced against shutdown: abandoning it between a
        // statement and its commit would only waste the work, and it is
        // bounded (a few dozen short statements).
        once(&store, policy, &metrics).await;
    }
}

async fn once(store: &Store, policy: RetentionPolicy, metrics: &Metrics) {
    // Before pruning, so the heads of the chains it shortens are on record.
    match store.ledger_checkpoint_due(CHECKPOINT_EVERY_SECS).await {
        Ok(Some(entry)) => tracing::info!(
            seq = entry.seq,
            subject = %entry.subject,
            "ledger checkpoint of the agents' report chains"
        ),
        Ok(None) => {}
        // The next run tries again; packs append their own checkpoint.
        Err(e) => tracing::error!(error = %e, "ledger checkpoint failed"),
    }
    match store.prune(policy, OffsetDateTime::now_utc()).await {
        Ok(pruned) => {
            metrics.ingest.pruned(&pruned);
            if pruned.total() > 0 {
                tracing::info!(
                    bodies = pruned.bodies,
                    changes = pruned.changes,
                    summaries = pruned.summaries,
                    gaps = pruned.gaps,
                    reports = pruned.reports,
                    more = pruned.more,
                    "retention pruned old reports and history"
                );
            }
        }
        // Nothing is lost by a failed run: the next one picks up the rows.
        Err(e) => tracing::error!(error = %e, "retention run failed"),
    }
}
