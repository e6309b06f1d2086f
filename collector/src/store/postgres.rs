//! The PostgreSQL backend: the scale-out store several collectors share.
//!
//! A deadpool of tokio-postgres connections, bounded by `store.pool_size`.
//! Every write that must see a consistent agent (its sequence, its
//! revocation) locks that agent's row first (`SELECT … FOR UPDATE`), so two
//! collectors receiving the same agent's retries serialise on it instead of
//! both storing the report.

mod query;
mod registry;
mod retention;
pub(super) mod schema;
mod write;

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tokio_postgres::NoTls;

use super::ingest::Prepared;
use super::retention::{Pruned, RetentionPolicy};
use super::{Refusal, Stored};
use crate::config::PostgresConfig;
use crate::error::{Error, Result};

/// How long a report waits for an ingest slot before the agent is told to
/// come back later (429): waiting longer only piles up connections.
const ADMIT_WAIT: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub(crate) struct Postgres {
    pool: Pool,
    describe: std::sync::Arc<str>,
    /// Ingest transactions at once: the pool's size, so reports never
    /// queue inside the pool behind each other (and behind queries).
    ingest_slots: Arc<Semaphore>,
}

impl std::fmt::Debug for Postgres {
    // The pool holds the password; only the description is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("database", &self.describe)
            .finish_non_exhaustive()
    }
}

impl Postgres {
    /// Builds the pool, proves the server answers and migrates the schema.
    pub(super) async fn connect(config: &PostgresConfig) -> Result<Postgres> {
        let describe: std::sync::Arc<str> = describe(&config.connect).into();
        let mut connect = config.connect.clone();
        // JIT compilation pays off for long analytic queries; ours are
        // short, and it added ~25 ms to each /metrics scrape (its cost
        // estimate counts the per-agent exception check 50,000 times) and
        // over 100 ms to the first one on a new connection, loading LLVM.
        let options = match connect.get_options() {
            Some(given) if !given.is_empty() => format!("{given} -c jit=off"),
            _ => "-c jit=off".to_owned(),
        };
        connect.options(&options);
        let manager = Manager::from_config(
            connect,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| Error::PostgresPool {
                database: describe.to_string(),
                action: "build the connection pool",
                reason: e.to_string(),
            })?;
        let pg = Postgres {
            pool,
            describe,
            ingest_slots: Arc::new(Semaphore::new(config.pool_size)),
        };
        let mut client = pg.client("connect").await?;
        schema::migrate(&mut client, &pg.describe).await?;
        Ok(pg)
    }

    /// `user@host:port/dbname`, for messages (never the password).
    pub(crate) fn describe(&self) -> &str {
        &self.describe
    }

    /// A pooled connection; waits for one to be free.
    pub(crate) async fn client(&self, action: &'static str) -> Result<Object> {
        self.pool.get().await.map_err(|e| Error::PostgresPool {
            database: self.describe.to_string(),
            action,
            reason: e.to_string(),
        })
    }

    /// Wraps a tokio-postgres error with the database and what we were doing.
    pub(crate) fn err(&self, action: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Error {
        pg_err(&self.describe, action)
    }

    pub(super) async fn ingest(&self, prepared: Prepared) -> Result<Stored> {
        let Ok(Ok(_slot)) = tokio::time::timeout(ADMIT_WAIT, self.ingest_slots.acquire()).await
        else {
            return Err(Refusal::Busy.into());
        };
        let mut client = self.client("store a report").await?;
        write::ingest(&mut client, &self.describe, &prepared).await
    }

    pub(super) async fn prune(
        &self,
        policy: RetentionPolicy,
        now: OffsetDateTime,
    ) -> Result<Pruned> {
        let cutoffs = policy.cutoffs(now);
        super::retention::run(|kind| async move {
            // A connection per statement, returned between them, so a
            // long prune never holds one the ingest needs.
            let mut client = self.client("prune old history").await?;
            retention::prune(&mut client, &self.describe, kind, cutoffs).await
        })
        .await
    }

    pub(super) async fn ping(&self) -> Result<()> {
        let client = self.client("answer a health check").await?;
        client
            .query_one("SELECT 1", &[])
            .await
            .map_err(self.err("answer a health check"))?;
        Ok(())
    }
}

pub(crate) fn pg_err(
    describe: &str,
    action: &'static str,
) -> impl FnOnce(tokio_postgres::Error) -> Error {
    let database = describe.to_owned();
    move |source| Error::Postgres {
        database,
        action,
        detail: match source.as_db_error() {
            Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
            None => source.to_string(),
        },
        source,
    }
}

fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "?".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        config.get_user().unwrap_or("?"),
        config.get_dbname().unwrap_or("?")
    )
}
