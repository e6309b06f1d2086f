//! The grouped counts behind `/metrics`. Every query groups by site and a
//! small closed set (severity, status, rule, control list, state), so the
//! result size is bounded by sites × rules, never by hosts or targets.
//! Portable SQL (`portable.rs`), read in one transaction on either backend.

use super::portable::{Row, Sql};
use super::query::live_exception;
use super::query::CONTACT;
use super::Backend;
use crate::error::Result;

/// Everything one scrape needs, read in one transaction so the numbers
/// agree with each other.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aggregates {
    pub findings: Vec<FindingCount>,
    /// Failing targets not under a live exception.
    pub failing: Vec<RuleFailing>,
    pub controls: Vec<ControlGroup>,
    pub agents: Vec<AgentCount>,
    pub expiry: Vec<ExpiryBySite>,
    /// Failing findings under a live exception.
    pub accepted_risk: Vec<AcceptedRisk>,
    pub exceptions: Vec<ExceptionCount>,
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

/// Agents of a site by state; a revoked agent counts only as revoked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentCount {
    pub site: String,
    pub active: i64,
    pub stale: i64,
    pub revoked: i64,
    /// Stale agents a live PATCH-006 exception covers (by agent name).
    pub stale_excepted: i64,
    /// The oldest last contact (unix seconds) among non-revoked agents.
    pub oldest_contact: Option<i64>,
}

/// The earliest certificate expiry (unix seconds) among a site's current
/// CERT-001 findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryBySite {
    pub site: String,
    pub earliest: i64,
}

/// Failing findings under a live exception, per (site, severity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedRisk {
    pub site: String,
    pub severity: String,
    pub count: i64,
}

/// Exceptions per (site, state); site `*` for those tied to no site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionCount {
    pub site: String,
    /// `active`, `expired` or `withdrawn`.
    pub state: String,
    pub count: i64,
}

pub(crate) async fn compute(backend: &Backend, stale_before: i64, now: i64) -> Result<Aggregates> {
    let new = || Sql::new(backend.dialect());
    let mut queries = Vec::new();

    let mut q = new();
    q.push(
        "SELECT site, severity, status, CAST(COUNT(*) AS BIGINT) FROM findings
         GROUP BY site, severity, status",
    );
    queries.push(q);

    let mut q = new();
    q.push(
        "SELECT f.site, f.rule_id, CAST(COUNT(DISTINCT f.target) AS BIGINT) FROM findings f
         WHERE f.status = 'fail' AND NOT EXISTS (SELECT 1 FROM exceptions x WHERE ",
    );
    live_exception(&mut q, "f.rule_id", "f.target", "f.site", now);
    q.push(") GROUP BY f.site, f.rule_id");
    queries.push(q);

    // Controls are the rule's list, so there are about as many distinct
    // lists as rules: grouping by the JSON text stays small.
    let mut q = new();
    q.push(
        "SELECT f.site, r.baseline_id, f.rule_id, f.controls, f.status, CAST(COUNT(*) AS BIGINT)
         FROM findings f JOIN reports r ON r.id = f.report_id
         WHERE f.status IN ('pass', 'fail')
         GROUP BY f.site, r.baseline_id, f.rule_id, f.controls, f.status",
    );
    queries.push(q);

    let mut q = new();
    let live = |state: &str| format!("a.revoked_at IS NULL AND {CONTACT} {state} ");
    q.push("SELECT a.site, CAST(SUM(CASE WHEN ")
        .push(&live(">="))
        .bind(stale_before)
        .push(" THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN ")
        .push(&live("<"))
        .bind(stale_before)
        .push(
            " THEN 1 ELSE 0 END) AS BIGINT),
             CAST(SUM(CASE WHEN a.revoked_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT),
             CAST(SUM(CASE WHEN ",
        )
        .push(&live("<"))
        .bind(stale_before)
        .push(" AND EXISTS (SELECT 1 FROM exceptions x WHERE ");
    live_exception(
        &mut q,
        &format!("'{}'", super::query::COVERAGE_RULE),
        "a.name",
        "a.site",
        now,
    );
    q.push(&format!(
        ") THEN 1 ELSE 0 END) AS BIGINT),
         MIN(CASE WHEN a.revoked_at IS NULL THEN {CONTACT} END)
         FROM agents a GROUP BY a.site"
    ));
    queries.push(q);

    let mut q = new();
    q.push(
        "SELECT site, MIN(cert_not_after) FROM findings
         WHERE rule_id = 'CERT-001' AND cert_not_after IS NOT NULL GROUP BY site",
    );
    queries.push(q);

    let mut q = new();
    q.push(
        "SELECT f.site, f.severity, CAST(COUNT(*) AS BIGINT) FROM findings f
         WHERE f.status = 'fail' AND EXISTS (SELECT 1 FROM exceptions x WHERE ",
    );
    live_exception(&mut q, "f.rule_id", "f.target", "f.site", now);
    q.push(") GROUP BY f.site, f.severity");
    queries.push(q);

    let mut q = new();
    q.push(
        "SELECT site, state, CAST(COUNT(*) AS BIGINT) FROM (
             SELECT COALESCE(site, '*') AS site,
                    CASE WHEN withdrawn_at IS NOT NULL THEN 'withdrawn'
                         WHEN expires_at <= ",
    )
    .bind(now)
    .push(
        " THEN 'expired' ELSE 'active' END AS state
             FROM exceptions) e
         GROUP BY site, state",
    );
    queries.push(q);

    let mut results = backend
        .read("compute the metrics aggregates", queries)
        .await?
        .into_iter();
    let mut next = || results.next().unwrap_or_default();
    Ok(Aggregates {
        findings: map_rows(next(), |r| {
            Ok(FindingCount {
                site: r.text(0)?,
                severity: r.text(1)?,
                status: r.text(2)?,
                count: r.int(3)?,
            })
        })?,
        failing: map_rows(next(), |r| {
            Ok(RuleFailing {
                site: r.text(0)?,
                rule_id: r.text(1)?,
                targets: r.int(2)?,
            })
        })?,
        controls: map_rows(next(), |r| {
            Ok(ControlGroup {
                site: r.text(0)?,
                baseline: r.text(1)?,
                rule_id: r.text(2)?,
                controls: r.json(3).unwrap_or_default(),
                status: r.text(4)?,
                count: r.int(5)?,
            })
        })?,
        agents: map_rows(next(), |r| {
            Ok(AgentCount {
                site: r.text(0)?,
                active: r.int(1)?,
                stale: r.int(2)?,
                revoked: r.int(3)?,
                stale_excepted: r.int(4)?,
                oldest_contact: r.opt_int(5)?,
            })
        })?,
        expiry: map_rows(next(), |r| {
            Ok(ExpiryBySite {
                site: r.text(0)?,
                earliest: r.int(1)?,
            })
        })?,
        accepted_risk: map_rows(next(), |r| {
            Ok(AcceptedRisk {
                site: r.text(0)?,
                severity: r.text(1)?,
                count: r.int(2)?,
            })
        })?,
        exceptions: map_rows(next(), |r| {
            Ok(ExceptionCount {
                site: r.text(0)?,
                state: r.text(1)?,
                count: r.int(2)?,
            })
        })?,
    })
}

fn map_rows<T>(rows: Vec<Row>, f: impl Fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}
