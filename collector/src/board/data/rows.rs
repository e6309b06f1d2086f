//! Rows as the store returns them, typed for the pure parts; anything
//! unreadable is `Error::StoreData`, never a guess.

use std::collections::BTreeMap;

use trustwatch_rules::Severity;

use super::AgentRow;
use crate::board::kpi::{AgentSpan, ExceptionSpan, KeyHistory, Seen, Step};
use crate::board::rag::Tally;
use crate::board::register::ExceptionRow;
use crate::board::risk::Candidate;
use crate::error::{Error, Result};
use crate::store::portable::Row;

fn severity(r: &Row, i: usize) -> Result<Severity> {
    let text = r.text(i)?;
    text.parse().map_err(|_| Error::StoreData {
        reason: format!("unknown severity `{text}`"),
    })
}

/// One history per (agent, target, rule) from its changes (ordered by key,
/// then time); a current finding with no change left (retention deleted
/// them) is known from its last change on.
pub(super) fn key_histories(changes: &[Row], current: &[Row]) -> Result<Vec<KeyHistory>> {
    let mut keys: BTreeMap<(String, String, String), KeyHistory> = BTreeMap::new();
    for r in changes {
        let (agent, target, rule_id) = (r.text(0)?, r.text(2)?, r.text(3)?);
        let severity = severity(r, 4)?;
        let from = r.opt_text(5)?;
        let step = Step {
            at: r.int(7)?,
            seen: Seen::parse(&r.text(6)?),
            severity,
        };
        let site = r.text(1)?;
        keys.entry((agent, target.clone(), rule_id.clone()))
            .or_insert_with(|| KeyHistory {
                site,
                target,
                rule_id,
                before: from.as_deref().and_then(Seen::parse).map(|s| (s, severity)),
                steps: Vec::new(),
            })
            .steps
            .push(step);
    }
    for r in current {
        let (agent, target, rule_id) = (r.text(0)?, r.text(2)?, r.text(3)?);
        let key = (agent, target.clone(), rule_id.clone());
        if keys.contains_key(&key) {
            continue;
        }
        let severity = severity(r, 4)?;
        let step = Step {
            at: r.int(6)?,
            seen: Seen::parse(&r.text(5)?),
            severity,
        };
        keys.insert(
            key,
            KeyHistory {
                site: r.text(1)?,
                target,
                rule_id,
                before: None,
                steps: vec![step],
            },
        );
    }
    Ok(keys.into_values().collect())
}

pub(super) fn agent_row(r: &Row) -> Result<AgentRow> {
    Ok(AgentRow {
        name: r.text(0)?,
        first_seen: r.int(1)?,
        last_contact: r.int(2)?,
        revoked_at: r.opt_int(3)?,
    })
}

pub(super) fn agent_spans(agents: &[AgentRow], contacts: &[Row]) -> Result<Vec<AgentSpan>> {
    let mut by_agent: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in contacts {
        by_agent.entry(r.text(0)?).or_default().push(r.int(1)?);
    }
    Ok(agents
        .iter()
        .map(|a| {
            let mut contacts = by_agent.remove(&a.name).unwrap_or_default();
            // Policy fetches and renewals are contact too, but only the
            // last is kept; it counts from when it happened.
            contacts.push(a.last_contact);
            contacts.sort_unstable();
            contacts.dedup();
            AgentSpan {
                first_seen: a.first_seen,
                revoked_at: a.revoked_at,
                contacts,
            }
        })
        .collect())
}

pub(super) fn exception_row(r: &Row) -> Result<ExceptionRow> {
    Ok(ExceptionRow {
        id: r.int(0)?,
        site: r.opt_text(1)?,
        rule_id: r.text(2)?,
        target: r.text(3)?,
        owner: r.text(4)?,
        siro_accepted_on: r.text(5)?,
        created_at: r.int(6)?,
        expires_at: r.int(7)?,
        withdrawn_at: r.opt_int(8)?,
    })
}

pub(super) fn span(x: &ExceptionRow) -> ExceptionSpan {
    ExceptionSpan {
        site: x.site.clone(),
        rule_id: x.rule_id.clone(),
        target: x.target.clone(),
        created_at: x.created_at,
        expires_at: x.expires_at,
        withdrawn_at: x.withdrawn_at,
    }
}

pub(super) fn tally(r: &Row) -> Result<Tally> {
    Ok(Tally {
        rule_id: r.text(0)?,
        severity: severity(r, 1)?,
        failing: r.int(2)?,
        overdue: r.int(3)?,
        accepted: r.int(4)?,
    })
}

pub(super) fn candidate(r: &Row) -> Result<Candidate> {
    Ok(Candidate {
        site: r.text(0)?,
        target: r.text(1)?,
        rule_id: r.text(2)?,
        title: r.text(3)?,
        severity: severity(r, 4)?,
        failing_since: r.int(5)?,
        exception_owner: r.opt_text(6)?,
    })
}
