//! The store: agents, every report as received, the current findings per
//! (agent, target, rule) and their history, and the collector's registers
//! (enrolment and API tokens, exceptions, central policy).
//!
//! Two backends behind one handle. SQLite (the default) is a file in the
//! data folder for one collector; PostgreSQL is shared by several
//! collectors behind one load balancer. Each operation is a method here
//! that dispatches to `sqlite/` or `postgres/`, so callers never know which
//! one runs; the logic that is not SQL (what a report changes) is shared.

mod aggregate;
mod history;
mod ingest;
mod postgres;
mod query;
pub mod retention;
mod sqlite;
mod write;

use std::path::{Path, PathBuf};

use crate::config::StoreConfig;
use crate::error::Result;

pub use aggregate::{
    AgentCount, Aggregates, ControlGroup, ExpiryBySite, FindingCount, RuleFailing,
};
pub use query::{AgentRow, FindingFilter, FindingRow, MAX_FINDINGS_LIMIT};
pub use retention::{PruneKind, Pruned, RetentionPolicy};
pub use write::{IncomingReport, Refusal, SequenceGap, Stored};

pub(crate) use postgres::Postgres;
pub(crate) use sqlite::Sqlite;

pub const DB_FILE: &str = "trustwatch.db";

/// A handle to the store; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Debug, Clone)]
pub(crate) enum Backend {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

impl Store {
    /// Opens the configured store: SQLite in `data_dir`, or connects to
    /// PostgreSQL and migrates it.
    pub async fn connect(config: &StoreConfig, data_dir: &Path) -> Result<Store> {
        match config {
            StoreConfig::Sqlite => Store::open_in(data_dir),
            StoreConfig::Postgres(pg) => Ok(Store {
                backend: Backend::Postgres(Postgres::connect(pg).await?),
            }),
        }
    }

    /// Opens (creating and migrating as needed) `data_dir/trustwatch.db`.
    pub fn open_in(data_dir: &Path) -> Result<Store> {
        Store::open(&data_dir.join(DB_FILE))
    }

    /// Opens a SQLite store at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        Ok(Store {
            backend: Backend::Sqlite(Sqlite::open(path)?),
        })
    }

    /// Where the data lives, for messages: the SQLite file or the
    /// PostgreSQL database's description.
    pub fn location(&self) -> PathBuf {
        match &self.backend {
            Backend::Sqlite(s) => s.path().to_owned(),
            Backend::Postgres(p) => PathBuf::from(p.describe()),
        }
    }

    #[allow(dead_code)] // SKELETON: used by the register modules as they land.
    pub(crate) fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Stores a report, its findings' current state, their changes and
    /// its summary in one transaction; when this returns Ok the data is
    /// committed. A report the store will not take is
    /// [`Error::Refused`](crate::Error::Refused) with the reason.
    pub async fn ingest(&self, report: IncomingReport) -> Result<Stored> {
        let prepared = ingest::prepare(report)?;
        match &self.backend {
            Backend::Sqlite(s) => s.ingest(prepared).await,
            Backend::Postgres(p) => p.ingest(prepared).await,
        }
    }

    /// One bounded retention run as of `now` (see [`retention`]).
    pub async fn prune(
        &self,
        policy: RetentionPolicy,
        now: time::OffsetDateTime,
    ) -> Result<Pruned> {
        match &self.backend {
            Backend::Sqlite(s) => s.prune(policy, now).await,
            Backend::Postgres(p) => p.prune(policy, now).await,
        }
    }

    /// Current findings matching `filter`, most severe first.
    pub async fn findings(&self, filter: FindingFilter) -> Result<Vec<FindingRow>> {
        match &self.backend {
            Backend::Sqlite(s) => s.findings(filter).await,
            Backend::Postgres(p) => p.findings(filter).await,
        }
    }

    /// Every agent that has reported, by site and name.
    pub async fn agents(&self) -> Result<Vec<AgentRow>> {
        match &self.backend {
            Backend::Sqlite(s) => s.agents().await,
            Backend::Postgres(p) => p.agents().await,
        }
    }

    /// The bounded-cardinality aggregates behind `/metrics`; agents silent
    /// since before `stale_before` (unix seconds) count as stale.
    pub async fn aggregates(&self, stale_before: i64) -> Result<Aggregates> {
        match &self.backend {
            Backend::Sqlite(s) => s.aggregates(stale_before).await,
            Backend::Postgres(p) => p.aggregates(stale_before).await,
        }
    }

    /// A cheap query proving the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.ping().await,
            Backend::Postgres(p) => p.ping().await,
        }
    }
}

/// Unix seconds to RFC 3339 for API output.
pub(crate) fn unix_to_time(secs: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests;
