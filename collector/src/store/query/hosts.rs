//! Hosts: findings grouped by the host part of their target (the indexed
//! `findings.host` column), by host name.

use std::collections::BTreeMap;

use trustwatch_rules::Severity;

use super::agents::wrong_cursor;
use super::{page_size, Cursor, HostFilter, HostRow};
use crate::error::Result;
use crate::store::portable::{bind_list, Param, Sql};
use crate::store::{unix_to_time, Backend};

/// Failing severities, worst first: the rank is the index.
const RANKED: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

pub(crate) async fn hosts(backend: &Backend, f: &HostFilter) -> Result<Vec<HostRow>> {
    let count = |status: &str| {
        format!("CAST(SUM(CASE WHEN f.status = '{status}' THEN 1 ELSE 0 END) AS BIGINT)")
    };
    let rank: String = RANKED
        .iter()
        .enumerate()
        .map(|(i, s)| format!(" WHEN '{}' THEN {i}", s.as_str()))
        .collect();
    let mut sql = Sql::new(backend.dialect());
    sql.push(&format!(
        "SELECT f.host, CAST(COUNT(*) AS BIGINT), {}, {}, {}, {},
                CAST(MIN(CASE WHEN f.status = 'fail' THEN CASE f.severity{rank} END END) AS BIGINT),
                MAX(f.last_seen)
         FROM findings f WHERE 1 = 1",
        count("pass"),
        count("fail"),
        count("error"),
        count("not_applicable"),
    ));
    if let Some(site) = &f.site {
        sql.push(" AND f.site = ").bind(site);
    }
    match &f.after {
        None => {}
        Some(Cursor::Name(host)) => {
            sql.push(" AND f.host > ").bind(host);
        }
        Some(_) => return Err(wrong_cursor()),
    }
    sql.push(" GROUP BY f.host ORDER BY f.host LIMIT ")
        .bind(page_size(f.limit));
    let mut hosts = Vec::new();
    for r in backend
        .read("query hosts", vec![sql])
        .await?
        .into_iter()
        .flatten()
    {
        hosts.push(HostRow {
            host: r.text(0)?,
            sites: Vec::new(),
            agents: Vec::new(),
            findings: r.int(1)?,
            pass: r.int(2)?,
            fail: r.int(3)?,
            error: r.int(4)?,
            not_applicable: r.int(5)?,
            worst_failing_severity: r
                .opt_int(6)?
                .and_then(|i| RANKED.get(usize::try_from(i).ok()?).copied()),
            last_seen: unix_to_time(r.int(7)?),
        });
    }
    if hosts.is_empty() {
        return Ok(hosts);
    }
    // Who sees each host on this page: a second, bounded query rather than
    // a dialect-specific string aggregate.
    let mut sql = Sql::new(backend.dialect());
    sql.push("SELECT DISTINCT f.host, f.site, f.agent FROM findings f WHERE f.host IN (");
    bind_list(&mut sql, hosts.iter().map(|h| Param::from(&h.host)));
    sql.push(")");
    if let Some(site) = &f.site {
        sql.push(" AND f.site = ").bind(site);
    }
    let mut seen: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for r in backend
        .read("query hosts", vec![sql])
        .await?
        .into_iter()
        .flatten()
    {
        let entry = seen.entry(r.text(0)?).or_default();
        entry.0.push(r.text(1)?);
        entry.1.push(r.text(2)?);
    }
    for h in &mut hosts {
        if let Some((mut sites, mut agents)) = seen.remove(&h.host) {
            sites.sort();
            sites.dedup();
            agents.sort();
            agents.dedup();
            h.sites = sites;
            h.agents = agents;
        }
    }
    Ok(hosts)
}
