//! History as stored by ingest: status changes (finding_changes) and
//! per-scan summaries, oldest first by id, so a client can page forward
//! and later continue from its last cursor.

use super::agents::wrong_cursor;
use super::{page_size, ChangeRow, Cursor, HistoryFilter, SummaryRow};
use crate::error::Result;
use crate::store::portable::Sql;
use crate::store::{unix_to_time, Backend};

pub(crate) async fn changes(backend: &Backend, f: &HistoryFilter) -> Result<Vec<ChangeRow>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push(
        "SELECT c.id, c.agent, c.site, c.target, c.rule_id, c.severity, c.from_status,
                c.to_status, c.at, c.report_id
         FROM finding_changes c WHERE 1 = 1",
    );
    filters(&mut sql, f, "c", "c.at", "c.id", true)?;
    let rows = backend.read("query finding history", vec![sql]).await?;
    rows.into_iter()
        .flatten()
        .map(|r| {
            Ok(ChangeRow {
                id: r.int(0)?,
                agent: r.text(1)?,
                site: r.text(2)?,
                target: r.text(3)?,
                rule_id: r.text(4)?,
                severity: r.text(5)?,
                from_status: r.opt_text(6)?,
                to_status: r.text(7)?,
                at: unix_to_time(r.int(8)?),
                report_id: r.int(9)?,
            })
        })
        .collect()
}

pub(crate) async fn summaries(backend: &Backend, f: &HistoryFilter) -> Result<Vec<SummaryRow>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push(
        "SELECT s.report_id, s.agent, s.site, s.scanned_at, s.received_at, s.targets, s.pass,
                s.fail, s.error, s.not_applicable, s.fail_critical, s.fail_high, s.fail_medium,
                s.fail_low
         FROM scan_summaries s WHERE 1 = 1",
    );
    filters(&mut sql, f, "s", "s.scanned_at", "s.report_id", false)?;
    let rows = backend.read("query scan summaries", vec![sql]).await?;
    rows.into_iter()
        .flatten()
        .map(|r| {
            Ok(SummaryRow {
                report_id: r.int(0)?,
                agent: r.text(1)?,
                site: r.text(2)?,
                scanned_at: unix_to_time(r.int(3)?),
                received_at: unix_to_time(r.int(4)?),
                targets: r.int(5)?,
                pass: r.int(6)?,
                fail: r.int(7)?,
                error: r.int(8)?,
                not_applicable: r.int(9)?,
                fail_critical: r.int(10)?,
                fail_high: r.int(11)?,
                fail_medium: r.int(12)?,
                fail_low: r.int(13)?,
            })
        })
        .collect()
}

/// The shared filters, keyset and order. `per_finding`: the table has
/// target and rule columns.
fn filters(
    sql: &mut Sql,
    f: &HistoryFilter,
    t: &str,
    time: &str,
    id: &str,
    per_finding: bool,
) -> Result<()> {
    let mut eq = |column: &str, value: &Option<String>| {
        if let Some(v) = value {
            sql.push(&format!(" AND {t}.{column} = ")).bind(v);
        }
    };
    eq("site", &f.site);
    eq("agent", &f.agent);
    if per_finding {
        eq("target", &f.target);
        eq("rule_id", &f.rule_id);
    }
    if let Some(v) = f.since {
        sql.push(&format!(" AND {time} >= ")).bind(v);
    }
    if let Some(v) = f.until {
        sql.push(&format!(" AND {time} < ")).bind(v);
    }
    match &f.after {
        None => {}
        Some(Cursor::Id(after)) => {
            sql.push(&format!(" AND {id} > ")).bind(*after);
        }
        Some(_) => return Err(wrong_cursor()),
    }
    sql.push(&format!(" ORDER BY {id} LIMIT "))
        .bind(page_size(f.limit));
    Ok(())
}
