//! The SQLite backend: one file in the data folder.
//!
//! One writer connection and one reader connection, each behind a mutex and
//! only ever used off the async runtime (`spawn_blocking`, or the report
//! writer's own thread), so SQLite's blocking I/O never stalls it. WAL mode
//! lets the reader (metrics scrapes, API queries) run while the writer
//! commits. Reports reach the writer connection through one queue and are
//! committed in batches (`writer.rs`); other writes take the same
//! connection between batches through [`Sqlite::with_writer`].

mod query;
mod registry;
mod retention;
pub(super) mod schema;
mod write;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use super::ingest::Prepared;
use super::portable::{Row, Sql};
use super::retention::{Pruned, RetentionPolicy};
use super::Stored;
use crate::error::{Error, Result};

/// The writer's page cache, in KiB (negative: SQLite's unit for KiB).
const WRITER_CACHE_KIB: i64 = -64 * 1024;

/// Statements kept prepared per connection: the writer's dozen, plus room
/// for the registers' and the queries'.
const STATEMENT_CACHE: usize = 64;

#[derive(Debug, Clone)]
pub(crate) struct Sqlite {
    path: Arc<PathBuf>,
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
    reports: mpsc::Sender<writer::Job>,
    batches: Arc<AtomicU64>,
}

impl Sqlite {
    pub(super) fn open(path: &Path) -> Result<Sqlite> {
        let mut writer = Connection::open(path).map_err(db_err(path, "open"))?;
        configure(&writer).map_err(db_err(path, "configure"))?;
        // A batch dirties index pages all over the findings table; a page
        // cache that holds them keeps SQLite from spilling them into the
        // WAL mid-transaction and rewriting them at commit.
        writer
            .pragma_update(None, "cache_size", WRITER_CACHE_KIB)
            .map_err(db_err(path, "configure"))?;
        schema::migrate(&mut writer, path)?;
        let reader = Connection::open(path).map_err(db_err(path, "open"))?;
        configure(&reader).map_err(db_err(path, "configure"))?;
        let path = Arc::new(path.to_owned());
        let writer = Arc::new(Mutex::new(writer));
        let batches = Arc::new(AtomicU64::new(0));
        let reports = writer::spawn(writer.clone(), path.clone(), batches.clone())?;
        Ok(Sqlite {
            path,
            writer,
            reader: Arc::new(Mutex::new(reader)),
            reports,
            batches,
        })
    }

    /// Report transactions the writer has run, for tests of batching.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn batches(&self) -> u64 {
        self.batches.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Queues the report for the writer thread and waits for its commit.
    pub(super) async fn ingest(&self, prepared: Prepared) -> Result<Stored> {
        let gone = || Error::Task {
            what: "SQLite writer",
            reason: "it stopped".into(),
        };
        let (reply, answer) = oneshot::channel();
        self.reports
            .send(writer::Job { prepared, reply })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    pub(super) async fn prune(
        &self,
        policy: RetentionPolicy,
        now: OffsetDateTime,
    ) -> Result<Pruned> {
        let cutoffs = policy.cutoffs(now);
        // One statement per turn on the writer connection, so report
        // batches interleave with a long prune instead of waiting for it.
        super::retention::run(|kind| {
            let path = self.path.clone();
            self.with_writer(move |conn| retention::prune(conn, &path, kind, cutoffs))
        })
        .await
    }

    pub(super) async fn read(
        &self,
        action: &'static str,
        queries: Vec<Sql>,
    ) -> Result<Vec<Vec<Row>>> {
        let path = self.path.clone();
        self.with_reader(move |conn| query::read(conn, &path, action, &queries))
            .await
    }

    pub(super) async fn write(
        &self,
        action: &'static str,
        steps: Vec<Sql>,
    ) -> Result<Vec<Vec<Row>>> {
        let path = self.path.clone();
        self.with_writer(move |conn| query::write(conn, &path, action, &steps))
            .await
    }

    pub(super) async fn ping(&self) -> Result<()> {
        let path = self.path.clone();
        self.with_reader(move |conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(db_err(&path, "answer a health check"))
        })
        .await
    }

    /// Runs `f` on the writer connection off the async runtime.
    pub(crate) async fn with_writer<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        blocking(self.writer.clone(), f).await
    }

    /// Runs `f` on the reader connection off the async runtime.
    pub(crate) async fn with_reader<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        blocking(self.reader.clone(), f).await
    }
}

async fn blocking<T: Send + 'static>(
    conn: Arc<Mutex<Connection>>,
    f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(move || {
        // A panic while holding the lock cannot leave a half-written
        // transaction behind (SQLite rolls it back), so a poisoned lock is
        // still safe to use.
        let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    })
    .await
    .map_err(|e| Error::Task {
        what: "store",
        reason: e.to_string(),
    })?
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // WAL: readers never block the writer. NORMAL: a commit survives a
    // process crash; only an OS crash or power loss can lose the last
    // commits, the trade-off the design asks for.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Statement journals (a multi-row statement, a foreign key check, a
    // retention DELETE) in memory, not a temporary file: no I/O.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Wraps a SQLite error with the store's path and what we were doing.
pub(crate) fn db_err<'a>(
    path: &'a Path,
    action: &'static str,
) -> impl FnOnce(rusqlite::Error) -> Error + 'a {
    move |source| Error::Store {
        path: path.to_owned(),
        action,
        source,
    }
}
