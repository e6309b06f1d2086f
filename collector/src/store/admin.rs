//! Who changed the registers: one `admin_events` row per change, written in
//! the same transaction as the change, so the trail cannot miss one. Also
//! revocation of agents and enrolment tokens, for the CLI and the API alike
//! (it only sets `revoked_at`).

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

    /// An agent enrolling with an enrolment token.
    pub fn enrolment_token(token_id: &str) -> Actor {
        Actor(format!("token:{token_id}"))
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

/// What [`revoke`] sets `revoked_at` on; the key is the event's subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Revocable {
    /// An enrolment token, by id: it enrols no one after this.
    Token,
    /// An agent, by name: its next request is refused.
    Agent,
}

impl Revocable {
    fn noun(self) -> &'static str {
        match self {
            Revocable::Token => "enrolment token",
            Revocable::Agent => "agent",
        }
    }

    /// (table, key column, admin event action, what the errors call it).
    fn parts(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Revocable::Token => (
                "enrol_tokens",
                "id",
                "token.revoke",
                "revoke an enrolment token",
            ),
            Revocable::Agent => ("agents", "name", "agent.revoke", "revoke an agent"),
        }
    }
}

/// Revokes a token or an agent, with its `admin_events` row (detail: the
/// reason, or empty) in the same transaction; the CLI and the API both come
/// here. `Done(revoked_at)`, or `Already(when it was revoked)`.
pub(crate) async fn revoke(
    backend: &Backend,
    what: Revocable,
    key: &str,
    reason: Option<&str>,
    actor: &Actor,
    now: i64,
) -> Result<Change<OffsetDateTime>> {
    let (table, column, action, doing) = what.parts();
    let d = backend.dialect();
    let mut update = Sql::new(d);
    update
        .push(&format!("UPDATE {table} SET revoked_at = "))
        .bind(now);
    match (what, reason) {
        (Revocable::Agent, Some(reason)) => {
            update.push(", revoked_reason = ").bind(reason);
        }
        (Revocable::Agent, None) => {
            update.push(", revoked_reason = NULL");
        }
        (Revocable::Token, _) => {}
    }
    update
        .push(&format!(" WHERE {column} = "))
        .bind(key)
        .push(" AND revoked_at IS NULL RETURNING revoked_at");
    let audit =
        event(d, now, actor, action, key, reason.unwrap_or("")).only_if_previous_returned_rows();
    let done = backend.write_returning(doing, vec![update, audit]).await?;
    if let Some(row) = done {
        return Ok(Change::Done(unix_to_time(row.int(0)?)));
    }
    let mut sql = Sql::new(d);
    sql.push(&format!("SELECT revoked_at FROM {table} WHERE {column} = "))
        .bind(key);
    match backend.read_first(doing, sql).await? {
        None => Ok(Change::NotFound),
        Some(row) => match row.opt_int(0)? {
            Some(at) => Ok(Change::Already(unix_to_time(at))),
            // Revoked and un-revoked between the two statements: report
            // what the database says rather than guess.
            None => Err(Error::StoreData {
                reason: format!(
                    "{} `{key}` changed while it was being revoked; try again",
                    what.noun()
                ),
            }),
        },
    }
}
