//! `finding_counts` kept by the writer: what one report's plan adds to
//! and takes from the count of current findings per (site, rule,
//! severity, status), summed over a transaction and written once per key
//! just before it commits.
//!
//! Row triggers did this before (SQLite migration 4, PostgreSQL 3). They
//! cost the SQLite writer a statement journal and an extra upsert per
//! finding, and on PostgreSQL two transactions could lock the same count
//! rows in opposite orders and deadlock. One upsert per key, in key
//! order, at the end of the transaction avoids both; the counts test
//! (`tests/counts.rs`) holds the result equal to grouping the findings.

use std::collections::{BTreeMap, HashMap};

use super::history::{CurrentRow, Plan};
use super::ingest::Prepared;

/// (site, rule_id, severity, status).
pub(crate) type CountKey = (String, String, String, String);

/// Changes to `finding_counts`, in key order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CountDeltas(BTreeMap<CountKey, i64>);

impl CountDeltas {
    /// Adds what `plan` (made from `prepared` against `current`) changes.
    pub(crate) fn add_plan(&mut self, prepared: &Prepared, current: &[CurrentRow], plan: &Plan) {
        let before: HashMap<(&str, &str), &CurrentRow> = current
            .iter()
            .map(|c| ((c.target.as_str(), c.rule_id.as_str()), c))
            .collect();
        let site = prepared.agent.site.as_str();
        for u in &plan.upserts {
            let r = &prepared.rows[u.row];
            let now = (
                site,
                r.rule_id.as_str(),
                r.severity.as_str(),
                r.status.as_str(),
            );
            match before.get(&(r.target.as_str(), r.rule_id.as_str())) {
                Some(c) if key_of(c) == now => {}
                Some(c) => {
                    self.add(key_of(c), -1);
                    self.add(now, 1);
                }
                None => self.add(now, 1),
            }
        }
        for (target, rule_id) in &plan.deletes {
            if let Some(c) = before.get(&(*target, *rule_id)) {
                self.add(key_of(c), -1);
            }
        }
    }

    /// The keys whose count changes, in key order, with the change.
    pub(crate) fn changes(&self) -> impl Iterator<Item = (&CountKey, i64)> {
        self.0
            .iter()
            .filter(|(_, n)| **n != 0)
            .map(|(k, n)| (k, *n))
    }

    fn add(&mut self, (site, rule, severity, status): (&str, &str, &str, &str), n: i64) {
        let key = (site.into(), rule.into(), severity.into(), status.into());
        *self.0.entry(key).or_insert(0) += n;
    }
}

fn key_of(c: &CurrentRow) -> (&str, &str, &str, &str) {
    (&c.site, &c.rule_id, &c.severity, &c.status)
}
