//! Ingesting one report: the agent row, the report as received and the
//! upsert of its findings, all in one IMMEDIATE transaction, committed
//! before the agent is told 202.

use std::collections::BTreeSet;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustwatch_rules::Finding;

use super::db_err;
use crate::error::Result;
use crate::store::{IncomingReport, Stored};

// A finding only moves forward in time: a report that was spooled and
// uploaded late must not overwrite a newer observation of the same rule.
const UPSERT_FINDING: &str = "
    INSERT INTO findings (agent, site, target, rule_id, status, severity, title, summary,
                          evidence, controls, cert_not_after, first_seen, last_seen,
                          last_changed, report_id)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?12, ?13)
    ON CONFLICT (agent, target, rule_id) DO UPDATE SET
        site = excluded.site,
        status = excluded.status,
        severity = excluded.severity,
        title = excluded.title,
        summary = excluded.summary,
        evidence = excluded.evidence,
        controls = excluded.controls,
        cert_not_after = excluded.cert_not_after,
        last_seen = excluded.last_seen,
        last_changed = CASE WHEN findings.status = excluded.status
                            THEN findings.last_changed ELSE excluded.last_seen END,
        report_id = excluded.report_id
    WHERE excluded.last_seen >= findings.last_seen";

// A report is authoritative for each target it covers: rules it no longer
// reports for that target (e.g. a rule the agent's baseline dropped) stop
// being current. Targets it does not mention are left alone, since an agent
// may scan different targets on different schedules.
const PRUNE_TARGET: &str = "
    DELETE FROM findings
    WHERE agent = ?1 AND target = ?2 AND report_id <> ?3 AND last_seen <= ?4";

pub(super) fn ingest(
    conn: &mut Connection,
    path: &Path,
    incoming: &IncomingReport,
) -> Result<Stored> {
    let err = |action| db_err(path, action);
    let agent = &incoming.agent;
    let report = &incoming.report;
    let received = incoming.received_at.unix_timestamp();
    // Findings are dated by the scan, but never later than their arrival: an
    // agent whose clock runs ahead would otherwise date a finding in the
    // future and, through the freshness guard, freeze it until then.
    let observed = report.scanned_at.unix_timestamp().min(received);

    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err("begin an ingest transaction"))?;
    tx.execute(
        "INSERT INTO agents (name, site, cert_fingerprint, first_seen, last_seen)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (name) DO UPDATE SET
             site = excluded.site,
             cert_fingerprint = excluded.cert_fingerprint,
             last_seen = MAX(agents.last_seen, excluded.last_seen)",
        params![agent.name, agent.site, agent.cert_fingerprint, received],
    )
    .map_err(err("record the agent"))?;
    let body_sha256 = hex::encode(Sha256::digest(incoming.body.as_bytes()));
    let earlier: Option<i64> = tx
        .query_row(
            "SELECT id FROM reports WHERE agent = ?1 AND body_sha256 = ?2",
            params![agent.name, body_sha256],
            |row| row.get(0),
        )
        .optional()
        .map_err(err("look for an earlier copy of the report"))?;
    if let Some(report_id) = earlier {
        tx.commit().map_err(err("commit the report"))?;
        return Ok(Stored {
            report_id,
            findings: report.findings.len(),
            duplicate: true,
        });
    }
    tx.execute(
        "INSERT INTO reports (agent, site, cert_fingerprint, received_at, scanned_at,
                              baseline_id, baseline_version, vantage, body, body_sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            agent.name,
            agent.site,
            agent.cert_fingerprint,
            received,
            report.scanned_at.unix_timestamp(),
            report.baseline.id,
            report.baseline.version,
            report.vantage,
            incoming.body,
            body_sha256,
        ],
    )
    .map_err(err("store the report"))?;
    let report_id = tx.last_insert_rowid();

    {
        let mut upsert = tx
            .prepare_cached(UPSERT_FINDING)
            .map_err(err("prepare the findings upsert"))?;
        for f in &report.findings {
            upsert
                .execute(params![
                    agent.name,
                    agent.site,
                    f.target,
                    f.rule_id,
                    f.status.as_str(),
                    f.severity.as_str(),
                    f.title,
                    f.summary,
                    to_json(&f.evidence),
                    to_json(&f.controls),
                    cert_not_after(f),
                    observed,
                    report_id,
                ])
                .map_err(err("upsert a finding"))?;
        }
        let mut prune = tx
            .prepare_cached(PRUNE_TARGET)
            .map_err(err("prepare the findings prune"))?;
        let targets: BTreeSet<&str> = report.findings.iter().map(|f| f.target.as_str()).collect();
        for target in targets {
            prune
                .execute(params![agent.name, target, report_id, observed])
                .map_err(err("retire findings no longer reported"))?;
        }
    }
    tx.commit().map_err(err("commit the report"))?;
    Ok(Stored {
        report_id,
        findings: report.findings.len(),
        duplicate: false,
    })
}

fn to_json(value: &impl serde::Serialize) -> String {
    // Evidence and controls came from JSON moments ago; re-serialising
    // plain maps, strings and arrays cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// `evidence.not_after` (RFC 3339) as unix seconds, when present.
fn cert_not_after(f: &Finding) -> Option<i64> {
    let text = f.evidence.get("not_after")?.as_str()?;
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}
