//! History as state changes: what one report changes in the current
//! findings of the targets it covers. Both backends read the current rows
//! of (agent, those targets), call [`plan`], and write what it says, so the
//! rules below hold identically on SQLite and PostgreSQL.
//!
//! - A finding seen for the first time is inserted and recorded as a change
//!   from nothing (`from_status` NULL).
//! - A finding whose status differs is updated and recorded as a change;
//!   `last_changed` moves. `resolved_at` is set when a failing (or erroring)
//!   finding passes and cleared when it fails or errors again.
//! - A finding the report no longer lists for a target it covers is
//!   deleted and recorded as a change to `absent`.
//! - A report is late for a target when that target already has a row seen
//!   after this report's scan: it then changes nothing for that target (a
//!   late upload of an older scan never overwrites a newer observation, nor
//!   brings back what a newer report retired).

use std::collections::{BTreeSet, HashMap};

use trustwatch_rules::Status;

use super::ingest::Prepared;

/// `to_status` of a finding no longer reported.
pub(crate) const ABSENT: &str = "absent";

/// A current row of `findings` for the agent and one of the report's targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CurrentRow {
    /// The site the row was stored under (an agent that moved site keeps
    /// its old site on targets it no longer reports).
    pub site: String,
    pub target: String,
    pub rule_id: String,
    pub status: String,
    pub severity: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub last_changed: i64,
    pub resolved_at: Option<i64>,
}

/// Insert or update of `prepared.rows[row]`, with the times to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Upsert {
    pub row: usize,
    pub first_seen: i64,
    pub last_changed: i64,
    pub resolved_at: Option<i64>,
}

/// One `finding_changes` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change<'a> {
    pub target: &'a str,
    pub rule_id: &'a str,
    pub severity: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: &'a str,
    pub at: i64,
}

/// What to write for one report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan<'a> {
    /// In `prepared.rows` order (sorted by target, rule_id).
    pub upserts: Vec<Upsert>,
    /// (target, rule_id) of current rows to delete.
    pub deletes: Vec<(&'a str, &'a str)>,
    pub changes: Vec<Change<'a>>,
}

/// The writes `prepared` makes against `current` (the rows of the
/// agent's findings for the report's targets; rows of other targets are
/// ignored).
pub(crate) fn plan<'a>(prepared: &'a Prepared, current: &'a [CurrentRow]) -> Plan<'a> {
    let at = prepared.observed;
    let covered: BTreeSet<&str> = prepared.rows.iter().map(|r| r.target.as_str()).collect();
    let mut newest: HashMap<&str, i64> = HashMap::new();
    let mut by_key: HashMap<(&str, &str), &CurrentRow> = HashMap::with_capacity(current.len());
    for c in current
        .iter()
        .filter(|c| covered.contains(c.target.as_str()))
    {
        let n = newest.entry(&c.target).or_insert(c.last_seen);
        *n = (*n).max(c.last_seen);
        by_key.insert((&c.target, &c.rule_id), c);
    }
    let late = |target: &str| newest.get(target).is_some_and(|n| *n > at);

    let mut plan = Plan::default();
    for (i, r) in prepared.rows.iter().enumerate() {
        if late(&r.target) {
            continue;
        }
        let to = r.status.as_str();
        match by_key.get(&(r.target.as_str(), r.rule_id.as_str())) {
            None => {
                plan.upserts.push(Upsert {
                    row: i,
                    first_seen: at,
                    last_changed: at,
                    resolved_at: None,
                });
                plan.changes.push(Change {
                    target: &r.target,
                    rule_id: &r.rule_id,
                    severity: r.severity.as_str(),
                    from_status: None,
                    to_status: to,
                    at,
                });
            }
            Some(c) if c.status == to => plan.upserts.push(Upsert {
                row: i,
                first_seen: c.first_seen,
                last_changed: c.last_changed,
                resolved_at: c.resolved_at,
            }),
            Some(c) => {
                plan.upserts.push(Upsert {
                    row: i,
                    first_seen: c.first_seen,
                    last_changed: at,
                    resolved_at: resolved_at(&c.status, r.status, c.resolved_at, at),
                });
                plan.changes.push(Change {
                    target: &r.target,
                    rule_id: &r.rule_id,
                    severity: r.severity.as_str(),
                    from_status: Some(&c.status),
                    to_status: to,
                    at,
                });
            }
        }
    }
    let reported: BTreeSet<(&str, &str)> = prepared
        .rows
        .iter()
        .map(|r| (r.target.as_str(), r.rule_id.as_str()))
        .collect();
    let mut gone: Vec<&CurrentRow> = by_key
        .values()
        .copied()
        .filter(|c| {
            !late(&c.target) && !reported.contains(&(c.target.as_str(), c.rule_id.as_str()))
        })
        .collect();
    // Deterministic order: tests compare plans, and PostgreSQL takes the
    // row locks of a multi-row DELETE in this order.
    gone.sort_by(|a, b| (&a.target, &a.rule_id).cmp(&(&b.target, &b.rule_id)));
    for c in gone {
        plan.deletes.push((&c.target, &c.rule_id));
        plan.changes.push(Change {
            target: &c.target,
            rule_id: &c.rule_id,
            severity: &c.severity,
            from_status: Some(&c.status),
            to_status: ABSENT,
            at,
        });
    }
    plan
}

/// A finding is resolved when it passes after failing or erroring; the
/// date is cleared when it fails or errors again, and otherwise kept.
fn resolved_at(from: &str, to: Status, before: Option<i64>, at: i64) -> Option<i64> {
    let was_bad = from == Status::Fail.as_str() || from == Status::Error.as_str();
    match to {
        Status::Pass if was_bad => Some(at),
        Status::Fail | Status::Error => None,
        _ => before,
    }
}

#[cfg(test)]
mod tests;
