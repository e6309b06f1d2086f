//! The store: agents, every report as received, the current findings per
//! (agent, target, rule) and their history, and the collector's registers
//! (enrolment and API tokens, exceptions, central policy).
//!
//! Two backends behind one handle. SQLite (the default) is a file in the
//! data folder for one collector; PostgreSQL is shared by several
//! collectors behind one load balancer. Each operation is a method here
//! that dispatches to `sqlite/` or `postgres/`, so callers never know which
//! one runs; the logic that is not SQL (what a report changes) is shared.
//! The read side and the registers (`query/`, `aggregate.rs`,
//! `api_tokens.rs`, `exceptions.rs`, `policy.rs`, `admin.rs`) are written
//! once in portable SQL (`portable.rs`) and run by each backend's executor.

pub mod admin;
mod aggregate;
pub mod api_tokens;
mod counts;
pub mod exceptions;
mod history;
mod ingest;
pub mod ledger;
pub mod policy;
pub(crate) mod portable;
mod postgres;
pub mod query;
mod registry;
pub mod retention;
mod sqlite;
mod write;

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::config::StoreConfig;
use crate::error::Result;
use crate::identity::AgentIdentity;
use crate::policy::PolicyBody;

pub use admin::{Actor, AdminEvent, Change};
pub use aggregate::{
    AcceptedRisk, AgentCount, Aggregates, ControlGroup, ExceptionCount, ExpiryBySite, FindingCount,
    RuleFailing,
};
pub use api_tokens::{ApiToken, IssuedToken, Role, TokenCheck};
pub use exceptions::{Exception, ExceptionQuery, ExceptionState, NewException};
pub use ledger::{ChainLink, LedgerEntry};
pub use policy::{AgentPolicy, Policy};
pub use query::{
    AgentFilter, AgentRow, AgentState, ChangeRow, Coverage, Cursor, ExceptionFilter, FindingFilter,
    FindingRow, FindingSource, HistoryFilter, HostFilter, HostRow, SummaryRow, MAX_FINDINGS_LIMIT,
};
pub use registry::{
    EnrolOutcome, EnrolRefusal, EnrolRequest, NewToken, RegisteredAgent, RenewOutcome, Renewal,
    Signer, TokenRow,
};
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

    #[allow(dead_code)] // For register modules that need the backend itself.
    pub(crate) fn backend(&self) -> &Backend {
        &self.backend
    }

    /// `sqlite` or `postgres`, for the backend info metric.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
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

    /// A page of current findings matching `filter`, by (agent, target,
    /// rule); then, when `filter.coverage` asks, agents silent too long as
    /// PATCH-006 failures. Each row carries its live exception, if any.
    pub async fn findings(&self, filter: FindingFilter) -> Result<Vec<FindingRow>> {
        query::findings_query(&self.backend, &filter, now()).await
    }

    /// A page of agents by name, with their state judged now.
    pub async fn agents_page(&self, filter: AgentFilter) -> Result<Vec<AgentRow>> {
        query::agents_query(&self.backend, &filter, now()).await
    }

    /// Every agent, by name (stale after the default week). Agents number
    /// in the thousands at most, so this reads page after page.
    pub async fn agents(&self) -> Result<Vec<AgentRow>> {
        let mut all: Vec<AgentRow> = Vec::new();
        loop {
            let page = self
                .agents_page(AgentFilter {
                    after: all.last().map(|a| Cursor::Name(a.name.clone())),
                    limit: Some(query::MAX_PAGE),
                    ..AgentFilter::default()
                })
                .await?;
            let done = page.len() < query::MAX_PAGE as usize;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    /// A page of hosts (the host part of findings' targets) by name.
    pub async fn hosts(&self, filter: HostFilter) -> Result<Vec<HostRow>> {
        query::hosts_query(&self.backend, &filter).await
    }

    /// A page of finding status changes, oldest first.
    pub async fn changes(&self, filter: HistoryFilter) -> Result<Vec<ChangeRow>> {
        query::changes_query(&self.backend, &filter).await
    }

    /// A page of per-scan summaries, oldest first.
    pub async fn summaries(&self, filter: HistoryFilter) -> Result<Vec<SummaryRow>> {
        query::summaries_query(&self.backend, &filter).await
    }

    /// The bounded-cardinality aggregates behind `/metrics`; agents silent
    /// since before `stale_before` (unix seconds) count as stale.
    pub async fn aggregates(&self, stale_before: i64) -> Result<Aggregates> {
        aggregate::compute(&self.backend, stale_before, now()).await
    }

    /// Issues an API token; its text exists only in the returned value.
    pub async fn create_api_token(
        &self,
        name: &str,
        role: Role,
        expires_at: Option<i64>,
        actor: &Actor,
    ) -> Result<IssuedToken> {
        api_tokens::create(&self.backend, name, role, expires_at, actor, now()).await
    }

    pub async fn api_tokens(&self) -> Result<Vec<ApiToken>> {
        api_tokens::list(&self.backend).await
    }

    pub async fn revoke_api_token(&self, id: &str, actor: &Actor) -> Result<Change<ApiToken>> {
        api_tokens::revoke(&self.backend, id, actor, now()).await
    }

    /// Checks a presented `twa_…` token (one primary-key read).
    pub async fn authenticate_api_token(&self, text: &str) -> Result<TokenCheck> {
        api_tokens::authenticate(&self.backend, text, now()).await
    }

    /// Stores an exception; call [`NewException::validate`] first.
    pub async fn add_exception(&self, new: &NewException, actor: &Actor) -> Result<Exception> {
        exceptions::add(&self.backend, new, actor, now()).await
    }

    pub async fn exceptions(&self, query: ExceptionQuery) -> Result<Vec<Exception>> {
        exceptions::list(&self.backend, &query, now()).await
    }

    pub async fn withdraw_exception(&self, id: i64, actor: &Actor) -> Result<Change<Exception>> {
        exceptions::withdraw(&self.backend, id, actor, now()).await
    }

    /// Stores `body` (validated) as the site's policy, one version up.
    pub async fn set_policy(&self, site: &str, body: &PolicyBody, actor: &Actor) -> Result<Policy> {
        policy::set(&self.backend, site, body, actor, now()).await
    }

    pub async fn policy(&self, site: &str) -> Result<Option<Policy>> {
        policy::get(&self.backend, site).await
    }

    pub async fn policies(&self) -> Result<Vec<Policy>> {
        policy::list(&self.backend).await
    }

    /// An agent's policy fetch: records its contact and the version served.
    pub async fn policy_for_agent(&self, agent: &AgentIdentity) -> Result<AgentPolicy> {
        policy::for_agent(&self.backend, agent, now()).await
    }

    /// Sets `agents.revoked_at` (and the reason, if given): the agent's
    /// next request to any collector sharing this store is refused.
    pub async fn revoke_agent(
        &self,
        name: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<Change<OffsetDateTime>> {
        let what = admin::Revocable::Agent;
        admin::revoke(&self.backend, what, name, reason, actor, now()).await
    }

    /// Revokes an enrolment token: it enrols no one after this.
    pub async fn revoke_token(&self, id: &str, actor: &Actor) -> Result<Change<OffsetDateTime>> {
        let what = admin::Revocable::Token;
        admin::revoke(&self.backend, what, id, None, actor, now()).await
    }

    /// A page of the admin trail, oldest first.
    pub async fn admin_events(
        &self,
        after: Option<Cursor>,
        limit: Option<u32>,
    ) -> Result<Vec<AdminEvent>> {
        admin::events(&self.backend, after.as_ref(), limit).await
    }

    /// Appends a checkpoint of every agent's chain head to the ledger.
    pub async fn ledger_checkpoint(&self) -> Result<LedgerEntry> {
        let heads = ledger::heads(&self.backend).await?;
        let subject = format!("{} agent chain heads", heads.len());
        let digest = ledger::heads_digest(&heads);
        self.ledger_append(ledger::KIND_CHECKPOINT, &subject, &digest)
            .await
    }

    /// Appends a checkpoint when the last one is older than `max_age_secs`
    /// (or there is none); the checkpoint appended, if any.
    pub async fn ledger_checkpoint_due(&self, max_age_secs: i64) -> Result<Option<LedgerEntry>> {
        let last = ledger::last_at(&self.backend, ledger::KIND_CHECKPOINT).await?;
        if last.is_some_and(|at| at > now() - max_age_secs) {
            return Ok(None);
        }
        self.ledger_checkpoint().await.map(Some)
    }

    /// Appends an entry to the ledger, now.
    pub async fn ledger_append(
        &self,
        kind: &str,
        subject: &str,
        digest: &str,
    ) -> Result<LedgerEntry> {
        ledger::append(
            &self.backend,
            kind,
            subject,
            digest,
            OffsetDateTime::now_utc(),
        )
        .await
    }

    /// The whole ledger, oldest first.
    pub async fn ledger(&self) -> Result<Vec<LedgerEntry>> {
        ledger::entries(&self.backend).await
    }

    /// Every agent's chain head (agents with no chained report left out).
    pub async fn chain_heads(&self) -> Result<Vec<(String, String)>> {
        ledger::heads(&self.backend).await
    }

    /// An agent's chained reports from `from_sequence` on, in chain order.
    pub async fn report_chain(&self, agent: &str, from_sequence: i64) -> Result<Vec<ChainLink>> {
        ledger::chain(&self.backend, agent, from_sequence).await
    }

    /// The chain links of the reports `ids` (those stored with one).
    pub async fn report_links(&self, ids: &[i64]) -> Result<Vec<ChainLink>> {
        ledger::links(&self.backend, ids).await
    }

    /// The chain hash of the agent's report before `sequence`, if stored.
    pub async fn previous_chain_hash(&self, agent: &str, sequence: i64) -> Result<Option<String>> {
        ledger::previous_hash(&self.backend, agent, sequence).await
    }

    /// A report's body as stored and whether retention emptied it; None
    /// when no such report is stored.
    pub async fn report_body(&self, report_id: i64) -> Result<Option<(String, bool)>> {
        ledger::body(&self.backend, report_id).await
    }

    /// A cheap query proving the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.ping().await,
            Backend::Postgres(p) => p.ping().await,
        }
    }
}

impl Backend {
    pub(crate) fn dialect(&self) -> portable::Dialect {
        match self {
            Backend::Sqlite(_) => portable::Dialect::Sqlite,
            Backend::Postgres(_) => portable::Dialect::Postgres,
        }
    }

    /// Runs portable reads in one consistent snapshot.
    pub(crate) async fn read(
        &self,
        action: &'static str,
        queries: Vec<portable::Sql>,
    ) -> Result<Vec<Vec<portable::Row>>> {
        match self {
            Backend::Sqlite(s) => s.read(action, queries).await,
            Backend::Postgres(p) => p.read(action, &queries).await,
        }
    }

    /// Runs portable write steps in one transaction.
    pub(crate) async fn write(
        &self,
        action: &'static str,
        steps: Vec<portable::Sql>,
    ) -> Result<Vec<Vec<portable::Row>>> {
        match self {
            Backend::Sqlite(s) => s.write(action, steps).await,
            Backend::Postgres(p) => p.write(action, &steps).await,
        }
    }

    /// Runs write steps in one transaction and returns the first row they
    /// returned (the change's `… RETURNING`), or None if it matched nothing.
    pub(crate) async fn write_returning(
        &self,
        action: &'static str,
        steps: Vec<portable::Sql>,
    ) -> Result<Option<portable::Row>> {
        Ok(self
            .write(action, steps)
            .await?
            .into_iter()
            .flatten()
            .next())
    }

    /// As [`Backend::write_returning`], for a change that always returns
    /// its row; `what` names the row if it did not.
    pub(crate) async fn write_returned(
        &self,
        action: &'static str,
        steps: Vec<portable::Sql>,
        what: &str,
    ) -> Result<portable::Row> {
        self.write_returning(action, steps)
            .await?
            .ok_or_else(|| crate::error::Error::StoreData {
                reason: format!("{what} was not returned"),
            })
    }

    /// The first row of one read, if any.
    pub(crate) async fn read_first(
        &self,
        action: &'static str,
        query: portable::Sql,
    ) -> Result<Option<portable::Row>> {
        Ok(self
            .read(action, vec![query])
            .await?
            .into_iter()
            .flatten()
            .next())
    }
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

// Enrolment tokens and the agent registry (store/registry.rs).
impl Store {
    /// Stores a new enrolment token and its admin event.
    pub async fn create_token(&self, token: NewToken, actor: &Actor) -> Result<()> {
        let actor = actor.clone();
        match &self.backend {
            Backend::Sqlite(s) => s.create_token(token, actor).await,
            Backend::Postgres(p) => p.create_token(token, actor).await,
        }
    }

    /// Every enrolment token, oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenRow>> {
        match &self.backend {
            Backend::Sqlite(s) => s.tokens().await,
            Backend::Postgres(p) => p.tokens().await,
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
