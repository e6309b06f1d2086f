//! The grouped counts behind `/metrics`. Every query groups by site and a
//! small closed set (severity, status, rule, control list), so the result
//! size is bounded by sites × rules, never by hosts or targets.

use std::path::Path;

use rusqlite::{params, Connection};

use super::db_err;
use crate::error::Result;
use crate::store::{AgentCount, Aggregates, ControlGroup, ExpiryBySite, FindingCount, RuleFailing};

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
