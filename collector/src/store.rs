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
mod postgres;
mod query;
mod registry;
mod sqlite;
mod write;

use std::path::{Path, PathBuf};

use crate::config::StoreConfig;
use crate::error::Result;

pub use aggregate::{
    AgentCount, Aggregates, ControlGroup, ExpiryBySite, FindingCount, RuleFailing,
};
pub use query::{AgentRow, FindingFilter, FindingRow, MAX_FINDINGS_LIMIT};
pub use registry::{
    AdminEvent, EnrolOutcome, EnrolRefusal, EnrolRequest, NewToken, RegisteredAgent, RenewOutcome,
    Renewal, RevokeOutcome, Signer, TokenRow,
};
pub use write::{IncomingReport, Stored};

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

    /// Stores a report and upserts its findings in one transaction; when
    /// this returns Ok the data is committed.
    pub async fn ingest(&self, report: IncomingReport) -> Result<Stored> {
        match &self.backend {
            Backend::Sqlite(s) => s.ingest(report).await,
            Backend::Postgres(p) => p.ingest(report).await,
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

// Enrolment tokens and the agent registry (store/registry.rs).
impl Store {
    /// Stores a new enrolment token and its admin event.
    pub async fn create_token(&self, token: NewToken, event: AdminEvent) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.create_token(token, event).await,
            Backend::Postgres(p) => p.create_token(token, event).await,
        }
    }

    /// Every enrolment token, oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenRow>> {
        match &self.backend {
            Backend::Sqlite(s) => s.tokens().await,
            Backend::Postgres(p) => p.tokens().await,
        }
    }

    /// Revokes the token whose id is `event.subject`.
    pub async fn revoke_token(&self, event: AdminEvent) -> Result<RevokeOutcome> {
        self.revoke(registry::Revocable::Token, None, event).await
    }

    /// Revokes the agent named `event.subject`; its next request on any
    /// collector sharing this store is refused.
    pub async fn revoke_agent(
        &self,
        reason: Option<String>,
        event: AdminEvent,
    ) -> Result<RevokeOutcome> {
        self.revoke(registry::Revocable::Agent, reason, event).await
    }

    async fn revoke(
        &self,
        target: registry::Revocable,
        reason: Option<String>,
        event: AdminEvent,
    ) -> Result<RevokeOutcome> {
        match &self.backend {
            Backend::Sqlite(s) => s.revoke(target, reason, event).await,
            Backend::Postgres(p) => p.revoke(target, reason, event).await,
        }
    }

    /// Checks the token, consumes one use, signs (with `sign`) and records
    /// the agent, all in one transaction.
    pub async fn enrol(&self, req: EnrolRequest, sign: Signer) -> Result<EnrolOutcome> {
        match &self.backend {
            Backend::Sqlite(s) => s.enrol(req, sign).await,
            Backend::Postgres(p) => p.enrol(req, sign).await,
        }
    }

    /// Records a renewed certificate unless the agent is revoked.
    pub async fn renew(&self, renewal: Renewal) -> Result<RenewOutcome> {
        match &self.backend {
            Backend::Sqlite(s) => s.renew(renewal).await,
            Backend::Postgres(p) => p.renew(renewal).await,
        }
    }

    /// When the agent `name` was revoked, or None (also for unknown names).
    pub async fn revoked_at(&self, name: &str) -> Result<Option<i64>> {
        match &self.backend {
            Backend::Sqlite(s) => s.revoked_at(name.to_owned()).await,
            Backend::Postgres(p) => p.revoked_at(name.to_owned()).await,
        }
    }

    /// Every agent row with its enrolment, certificate and revocation state.
    pub async fn registry(&self) -> Result<Vec<RegisteredAgent>> {
        match &self.backend {
            Backend::Sqlite(s) => s.registry().await,
            Backend::Postgres(p) => p.registry().await,
        }
    }
}

/// Unix seconds to RFC 3339 for API output.
pub(crate) fn unix_to_time(secs: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests;
