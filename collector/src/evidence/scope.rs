//! The scope manifest: what was in scope (central policies' ranges,
//! domains and exclusions), who looked (agents, vantage points), when,
//! and how much of the known estate was actually assessed.

use serde::Serialize;

use super::{utc, utc_unix, Options};
use crate::error::Result;
use crate::store::portable::Sql;
use crate::store::{AgentRow, Policy, Store};

#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    /// `None`: every site.
    pub site: Option<String>,
    pub period_from_utc: Option<String>,
    /// Exclusive.
    pub period_until_utc: Option<String>,
    pub policies: Vec<PolicyScope>,
    /// Sites with agents but no central policy: their scope is each
    /// agent's own agent.toml, which the collector never sees, so the
    /// auditor is told rather than shown an empty list.
    pub sites_without_policy: Vec<SiteWithoutPolicy>,
    pub vantage_points: Vec<Vantage>,
    pub agents: Vec<AgentRow>,
    pub coverage: Coverage,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyScope {
    pub site: String,
    pub version: i64,
    pub scope: Vec<String>,
    pub exclude: Vec<String>,
    pub domains: Vec<String>,
    pub tls_targets: Vec<String>,
    pub disabled_rules: Vec<String>,
    pub updated_at_utc: String,
    pub updated_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteWithoutPolicy {
    pub site: String,
    pub note: &'static str,
}

const LOCAL_SCOPE: &str = "no central policy: each agent scans the scope of its own agent.toml, \
     which the collector does not hold; the hosts it assessed are under coverage";

/// The agents' sites that no policy in `policies` covers, sorted.
pub(super) fn sites_without_policy(
    agents: &[AgentRow],
    policies: &[PolicyScope],
) -> Vec<SiteWithoutPolicy> {
    let covered: std::collections::BTreeSet<&str> =
        policies.iter().map(|p| p.site.as_str()).collect();
    let sites: std::collections::BTreeSet<&str> = agents
        .iter()
        .map(|a| a.site.as_str())
        .filter(|s| !covered.contains(s))
        .collect();
    sites
        .into_iter()
        .map(|site| SiteWithoutPolicy {
            site: site.to_owned(),
            note: LOCAL_SCOPE,
        })
        .collect()
}

impl From<&Policy> for PolicyScope {
    fn from(p: &Policy) -> PolicyScope {
        PolicyScope {
            site: p.site.clone(),
            version: p.version,
            scope: p.body.scope.clone(),
            exclude: p.body.exclude.clone(),
            domains: p.body.domains.clone(),
            tls_targets: p.body.tls_targets.clone(),
            disabled_rules: p.body.disabled_rules.clone(),
            updated_at_utc: utc(p.updated_at),
            updated_by: p.updated_by.clone(),
        }
    }
}

/// Where scans ran from (the agent host's name as the report says).
#[derive(Debug, Clone, Serialize)]
pub struct Vantage {
    pub site: String,
    /// Empty when the reports did not say.
    pub vantage: String,
    pub reports: i64,
    pub first_report_utc: String,
    pub last_report_utc: String,
}

/// Hosts assessed in the period against hosts the store knows at all.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub hosts_known: usize,
    pub hosts_assessed: usize,
    pub percent_assessed: Option<f64>,
    pub hosts_not_assessed: Vec<String>,
}

pub(super) async fn vantage_points(store: &Store, opts: &Options) -> Result<Vec<Vantage>> {
    let backend = store.backend();
    let mut sql = Sql::new(backend.dialect());
    sql.push(
        "SELECT site, COALESCE(vantage, ''), CAST(COUNT(*) AS BIGINT), MIN(received_at),
                MAX(received_at)
         FROM reports WHERE 1 = 1",
    );
    period_filter(&mut sql, opts, "received_at");
    sql.push(" GROUP BY site, vantage ORDER BY 1, 2");
    let rows = backend.read("read the vantage points", vec![sql]).await?;
    rows.into_iter()
        .flatten()
        .map(|r| {
            Ok(Vantage {
                site: r.text(0)?,
                vantage: r.text(1)?,
                reports: r.int(2)?,
                first_report_utc: utc_unix(r.int(3)?),
                last_report_utc: utc_unix(r.int(4)?),
            })
        })
        .collect()
}

/// Every host any current finding names (at the site).
pub(super) async fn known_hosts(store: &Store, opts: &Options) -> Result<Vec<String>> {
    let backend = store.backend();
    let mut sql = Sql::new(backend.dialect());
    sql.push("SELECT DISTINCT host FROM findings WHERE 1 = 1");
    if let Some(site) = &opts.site {
        sql.push(" AND site = ").bind(site);
    }
    sql.push(" ORDER BY host");
    let rows = backend.read("read the known hosts", vec![sql]).await?;
    rows.into_iter().flatten().map(|r| r.text(0)).collect()
}

/// `AND site = … AND column in the period`, for a table with `site`.
pub(super) fn period_filter(sql: &mut Sql, opts: &Options, column: &str) {
    if let Some(site) = &opts.site {
        sql.push(" AND site = ").bind(site);
    }
    if let Some(from) = opts.period.from {
        sql.push(&format!(" AND {column} >= ")).bind(from);
    }
    if let Some(until) = opts.period.until {
        sql.push(&format!(" AND {column} < ")).bind(until);
    }
}

pub(super) fn coverage(known: &[String], assessed: &[String]) -> Coverage {
    let assessed_set: std::collections::BTreeSet<&String> = assessed.iter().collect();
    let not: Vec<String> = known
        .iter()
        .filter(|h| !assessed_set.contains(h))
        .cloned()
        .collect();
    Coverage {
        hosts_known: known.len(),
        hosts_assessed: assessed.len(),
        percent_assessed: (!known.is_empty())
            .then(|| (assessed.len() as f64 * 1000.0 / known.len() as f64).round() / 10.0),
        hosts_not_assessed: not,
    }
}
