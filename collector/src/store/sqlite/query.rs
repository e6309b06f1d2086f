//! Typed queries for the API: current findings and agents.

use std::path::Path;

use rusqlite::types::Type;
use rusqlite::{params, Connection, Row};
use trustwatch_rules::{Severity, Status};

use super::db_err;
use crate::error::Result;
use crate::store::query::DEFAULT_FINDINGS_LIMIT;
use crate::store::{unix_to_time, AgentRow, FindingFilter, FindingRow, MAX_FINDINGS_LIMIT};

pub(super) fn findings(
    conn: &mut Connection,
    path: &Path,
    filter: &FindingFilter,
) -> Result<Vec<FindingRow>> {
    let limit = filter
        .limit
        .unwrap_or(DEFAULT_FINDINGS_LIMIT)
        .min(MAX_FINDINGS_LIMIT);
    let mut stmt = conn
        .prepare_cached(
            "SELECT agent, site, target, rule_id, title, severity, status, summary, evidence,
                    controls, first_seen, last_seen, last_changed, report_id
             FROM findings
             WHERE (?1 IS NULL OR site = ?1) AND (?2 IS NULL OR status = ?2)
               AND (?3 IS NULL OR severity = ?3) AND (?4 IS NULL OR rule_id = ?4)
             ORDER BY CASE status WHEN 'fail' THEN 0 WHEN 'error' THEN 1 ELSE 2 END,
                      CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1
                           WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END,
                      site, agent, target, rule_id
             LIMIT ?5",
        )
        .map_err(db_err(path, "prepare the findings query"))?;
    let rows = stmt
        .query_map(
            params![
                filter.site,
                filter.status.map(Status::as_str),
                filter.severity.map(Severity::as_str),
                filter.rule_id,
                limit
            ],
            finding_row,
        )
        .map_err(db_err(path, "query findings"))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err(path, "read findings"))
}

fn finding_row(row: &Row<'_>) -> rusqlite::Result<FindingRow> {
    Ok(FindingRow {
        agent: row.get(0)?,
        site: row.get(1)?,
        target: row.get(2)?,
        rule_id: row.get(3)?,
        title: row.get(4)?,
        severity: parse_column(row, 5, |s| s.parse::<Severity>().ok())?,
        status: parse_column(row, 6, |s| {
            Status::ALL.into_iter().find(|v| v.as_str() == s)
        })?,
        summary: row.get(7)?,
        evidence: json_column(row, 8)?,
        controls: json_column(row, 9)?,
        first_seen: unix_to_time(row.get(10)?),
        last_seen: unix_to_time(row.get(11)?),
        last_changed: unix_to_time(row.get(12)?),
        report_id: row.get(13)?,
    })
}

pub(super) fn agents(conn: &mut Connection, path: &Path) -> Result<Vec<AgentRow>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT a.name, a.site, a.cert_fingerprint, a.first_seen, a.last_seen,
                    (SELECT COUNT(*) FROM reports r WHERE r.agent = a.name)
             FROM agents a ORDER BY a.site, a.name",
        )
        .map_err(db_err(path, "prepare the agents query"))?;
    let rows = stmt
        .query_map([], |row| {
            Ok(AgentRow {
                name: row.get(0)?,
                site: row.get(1)?,
                cert_fingerprint: row.get(2)?,
                first_seen: unix_to_time(row.get(3)?),
                last_seen: unix_to_time(row.get(4)?),
                reports: row.get(5)?,
            })
        })
        .map_err(db_err(path, "query agents"))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err(path, "read agents"))
}

fn parse_column<T>(
    row: &Row<'_>,
    idx: usize,
    parse: impl Fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let text: String = row.get(idx)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            Type::Text,
            format!("unexpected value `{text}`").into(),
        )
    })
}

fn json_column<T: serde::de::DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}
