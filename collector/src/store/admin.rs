//! Who changed the registers: one `admin_events` row per change, written in
//! the same transaction as the change, so the trail cannot miss one. Also
//! the API's agent revocation (the CLI's lives with enrolment; both only
//! set `agents.revoked_at`).

use serde::Serialize;
use time::OffsetDateTime;

use super::portable::{Dialect, Param, Row, Sql};
use super::query::{page_size, Cursor};
use super::{unix_to_time, Backend};
use crate::error::{Error, Result};

/// Who made a change, as recorded: `cli:<login>` or `api:<token name>#<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    /// The operator running a CLI command (their login name when known).
    pub fn cli() -> Actor {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        Actor(format!("cli:{user}"))
    }

    /// The holder of an API token.
    pub fn api(token_name: &str, token_id: &str) -> Actor {
        Actor(format!("api:{token_name}#{token_id}"))
    }

    /// The collector itself (e.g. the demo's own token).
    pub fn system(what: &str) -> Actor {
        Actor(format!("system:{what}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminEvent {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// The INSERT of one event, for a write's step list.
pub(crate) fn event(
    dialect: Dialect,
    now: i64,
    actor: &Actor,
    action: &str,
    subject: impl Into<Param>,
    detail: impl Into<Param>,
) -> Sql {
    let mut sql = Sql::new(dialect);
    sql.push("INSERT INTO admin_events (at, actor, action, subject, detail) VALUES (");
    super::portable::bind_list(
        &mut sql,
        [
            Param::Int(now),
            actor.as_str().into(),
            action.into(),
            subject.into(),
            detail.into(),
        ],
    );
    sql.push(")");
    sql
}

/// The events, oldest first, by id.
pub(crate) async fn events(
    backend: &Backend,
    after: Option<&Cursor>,
    limit: Option<u32>,
) -> Result<Vec<AdminEvent>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push("SELECT id, at, actor, action, subject, detail FROM admin_events WHERE 1 = 1");
    match after {
        None => {}
        Some(Cursor::Id(id)) => {
            sql.push(" AND id > ").bind(*id);
        }
        Some(_) => return Err(super::query::wrong_cursor()),
    }
    sql.push(" ORDER BY id LIMIT ").bind(page_size(limit));
    let rows = backend.read("read the admin events", vec![sql]).await?;
    rows.into_iter()
        .flatten()
        .map(|r: Row| {
            Ok(AdminEvent {
                id: r.int(0)?,
                at: unix_to_time(r.int(1)?),
                actor: r.text(2)?,
                action: r.text(3)?,
                subject: r.text(4)?,
                detail: r.text(5)?,
            })
        })
        .collect()
}

/// What a request to change something found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change<T> {
    /// Changed now.
    Done(T),
    /// Already in the requested state (e.g. revoked earlier): nothing changed.
    Already(T),
    NotFound,
}

/// Revokes an agent: its next request is refused. `Done(revoked_at)`.
pub(crate) async fn revoke_agent(
    backend: &Backend,
    name: &str,
    reason: &str,
    actor: &Actor,
    now: i64,
) -> Result<Change<OffsetDateTime>> {
    let d = backend.dialect();
    let mut update = Sql::new(d);
    update
        .push("UPDATE agents SET revoked_at = ")
        .bind(now)
        .push(", revoked_reason = ")
        .bind(reason)
        .push(" WHERE name = ")
        .bind(name)
        .push(" AND revoked_at IS NULL RETURNING revoked_at");
    let audit = event(d, now, actor, "agent.revoke", name, reason).only_if_previous_returned_rows();
    let mut done = backend
        .write("revoke an agent", vec![update, audit])
        .await?;
    if let Some(row) = done.first_mut().and_then(|rows| rows.pop()) {
        return Ok(Change::Done(unix_to_time(row.int(0)?)));
    }
    let mut sql = Sql::new(d);
    sql.push("SELECT revoked_at FROM agents WHERE name = ")
        .bind(name);
    let found = backend.read("revoke an agent", vec![sql]).await?;
    match found.into_iter().flatten().next() {
        None => Ok(Change::NotFound),
        Some(row) => match row.opt_int(0)? {
            Some(at) => Ok(Change::Already(unix_to_time(at))),
            // Revoked and un-revoked between the two statements: report
            // what the database says rather than guess.
            None => Err(Error::StoreData {
                reason: format!("agent `{name}` changed while it was being revoked; try again"),
            }),
        },
    }
}
