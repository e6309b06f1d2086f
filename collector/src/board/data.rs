//! What the board report reads from the store, in one snapshot on either
//! backend (portable SQL, `store/portable.rs`), turned into the plain rows
//! the pure parts (`kpi.rs`, `rag.rs`, `risk.rs`, `register.rs`) work on.
//! `as_of` replaces "now" everywhere: an exception is live, a finding
//! overdue, an agent silent, as of the report's time.

mod rows;

use std::collections::BTreeSet;

use self::rows::{agent_row, agent_spans, candidate, exception_row, key_histories, span, tally};
use super::kpi::{self, History, DAY};
use super::rag::{Tally, OVERDUE_DAYS};
use super::register::ExceptionRow;
use super::risk::Candidate;
use crate::error::Result;
use crate::store::portable::{bind_list, Param, Sql};
use crate::store::Backend;

/// The most failing findings read as risk-register candidates: the worst
/// severities first, then the oldest, so the top five are among them.
pub const MAX_CANDIDATES: i64 = 5_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRow {
    pub name: String,
    pub first_seen: i64,
    /// The last authenticated request of any kind.
    pub last_contact: i64,
    pub revoked_at: Option<i64>,
}

/// Everything one report needs.
#[derive(Debug, Clone, Default)]
pub struct BoardData {
    pub history: History,
    pub agents: Vec<AgentRow>,
    pub tallies: Vec<Tally>,
    /// Rules with a current pass or fail result.
    pub evidenced: BTreeSet<String>,
    pub candidates: Vec<Candidate>,
    pub exceptions: Vec<ExceptionRow>,
    /// `baseline_id baseline_version` of the newest stored report.
    pub reported_baseline: Option<String>,
}

/// Whether the store knows `site` (an agent or a finding belongs to it).
pub(crate) async fn site_exists(backend: &Backend, site: &str) -> Result<bool> {
    let mut agents = Sql::new(backend.dialect());
    agents
        .push("SELECT a.name FROM agents a WHERE a.site = ")
        .bind(site)
        .push(" LIMIT 1");
    let mut findings = Sql::new(backend.dialect());
    findings
        .push("SELECT f.agent FROM findings f WHERE f.site = ")
        .bind(site)
        .push(" LIMIT 1");
    let rows = backend
        .read("check the report's site", vec![agents, findings])
        .await?;
    Ok(rows.iter().any(|r| !r.is_empty()))
}

/// `x` applies at `t` to the finding `f`.
fn live_exception(sql: &mut Sql, t: i64) {
    sql.push(
        "x.rule_id = f.rule_id AND (x.target = f.target OR x.target = '*')
         AND (x.site IS NULL OR x.site = f.site) AND x.created_at <= ",
    )
    .bind(t)
    .push(" AND x.expires_at > ")
    .bind(t)
    .push(" AND (x.withdrawn_at IS NULL OR x.withdrawn_at > ")
    .bind(t)
    .push(")");
}

fn site_filter(sql: &mut Sql, column: &str, site: Option<&str>) {
    if let Some(site) = site {
        sql.push(&format!(" AND {column} = ")).bind(site);
    }
}

/// Reads the report's data: history from `start` (the period's first
/// point) back as far as the staleness window needs, state as of `as_of`.
pub(crate) async fn read(
    backend: &Backend,
    site: Option<&str>,
    start: i64,
    as_of: i64,
    stale_after: i64,
) -> Result<BoardData> {
    let new = || Sql::new(backend.dialect());
    let kpi_rules = || kpi::rules().into_iter().map(Param::from);

    let mut changes = new();
    changes.push(
        "SELECT c.agent, c.site, c.target, c.rule_id, c.severity, c.from_status, c.to_status, c.at
         FROM finding_changes c WHERE c.rule_id IN (",
    );
    bind_list(&mut changes, kpi_rules());
    changes.push(") AND c.at <= ").bind(as_of);
    site_filter(&mut changes, "c.site", site);
    changes.push(" ORDER BY c.agent, c.target, c.rule_id, c.at, c.id");

    let mut current = new();
    current.push(
        "SELECT f.agent, f.site, f.target, f.rule_id, f.severity, f.status, f.last_changed
         FROM findings f WHERE f.rule_id IN (",
    );
    bind_list(&mut current, kpi_rules());
    current.push(")");
    site_filter(&mut current, "f.site", site);

    let mut agents = new();
    agents.push(
        "SELECT a.name, a.first_seen, COALESCE(a.last_contact, a.last_seen), a.revoked_at
         FROM agents a WHERE 1 = 1",
    );
    site_filter(&mut agents, "a.site", site);
    agents.push(" ORDER BY a.name");

    // One contact per agent per day is all the staleness window needs.
    let mut contacts = new();
    contacts
        .push("SELECT s.agent, CAST(MAX(s.received_at) AS BIGINT) FROM scan_summaries s WHERE s.received_at > ")
        .bind(start - stale_after)
        .push(" AND s.received_at <= ")
        .bind(as_of);
    site_filter(&mut contacts, "s.site", site);
    contacts.push(&format!(" GROUP BY s.agent, s.received_at / {DAY}"));

    let mut exceptions = new();
    exceptions.push(
        "SELECT x.id, x.site, x.rule_id, x.target, x.owner, x.siro_accepted_on, x.created_at,
                x.expires_at, x.withdrawn_at
         FROM exceptions x WHERE 1 = 1",
    );
    if let Some(site) = site {
        exceptions
            .push(" AND (x.site IS NULL OR x.site = ")
            .bind(site)
            .push(")");
    }
    exceptions.push(" ORDER BY x.id");

    let mut tallies = new();
    tallies
        .push(
            "SELECT f.rule_id, f.severity, CAST(COUNT(*) AS BIGINT),
                    CAST(SUM(CASE WHEN f.last_changed < ",
        )
        .bind(as_of - OVERDUE_DAYS * DAY)
        .push(" AND NOT EXISTS (SELECT 1 FROM exceptions x WHERE ");
    live_exception(&mut tallies, as_of);
    tallies.push(
        ") THEN 1 ELSE 0 END) AS BIGINT),
         CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM exceptions x WHERE ",
    );
    live_exception(&mut tallies, as_of);
    tallies.push(") THEN 1 ELSE 0 END) AS BIGINT) FROM findings f WHERE f.status = 'fail'");
    site_filter(&mut tallies, "f.site", site);
    tallies.push(" GROUP BY f.rule_id, f.severity");

    let mut evidenced = new();
    evidenced.push(
        "SELECT k.rule_id FROM finding_counts k WHERE k.n <> 0 AND k.status IN ('pass', 'fail')",
    );
    site_filter(&mut evidenced, "k.site", site);
    evidenced.push(" GROUP BY k.rule_id");

    let mut candidates = new();
    candidates.push(
        "SELECT f.site, f.target, f.rule_id, f.title, f.severity, f.last_changed,
                (SELECT x.owner FROM exceptions x WHERE ",
    );
    live_exception(&mut candidates, as_of);
    candidates.push(
        " ORDER BY CASE WHEN x.target = '*' THEN 1 ELSE 0 END,
                   CASE WHEN x.site IS NULL THEN 1 ELSE 0 END, x.expires_at DESC, x.id
          LIMIT 1)
         FROM findings f WHERE f.status = 'fail' AND f.severity IN ('critical', 'high', 'medium')",
    );
    site_filter(&mut candidates, "f.site", site);
    candidates
        .push(
            " ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 ELSE 2 END,
                       f.last_changed, f.agent, f.target, f.rule_id LIMIT ",
        )
        .bind(MAX_CANDIDATES);

    let mut baseline = new();
    baseline.push("SELECT r.baseline_id, r.baseline_version FROM reports r WHERE 1 = 1");
    site_filter(&mut baseline, "r.site", site);
    baseline.push(" ORDER BY r.id DESC LIMIT 1");

    let mut results = backend
        .read(
            "read the board report",
            vec![
                changes, current, agents, contacts, exceptions, tallies, evidenced, candidates,
                baseline,
            ],
        )
        .await?
        .into_iter();
    let mut next = || results.next().unwrap_or_default();
    let (changes, current, agents, contacts, exceptions) = (next(), next(), next(), next(), next());
    let (tallies, evidenced, candidates, baseline) = (next(), next(), next(), next());

    let agents = agents.iter().map(agent_row).collect::<Result<Vec<_>>>()?;
    let exceptions = exceptions
        .iter()
        .map(exception_row)
        .collect::<Result<Vec<_>>>()?;
    let history = History {
        keys: key_histories(&changes, &current)?,
        exceptions: exceptions.iter().map(span).collect(),
        agents: agent_spans(&agents, &contacts)?,
        stale_after,
    };
    Ok(BoardData {
        history,
        agents,
        tallies: tallies.iter().map(tally).collect::<Result<_>>()?,
        evidenced: evidenced.iter().map(|r| r.text(0)).collect::<Result<_>>()?,
        candidates: candidates.iter().map(candidate).collect::<Result<_>>()?,
        exceptions,
        reported_baseline: match baseline.first() {
            Some(r) => Some(format!("{} {}", r.text(0)?, r.text(1)?)),
            None => None,
        },
    })
}
