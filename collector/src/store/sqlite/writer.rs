//! The one SQLite writer for reports: a thread fed by a bounded queue.
//!
//! SQLite takes one writer at a time and pays for each commit (a WAL
//! append and, at `synchronous=NORMAL`, no fsync but still a lock and a
//! page flush), so reports are written in batches: the thread takes what
//! is queued (up to [`MAX_BATCH_REPORTS`] reports or
//! [`MAX_BATCH_FINDINGS`] findings), writes each under its own SAVEPOINT
//! (a report that fails rolls back alone) and commits once. Every sender
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

/// Writes `batch` in one transaction; one result per job, in order.
fn write_batch(conn: &mut Connection, path: &Path, batch: &[Job]) -> Vec<Result<Stored>> {
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return failed(path, batch.len(), "begin a batch of reports", &e),
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        results.push(write_one(&mut tx, path, &job.prepared));
    }
    match tx.commit() {
        Ok(()) => results,
        Err(e) => failed(path, batch.len(), "commit a batch of reports", &e),
    }
}

fn write_one(tx: &mut rusqlite::Transaction<'_>, path: &Path, p: &Prepared) -> Result<Stored> {
    let sp = tx
        .savepoint()
        .map_err(db_err(path, "open a savepoint for a report"))?;
    // On error `sp` is dropped, which rolls back to the savepoint: the
    // other reports of the batch keep their writes.
    let outcome = write::ingest(&sp, path, p)?;
    sp.commit()
        .map_err(db_err(path, "release a report's savepoint"))?;
    outcome.map_err(Error::from)
}

/// The same failure for every report of a batch (rusqlite errors do not
/// clone, so each gets the message).
fn failed(path: &Path, n: usize, action: &'static str, e: &rusqlite::Error) -> Vec<Result<Stored>> {
    (0..n)
        .map(|_| {
            Err(Error::StoreBatch {
                path: path.to_owned(),
                action,
                reason: e.to_string(),
            })
        })
        .collect()
}
