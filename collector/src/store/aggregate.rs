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

    // Counts come from `finding_counts`, which the writer keeps exact in
    // the same transaction as every write: a scrape reads a few hundred rows
    // however many millions of findings are stored.
    let mut q = new();
    q.push(
        "SELECT site, severity, status, CAST(SUM(n) AS BIGINT) FROM finding_counts
         WHERE n <> 0 GROUP BY site, severity, status",
    );
    queries.push(q);

    let mut q = new();
    q.push(
        "SELECT site, rule_id, status, CAST(SUM(n) AS BIGINT) FROM finding_counts
         WHERE n <> 0 AND status IN ('pass', 'fail') GROUP BY site, rule_id, status",
    );
    queries.push(q);

    // Failing findings under a live exception, read only for the rules
    // that have one (the rule/status index keeps this to their failures).
    let mut q = new();
    q.push(
        "SELECT f.site, f.rule_id, f.severity, CAST(COUNT(*) AS BIGINT) FROM findings f
         WHERE f.status = 'fail'
           AND f.rule_id IN (SELECT rule_id FROM exceptions WHERE withdrawn_at IS NULL)
           AND EXISTS (SELECT 1 FROM exceptions x WHERE ",
    );
    live_exception(&mut q, "f.rule_id", "f.target", "f.site", now);
    q.push(") GROUP BY f.site, f.rule_id, f.severity");
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
    let findings = map_rows(next(), |r| {
        Ok(FindingCount {
            site: r.text(0)?,
            severity: r.text(1)?,
            status: r.text(2)?,
            count: r.int(3)?,
        })
    })?;
    let by_rule = map_rows(next(), |r| {
        Ok((r.text(0)?, r.text(1)?, r.text(2)?, r.int(3)?))
    })?;
    let excepted = map_rows(next(), |r| {
        Ok((r.text(0)?, r.text(1)?, r.text(2)?, r.int(3)?))
    })?;
    let (failing, controls, accepted_risk) = split_rule_counts(by_rule, &excepted);
    Ok(Aggregates {
        findings,
        failing,
        controls,
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
        accepted_risk,
        exceptions: map_rows(next(), |r| {
            Ok(ExceptionCount {
                site: r.text(0)?,
                state: r.text(1)?,
                count: r.int(2)?,
            })
        })?,
    })
}

/// From counts per (site, rule, status) and excepted failures per (site,
/// rule, severity): failing findings per rule not under an exception, the
/// pass/fail groups behind the compliance ratio (their controls and
/// baseline are the collector catalogue's, filled in by the metrics), and
/// accepted risk per severity.
fn split_rule_counts(
    by_rule: Vec<(String, String, String, i64)>,
    excepted: &[(String, String, String, i64)],
) -> (Vec<RuleFailing>, Vec<ControlGroup>, Vec<AcceptedRisk>) {
    use std::collections::BTreeMap;
    let mut excepted_by_rule: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    let mut risk: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for (site, rule, severity, n) in excepted {
        *excepted_by_rule.entry((site, rule)).or_default() += n;
        *risk.entry((site, severity)).or_default() += n;
    }
    let mut failing = Vec::new();
    let mut controls = Vec::new();
    for (site, rule_id, status, count) in by_rule {
        if status == "fail" {
            let open = count
                - excepted_by_rule
                    .get(&(site.as_str(), rule_id.as_str()))
                    .unwrap_or(&0);
            if open > 0 {
                failing.push(RuleFailing {
                    site: site.clone(),
                    rule_id: rule_id.clone(),
                    targets: open,
                });
            }
        }
        controls.push(ControlGroup {
            site,
            baseline: String::new(),
            rule_id,
            controls: Vec::new(),
            status,
            count,
        });
    }
    let accepted_risk = risk
        .into_iter()
        .map(|((site, severity), count)| AcceptedRisk {
            site: site.to_owned(),
            severity: severity.to_owned(),
            count,
        })
        .collect();
    (failing, controls, accepted_risk)
}

fn map_rows<T>(rows: Vec<Row>, f: impl Fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}
