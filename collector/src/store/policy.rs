//! Central policy per site, stored as the JSON of a validated
//! [`PolicyBody`]; the version rises by one on every change, atomically
//! (an upsert), so collectors sharing a database never hand out the same
//! version for two different bodies.

use serde::Serialize;
use time::OffsetDateTime;

use super::admin::{event, Actor};
use super::portable::{Param, Row, Sql};
use super::{unix_to_time, Backend};
use crate::error::{Error, Result};
use crate::identity::AgentIdentity;
use crate::policy::PolicyBody;

/// A site's policy as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub site: String,
    pub version: i64,
    pub body: PolicyBody,
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
}

/// The JSON agents receive: exactly the wire contract's keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServedPolicy<'a> {
    pub site: &'a str,
    pub version: i64,
    #[serde(flatten)]
    pub body: &'a PolicyBody,
}

/// The JSON the HTTP API shows: the served policy and who changed it when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyView<'a> {
    #[serde(flatten)]
    pub served: ServedPolicy<'a>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: &'a str,
}

impl Policy {
    pub fn served(&self) -> ServedPolicy<'_> {
        ServedPolicy {
            site: &self.site,
            version: self.version,
            body: &self.body,
        }
    }

    pub fn view(&self) -> PolicyView<'_> {
        PolicyView {
            served: self.served(),
            updated_at: self.updated_at,
            updated_by: &self.updated_by,
        }
    }
}

/// What an agent's policy fetch found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentPolicy {
    /// The agent is revoked: refuse, serve nothing.
    Revoked,
    /// The site has no policy.
    NoPolicy,
    Policy(Box<Policy>),
}

const COLUMNS: &str = "site, version, body, updated_at, updated_by";

fn policy_row(r: &Row) -> Result<Policy> {
    Ok(Policy {
        site: r.text(0)?,
        version: r.int(1)?,
        body: r.json(2)?,
        updated_at: unix_to_time(r.int(3)?),
        updated_by: r.text(4)?,
    })
}

/// Stores `body` (validate it first) as `site`'s policy, one version up.
pub(crate) async fn set(
    backend: &Backend,
    site: &str,
    body: &PolicyBody,
    actor: &Actor,
    now: i64,
) -> Result<Policy> {
    crate::ca::check_label("site", site)?;
    let json = serde_json::to_string(body).map_err(|e| Error::StoreData {
        reason: format!("the policy cannot be written as JSON: {e}"),
    })?;
    let d = backend.dialect();
    let mut upsert = Sql::new(d);
    upsert
        .push("INSERT INTO policies (site, version, body, updated_at, updated_by) VALUES (")
        .bind(site)
        .push(", 1, ")
        .bind(json)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(actor.as_str())
        .push(&format!(
            ") ON CONFLICT (site) DO UPDATE SET version = policies.version + 1,
                 body = excluded.body, updated_at = excluded.updated_at,
                 updated_by = excluded.updated_by
             RETURNING {COLUMNS}"
        ));
    let version = Param::Previous {
        column: 1,
        text: true,
    };
    let audit = event(d, now, actor, "policy.set", site, version);
    let row = backend
        .write_returned("set a policy", vec![upsert, audit], "the stored policy")
        .await?;
    policy_row(&row)
}

pub(crate) async fn get(backend: &Backend, site: &str) -> Result<Option<Policy>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push(&format!("SELECT {COLUMNS} FROM policies WHERE site = "))
        .bind(site);
    let rows = backend.read("read a policy", vec![sql]).await?;
    rows.iter().flatten().next().map(policy_row).transpose()
}

pub(crate) async fn list(backend: &Backend) -> Result<Vec<Policy>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push(&format!("SELECT {COLUMNS} FROM policies ORDER BY site"));
    let rows = backend.read("list policies", vec![sql]).await?;
    rows.iter().flatten().map(policy_row).collect()
}

/// An agent's check-in: its site's policy, recording the contact and the
/// version handed out (or none) on the agent's row, in one transaction.
pub(crate) async fn for_agent(
    backend: &Backend,
    agent: &AgentIdentity,
    now: i64,
) -> Result<AgentPolicy> {
    let d = backend.dialect();
    let mut revoked = Sql::new(d);
    revoked
        .push("SELECT revoked_at FROM agents WHERE name = ")
        .bind(&agent.name);
    let mut policy = Sql::new(d);
    policy
        .push(&format!("SELECT {COLUMNS} FROM policies WHERE site = "))
        .bind(&agent.site);
    let mut touch = Sql::new(d);
    touch
        .push("UPDATE agents SET last_contact = CASE WHEN last_contact IS NULL OR last_contact < ")
        .bind(now)
        .push(" THEN ")
        .bind(now)
        .push(
            " ELSE last_contact END, policy_version = (SELECT version FROM policies WHERE site = ",
        )
        .bind(&agent.site)
        .push(") WHERE name = ")
        .bind(&agent.name)
        .push(" AND revoked_at IS NULL");
    let mut rows = backend
        .write("serve a policy", vec![revoked, policy, touch])
        .await?
        .into_iter();
    let agent_row = rows.next().unwrap_or_default();
    if let Some(row) = agent_row.first() {
        if row.opt_int(0)?.is_some() {
            return Ok(AgentPolicy::Revoked);
        }
    }
    match rows.next().unwrap_or_default().first() {
        Some(row) => Ok(AgentPolicy::Policy(Box::new(policy_row(row)?))),
        None => Ok(AgentPolicy::NoPolicy),
    }
}
