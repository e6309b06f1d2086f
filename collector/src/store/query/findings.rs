//! Current findings, page by page: first the stored ones in primary-key
//! order (agent, target, rule_id), then the PATCH-006 findings the
//! collector evaluates for silent agents, by agent name. Keyset on the
//! primary key means an index range scan per page, and a row's place never
//! moves when its status changes.

use std::collections::BTreeMap;

use serde_json::json;
use time::format_description::well_known::Rfc3339;
use trustwatch_rules::{Severity, Status};

use super::{
    page_size, Coverage, Cursor, ExceptionFilter, ExceptionRef, FindingFilter, FindingRow,
    FindingSource, COVERAGE_RULE,
};
use crate::error::{Error, Result};
use crate::store::portable::{bind_list, Param, Row, Sql};
use crate::store::{unix_to_time, Backend};

const STORED_COLUMNS: &str = "f.agent, f.site, f.target, f.host, f.rule_id, f.title, f.severity,
    f.status, f.summary, f.evidence, f.controls, f.first_seen, f.last_seen, f.last_changed,
    f.resolved_at, f.report_id, ";

pub(crate) async fn findings(
    backend: &Backend,
    filter: &FindingFilter,
    now: i64,
) -> Result<Vec<FindingRow>> {
    let limit = page_size(filter.limit);
    let (stored_after, coverage_after) = match &filter.after {
        None => (None, None),
        Some(Cursor::Finding {
            agent,
            target,
            rule_id,
        }) => (Some([agent, target, rule_id]), None),
        Some(Cursor::Coverage { agent }) => (None, Some(agent.as_str())),
        Some(_) => return Err(wrong_cursor()),
    };
    let mut rows = Vec::new();
    if coverage_after.is_none() {
        let sql = stored(backend, filter, stored_after, limit, now);
        for row in first(backend.read("query findings", vec![sql]).await?) {
            rows.push(stored_row(&row)?);
        }
    }
    if let Some(coverage) = &filter.coverage {
        let room = limit - rows.len() as i64;
        if room > 0 && coverage_may_match(filter, coverage, now) {
            let sql = silent_agents(backend, filter, coverage, coverage_after, room, now);
            for row in first(backend.read("query silent agents", vec![sql]).await?) {
                rows.push(coverage_row(&row, coverage, now)?);
            }
        }
    }
    attach_exceptions(backend, &mut rows).await?;
    Ok(rows)
}

fn wrong_cursor() -> Error {
    Error::InvalidArgument {
        what: "cursor",
        value: "(given)".into(),
        reason: "it was issued for another list".into(),
    }
}

fn first(mut results: Vec<Vec<Row>>) -> Vec<Row> {
    results.pop().unwrap_or_default()
}

/// `x` is a live exception for the finding whose rule, target and site are
/// the SQL expressions given.
pub(crate) fn live_exception(sql: &mut Sql, rule: &str, target: &str, site: &str, now: i64) {
    sql.push(&format!(
        "x.rule_id = {rule} AND (x.target = {target} OR x.target = '*')
         AND (x.site IS NULL OR x.site = {site}) AND x.withdrawn_at IS NULL AND x.expires_at > "
    ))
    .bind(now);
}

/// The id of the live exception that covers the finding, the most
/// specific first (a named target over `*`, a named site over any site).
fn exception_id(sql: &mut Sql, rule: &str, target: &str, site: &str, now: i64) {
    sql.push("(SELECT x.id FROM exceptions x WHERE ");
    live_exception(sql, rule, target, site, now);
    sql.push(
        " ORDER BY CASE WHEN x.target = '*' THEN 1 ELSE 0 END,
                   CASE WHEN x.site IS NULL THEN 1 ELSE 0 END, x.expires_at DESC, x.id
         LIMIT 1)",
    );
}

fn exception_filter(
    sql: &mut Sql,
    mode: ExceptionFilter,
    rule: &str,
    target: &str,
    site: &str,
    now: i64,
) {
    let op = match mode {
        ExceptionFilter::Include => return,
        ExceptionFilter::Only => " AND EXISTS ",
        ExceptionFilter::Exclude => " AND NOT EXISTS ",
    };
    sql.push(op).push("(SELECT 1 FROM exceptions x WHERE ");
    live_exception(sql, rule, target, site, now);
    sql.push(")");
}

fn stored(
    backend: &Backend,
    f: &FindingFilter,
    after: Option<[&String; 3]>,
    limit: i64,
    now: i64,
) -> Sql {
    let mut sql = Sql::new(backend.dialect());
    sql.push("SELECT ").push(STORED_COLUMNS);
    exception_id(&mut sql, "f.rule_id", "f.target", "f.site", now);
    sql.push(" FROM findings f WHERE 1 = 1");
    let eq = |sql: &mut Sql, column: &str, value: &Option<String>| {
        if let Some(v) = value {
            sql.push(&format!(" AND {column} = ")).bind(v);
        }
    };
    eq(&mut sql, "f.site", &f.site);
    eq(&mut sql, "f.agent", &f.agent);
    eq(&mut sql, "f.host", &f.host);
    eq(&mut sql, "f.target", &f.target);
    eq(&mut sql, "f.rule_id", &f.rule_id);
    eq(
        &mut sql,
        "f.severity",
        &f.severity.map(|s| s.as_str().to_owned()),
    );
    eq(
        &mut sql,
        "f.status",
        &f.status.map(|s| s.as_str().to_owned()),
    );
    if let Some(t) = f.since {
        sql.push(" AND f.last_seen >= ").bind(t);
    }
    if let Some(t) = f.until {
        sql.push(" AND f.last_seen < ").bind(t);
    }
    if let Some(t) = f.changed_since {
        sql.push(" AND f.last_changed >= ").bind(t);
    }
    exception_filter(
        &mut sql,
        f.exception,
        "f.rule_id",
        "f.target",
        "f.site",
        now,
    );
    if let Some([agent, target, rule_id]) = after {
        sql.push(" AND (f.agent, f.target, f.rule_id) > (");
        bind_list(&mut sql, [agent, target, rule_id].map(Param::from));
        sql.push(")");
    }
    sql.push(" ORDER BY f.agent, f.target, f.rule_id LIMIT ")
        .bind(limit);
    sql
}

fn stored_row(r: &Row) -> Result<FindingRow> {
    let severity = r.text(6)?;
    let status = r.text(7)?;
    let exception_id = r.opt_int(16)?;
    Ok(FindingRow {
        agent: r.text(0)?,
        site: r.text(1)?,
        target: r.text(2)?,
        host: r.text(3)?,
        rule_id: r.text(4)?,
        title: r.text(5)?,
        severity: severity
            .parse::<Severity>()
            .map_err(|_| unknown("severity", &severity))?,
        status: Status::ALL
            .into_iter()
            .find(|s| s.as_str() == status)
            .ok_or_else(|| unknown("status", &status))?,
        reported_status: String::new(),
        // Filled in by attach_exceptions; the id is parked here until then.
        exception: exception_id.map(placeholder),
        summary: r.text(8)?,
        evidence: r.json(9)?,
        controls: r.json(10)?,
        first_seen: unix_to_time(r.int(11)?),
        last_seen: unix_to_time(r.int(12)?),
        last_changed: unix_to_time(r.int(13)?),
        resolved_at: r.opt_int(14)?.map(unix_to_time),
        report_id: Some(r.int(15)?),
        source: FindingSource::Report,
    })
}

fn unknown(what: &str, value: &str) -> Error {
    Error::StoreData {
        reason: format!("a finding has the unknown {what} `{value}`"),
    }
}

fn placeholder(id: i64) -> ExceptionRef {
    ExceptionRef {
        id,
        owner: String::new(),
        expires: String::new(),
        compensating_control: String::new(),
    }
}

/// Whether a PATCH-006 finding evaluated now can pass the filter's fixed
/// parts at all (its rule, severity, status and times are known).
fn coverage_may_match(f: &FindingFilter, c: &Coverage, now: i64) -> bool {
    f.rule_id.as_deref().is_none_or(|r| r == COVERAGE_RULE)
        && f.severity.is_none_or(|s| s == c.severity)
        && f.status.is_none_or(|s| s == Status::Fail)
        && f.since.is_none_or(|t| now >= t)
        && f.until.is_none_or(|t| now < t)
}

fn silent_agents(
    backend: &Backend,
    f: &FindingFilter,
    c: &Coverage,
    after: Option<&str>,
    limit: i64,
    now: i64,
) -> Sql {
    let rule = format!("'{COVERAGE_RULE}'");
    let mut sql = Sql::new(backend.dialect());
    sql.push("SELECT a.name, a.site, COALESCE(a.last_contact, a.last_seen), ");
    exception_id(&mut sql, &rule, "a.name", "a.site", now);
    sql.push(
        " FROM agents a WHERE a.revoked_at IS NULL AND COALESCE(a.last_contact, a.last_seen) < ",
    )
    .bind(now - c.stale_after_secs);
    if let Some(site) = &f.site {
        sql.push(" AND a.site = ").bind(site);
    }
    // The finding's agent, host and target are all the agent's name.
    for name in [&f.agent, &f.host, &f.target].into_iter().flatten() {
        sql.push(" AND a.name = ").bind(name);
    }
    if let Some(t) = f.changed_since {
        // last_changed is when the agent became stale.
        sql.push(" AND COALESCE(a.last_contact, a.last_seen) >= ")
            .bind(t - c.stale_after_secs);
    }
    exception_filter(&mut sql, f.exception, &rule, "a.name", "a.site", now);
    if let Some(name) = after {
        sql.push(" AND a.name > ").bind(name);
    }
    sql.push(" ORDER BY a.name LIMIT ").bind(limit);
    sql
}

fn coverage_row(r: &Row, c: &Coverage, now: i64) -> Result<FindingRow> {
    let name = r.text(0)?;
    let contact = r.int(2)?;
    let stale_since = contact + c.stale_after_secs;
    let rfc = |t: i64| unix_to_time(t).format(&Rfc3339).unwrap_or_default();
    Ok(FindingRow {
        agent: name.clone(),
        site: r.text(1)?,
        target: name.clone(),
        host: name.clone(),
        rule_id: COVERAGE_RULE.into(),
        title: c.title.clone(),
        severity: c.severity,
        status: Status::Fail,
        reported_status: String::new(),
        exception: r.opt_int(3)?.map(placeholder),
        summary: format!(
            "agent {name} has not contacted the collector since {}",
            rfc(contact)
        ),
        evidence: json!({
            "evaluated_by": "collector",
            "evaluated_at": rfc(now),
            "last_contact": rfc(contact),
            "silent_for_secs": now - contact,
            "stale_after_secs": c.stale_after_secs,
            "note": "Evaluated by the collector when this list was requested, from the agent's \
                     last contact (report, policy fetch or renewal); not reported by the agent \
                     and not stored.",
        }),
        controls: c.controls.clone(),
        first_seen: unix_to_time(stale_since),
        last_seen: unix_to_time(now),
        last_changed: unix_to_time(stale_since),
        resolved_at: None,
        report_id: None,
        source: FindingSource::Collector,
    })
}

/// Replaces each parked exception id with the exception's details, and
/// sets `reported_status`.
async fn attach_exceptions(backend: &Backend, rows: &mut [FindingRow]) -> Result<()> {
    let ids: std::collections::BTreeSet<i64> = rows
        .iter()
        .filter_map(|r| r.exception.as_ref().map(|e| e.id))
        .collect();
    let mut found = BTreeMap::new();
    if !ids.is_empty() {
        let mut sql = Sql::new(backend.dialect());
        sql.push(
            "SELECT id, owner, expires_at, compensating_control FROM exceptions WHERE id IN (",
        );
        bind_list(&mut sql, ids.into_iter().map(Param::Int));
        sql.push(")");
        for r in first(backend.read("read exceptions", vec![sql]).await?) {
            let e = exception_ref(&r)?;
            found.insert(e.id, e);
        }
    }
    for row in rows {
        // An exception withdrawn between the two reads no longer applies.
        row.exception = row.exception.take().and_then(|e| found.get(&e.id).cloned());
        row.reported_status = if row.status == Status::Fail && row.exception.is_some() {
            "accepted_risk".into()
        } else {
            row.status.as_str().into()
        };
    }
    Ok(())
}

/// An exception's (id, owner, expires_at, compensating_control) columns.
pub(crate) fn exception_ref(r: &Row) -> Result<ExceptionRef> {
    Ok(ExceptionRef {
        id: r.int(0)?,
        owner: r.text(1)?,
        expires: crate::store::exceptions::date_text(r.int(2)?),
        compensating_control: r.text(3)?,
    })
}
