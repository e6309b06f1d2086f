//! The grouped counts behind `/metrics`. Every query groups by site and a
//! small closed set (severity, status, rule, control list), so the result
//! size is bounded by sites × rules, never by hosts or targets.

use std::path::Path;

use rusqlite::{params, Connection};

use super::db_err;
use crate::error::Result;

/// Everything one scrape needs, read in one transaction so the numbers
/// agree with each other.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aggregates {
    pub findings: Vec<FindingCount>,
    pub failing: Vec<RuleFailing>,
    pub controls: Vec<ControlGroup>,
    pub agents: Vec<AgentCount>,
    pub expiry: Vec<ExpiryBySite>,
}

/// Current findings per (site, severity, status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingCount {
    pub site: String,
    pub severity: String,
    pub status: String,
    pub count: i64,
}

/// Distinct targets failing a rule at a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFailing {
    pub site: String,
    pub rule_id: String,
    pub targets: i64,
}

/// Pass or fail findings sharing a site, baseline, rule, control list and
/// status: the input to the compliance ratio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlGroup {
    pub site: String,
    pub baseline: String,
    pub rule_id: String,
    pub controls: Vec<String>,
    pub status: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCount {
    pub site: String,
    pub active: i64,
    pub stale: i64,
}

/// The earliest certificate expiry (unix seconds) among a site's current
/// CERT-001 findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryBySite {
    pub site: String,
    pub earliest: i64,
}

pub(super) fn compute(conn: &mut Connection, path: &Path, stale_before: i64) -> Result<Aggregates> {
    let err = |action| db_err(path, action);
    let tx = conn.transaction().map_err(err("begin a read"))?;
    let mut out = Aggregates::default();

    let mut stmt = tx
        .prepare_cached(
            "SELECT site, severity, status, COUNT(*) FROM findings
             GROUP BY site, severity, status",
        )
        .map_err(err("count findings"))?;
    out.findings = stmt
        .query_map([], |r| {
            Ok(FindingCount {
                site: r.get(0)?,
                severity: r.get(1)?,
                status: r.get(2)?,
                count: r.get(3)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(err("count findings"))?;

    let mut stmt = tx
        .prepare_cached(
            "SELECT site, rule_id, COUNT(DISTINCT target) FROM findings
             WHERE status = 'fail' GROUP BY site, rule_id",
        )
        .map_err(err("count failing targets"))?;
    out.failing = stmt
        .query_map([], |r| {
            Ok(RuleFailing {
                site: r.get(0)?,
                rule_id: r.get(1)?,
                targets: r.get(2)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(err("count failing targets"))?;

    // Controls are the rule's list, so there are about as many distinct
    // lists as rules: grouping by the JSON text stays small.
    let mut stmt = tx
        .prepare_cached(
            "SELECT f.site, r.baseline_id, f.rule_id, f.controls, f.status, COUNT(*)
             FROM findings f JOIN reports r ON r.id = f.report_id
             WHERE f.status IN ('pass', 'fail')
             GROUP BY f.site, r.baseline_id, f.rule_id, f.controls, f.status",
        )
        .map_err(err("group findings by control"))?;
    out.controls = stmt
        .query_map([], |r| {
            let controls: String = r.get(3)?;
            Ok(ControlGroup {
                site: r.get(0)?,
                baseline: r.get(1)?,
                rule_id: r.get(2)?,
                controls: serde_json::from_str(&controls).unwrap_or_default(),
                status: r.get(4)?,
                count: r.get(5)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(err("group findings by control"))?;

    let mut stmt = tx
        .prepare_cached(
            "SELECT site, SUM(last_seen >= ?1), SUM(last_seen < ?1) FROM agents GROUP BY site",
        )
        .map_err(err("count agents"))?;
    out.agents = stmt
        .query_map(params![stale_before], |r| {
            Ok(AgentCount {
                site: r.get(0)?,
                active: r.get(1)?,
                stale: r.get(2)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(err("count agents"))?;

    let mut stmt = tx
        .prepare_cached(
            "SELECT site, MIN(cert_not_after) FROM findings
             WHERE rule_id = 'CERT-001' AND cert_not_after IS NOT NULL GROUP BY site",
        )
        .map_err(err("find the earliest certificate expiry"))?;
    out.expiry = stmt
        .query_map([], |r| {
            Ok(ExpiryBySite {
                site: r.get(0)?,
                earliest: r.get(1)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(err("find the earliest certificate expiry"))?;
    Ok(out)
}
