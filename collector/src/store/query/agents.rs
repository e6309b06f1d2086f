//! Agents with their heartbeat, certificate, sequence and revocation, by
//! name. State is judged here, once, so the API, the metrics and PATCH-006
//! agree on who is stale.

use super::{page_size, AgentFilter, AgentRow, AgentState, Cursor};
use crate::error::{Error, Result};
use crate::store::portable::{Row, Sql};
use crate::store::{unix_to_time, Backend};

/// The heartbeat: any authenticated request, or the last report for an
/// agent that has made no other.
pub(crate) const CONTACT: &str = "COALESCE(a.last_contact, a.last_seen)";

pub(crate) async fn agents(backend: &Backend, f: &AgentFilter, now: i64) -> Result<Vec<AgentRow>> {
    let stale_before = now - f.stale_after_secs;
    let mut sql = Sql::new(backend.dialect());
    sql.push(&format!(
        "SELECT a.name, a.site, a.cert_fingerprint, a.enrolled_at, a.first_seen, a.last_seen,
                {CONTACT}, a.cert_not_after, a.revoked_at, a.revoked_reason, a.last_sequence,
                a.policy_version,
                (SELECT MAX(r.received_at) FROM reports r WHERE r.agent = a.name),
                (SELECT COUNT(*) FROM reports r WHERE r.agent = a.name),
                (SELECT COUNT(*) FROM sequence_gaps g WHERE g.agent = a.name)
         FROM agents a WHERE 1 = 1"
    ));
    if let Some(site) = &f.site {
        sql.push(" AND a.site = ").bind(site);
    }
    match f.state {
        None => {}
        Some(AgentState::Revoked) => {
            sql.push(" AND a.revoked_at IS NOT NULL");
        }
        Some(AgentState::Stale) => {
            sql.push(&format!(" AND a.revoked_at IS NULL AND {CONTACT} < "))
                .bind(stale_before);
        }
        Some(AgentState::Active) => {
            sql.push(&format!(" AND a.revoked_at IS NULL AND {CONTACT} >= "))
                .bind(stale_before);
        }
    }
    match &f.after {
        None => {}
        Some(Cursor::Name(name)) => {
            sql.push(" AND a.name > ").bind(name);
        }
        Some(_) => return Err(wrong_cursor()),
    }
    sql.push(" ORDER BY a.name LIMIT ").bind(page_size(f.limit));
    let rows = backend.read("query agents", vec![sql]).await?;
    rows.into_iter()
        .flatten()
        .map(|r| agent_row(&r, stale_before))
        .collect()
}

pub(crate) fn wrong_cursor() -> Error {
    Error::InvalidArgument {
        what: "cursor",
        value: "(given)".into(),
        reason: "it was issued for another list".into(),
    }
}

fn agent_row(r: &Row, stale_before: i64) -> Result<AgentRow> {
    let contact = r.int(6)?;
    let revoked_at = r.opt_int(8)?;
    let state = match revoked_at {
        Some(_) => AgentState::Revoked,
        None if contact < stale_before => AgentState::Stale,
        None => AgentState::Active,
    };
    Ok(AgentRow {
        name: r.text(0)?,
        site: r.text(1)?,
        state,
        cert_fingerprint: r.text(2)?,
        enrolled_at: r.opt_int(3)?.map(unix_to_time),
        first_seen: unix_to_time(r.int(4)?),
        last_seen: unix_to_time(r.int(5)?),
        last_contact: unix_to_time(contact),
        cert_not_after: r.opt_int(7)?.map(unix_to_time),
        revoked_at: revoked_at.map(unix_to_time),
        revoked_reason: r.opt_text(9)?,
        last_sequence: r.int(10)?,
        policy_version: r.opt_int(11)?,
        last_report: r.opt_int(12)?.map(unix_to_time),
        reports: r.int(13)?,
        sequence_gaps: r.int(14)?,
    })
}
