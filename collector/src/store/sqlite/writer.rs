//! The one SQLite writer for reports: a thread fed by a bounded queue.
//!
//! SQLite takes one writer at a time and pays for each commit (a WAL
//! append and, at `synchronous=NORMAL`, no fsync but still a lock and a
//! page flush), so reports are written in batches: the thread takes what
//! is queued (up to [`MAX_BATCH_REPORTS`] reports or
//! [`MAX_BATCH_FINDINGS`] findings), writes them all and commits once.
//! When any of them fails the whole batch is rolled back and written
//! again one report per transaction, so a bad report fails alone. Every sender
//! is answered only after COMMIT returns, so an acknowledged report is in
//! the WAL: it survives the collector being killed.
//!
//! Admission (429 when too much is queued) is the ingest handler's; the
//! queue here only bounds memory for callers that bypass it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::{db_err, write};
use crate::error::{Error, Result};
use crate::store::counts::CountDeltas;
use crate::store::ingest::Prepared;
use crate::store::Stored;

/// Reports in one transaction at most.
pub(super) const MAX_BATCH_REPORTS: usize = 64;
/// Findings in one transaction at most (a batch stops growing past this).
pub(super) const MAX_BATCH_FINDINGS: usize = 20_000;
/// Reports waiting for the writer before senders wait too.
pub(super) const QUEUE: usize = 1024;

pub(super) struct Job {
    pub prepared: Prepared,
    pub reply: oneshot::Sender<Result<Stored>>,
}

/// Starts the writer thread on `conn`; it ends when every sender is gone.
/// `batches` counts the transactions it commits (or tries to).
pub(super) fn spawn(
    conn: Arc<Mutex<Connection>>,
    path: Arc<PathBuf>,
    batches: Arc<AtomicU64>,
) -> Result<mpsc::Sender<Job>> {
    let (tx, rx) = mpsc::channel(QUEUE);
    std::thread::Builder::new()
        .name("trustwatch-sqlite-writer".into())
        .spawn(move || run(rx, &conn, &path, &batches))
        .map_err(|e| Error::Task {
            what: "SQLite writer",
            reason: e.to_string(),
        })?;
    Ok(tx)
}

fn run(mut rx: mpsc::Receiver<Job>, conn: &Mutex<Connection>, path: &Path, batches: &AtomicU64) {
    while let Some(first) = rx.blocking_recv() {
        // The lock first, then the queue: reports that arrive while a
        // register write or a retention statement holds the connection
        // join this batch instead of waiting for the next.
        // A panic while holding the lock cannot leave a half-written
        // transaction behind (SQLite rolls it back), so a poisoned lock is
        // still safe to use.
        let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut findings = first.prepared.rows.len();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH_REPORTS && findings < MAX_BATCH_FINDINGS {
            match rx.try_recv() {
                Ok(job) => {
                    findings += job.prepared.rows.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        // A panic (our bug) must not end the thread: later reports would
        // find the queue closed. Its batch's senders see their reply
        // dropped, and SQLite rolls the open transaction back.
        let results = catch_unwind(AssertUnwindSafe(|| write_batch(&mut guard, path, &batch)));
        drop(guard);
        batches.fetch_add(1, Ordering::Relaxed);
        let Ok(results) = results else {
            tracing::error!("the SQLite writer panicked; its batch was rolled back");
            continue;
        };
        for (job, result) in batch.into_iter().zip(results) {
            // A sender that stopped waiting (its connection closed) is
            // fine: the report is stored and its retry is a duplicate.
            let _ = job.reply.send(result);
        }
    }
}

/// Writes `batch`, one result per job, in order: all in one transaction
/// when none fails, else each report in a transaction of its own.
fn write_batch(conn: &mut Connection, path: &Path, batch: &[Job]) -> Vec<Result<Stored>> {
    if batch.len() > 1 {
        match write_together(conn, path, batch) {
            Ok(results) => return results,
            Err(e) => tracing::debug!(
                reports = batch.len(),
                error = %e,
                "a batch of reports failed as a whole; writing them one by one"
            ),
        }
    }
    batch
        .iter()
        .map(|job| {
            write_together(conn, path, std::slice::from_ref(job)).and_then(|mut r| r.remove(0))
        })
        .collect()
}

/// Writes every report of `batch` and commits, or, when anything fails,
/// rolls all of it back (the transaction is dropped uncommitted).
///
/// Not a SAVEPOINT per report: SQLite copies every page a savepoint
/// touches into its statement journal first, about a tenth of the
/// writer's time at estate scale, to make a failure that almost never
/// happens cheaper. A failure now costs the batch one retry, one by one.
fn write_together(
    conn: &mut Connection,
    path: &Path,
    batch: &[Job],
) -> Result<Vec<Result<Stored>>> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err(path, "begin a batch of reports"))?;
    let mut counts = CountDeltas::default();
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        results.push(write::ingest(&tx, path, &job.prepared, &mut counts)?.map_err(Error::from));
    }
    write::apply_counts(&tx, path, &counts)?;
    tx.commit()
        .map_err(db_err(path, "commit a batch of reports"))?;
    Ok(results)
}
