//! The SQLite backend: one file in the data folder.
//!
//! One writer connection and one reader connection, each behind a mutex and
//! only ever used from `spawn_blocking`, so SQLite's blocking I/O never
//! stalls the async runtime. WAL mode lets the reader (metrics scrapes, API
//! queries) run while the writer commits.

mod aggregate;
mod query;
mod registry;
pub(super) mod schema;
mod write;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

use super::{AgentRow, Aggregates, FindingFilter, FindingRow, IncomingReport, Stored};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub(crate) struct Sqlite {
    path: Arc<PathBuf>,
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
}

impl Sqlite {
    pub(super) fn open(path: &Path) -> Result<Sqlite> {
        let mut writer = Connection::open(path).map_err(db_err(path, "open"))?;
        configure(&writer).map_err(db_err(path, "configure"))?;
        schema::migrate(&mut writer, path)?;
        let reader = Connection::open(path).map_err(db_err(path, "open"))?;
        configure(&reader).map_err(db_err(path, "configure"))?;
        Ok(Sqlite {
            path: Arc::new(path.to_owned()),
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(super) async fn ingest(&self, report: IncomingReport) -> Result<Stored> {
        let path = self.path.clone();
        self.with_writer(move |conn| write::ingest(conn, &path, &report))
            .await
    }

    pub(super) async fn findings(&self, filter: FindingFilter) -> Result<Vec<FindingRow>> {
        let path = self.path.clone();
        self.with_reader(move |conn| query::findings(conn, &path, &filter))
            .await
    }

    pub(super) async fn agents(&self) -> Result<Vec<AgentRow>> {
        let path = self.path.clone();
        self.with_reader(move |conn| query::agents(conn, &path))
            .await
    }

    pub(super) async fn aggregates(&self, stale_before: i64) -> Result<Aggregates> {
        let path = self.path.clone();
        self.with_reader(move |conn| aggregate::compute(conn, &path, stale_before))
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
    conn.busy_timeout(Duration::from_secs(5))?;
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
