//! Storing one report on SQLite, inside the writer's batch transaction
//! (see `writer.rs`): the agent's stamps checked
//! against its row, the report as received, the current findings of the
//! targets it covers, their history and the scan summary.

use std::collections::BTreeSet;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use super::db_err;
use crate::error::Result;
use crate::store::counts::CountDeltas;
use crate::store::history::{self, CurrentRow, Plan};
use crate::store::ingest::{self, AgentState, Decision, Earlier, Prepared};
use crate::store::{ledger, Refusal, SequenceGap, Stored};

const AGENT_STATE: &str =
    "SELECT revoked_at IS NOT NULL, last_sequence, chain_head FROM agents WHERE name = ?1";

const EARLIER: &str = "SELECT id, body_sha256 FROM reports WHERE agent = ?1 AND report_uid = ?2";

// Any request that got past revocation is contact, refused or not.
const TOUCH_AGENT: &str = "
    UPDATE agents SET last_contact = MAX(COALESCE(last_contact, 0), ?2) WHERE name = ?1";

const UPSERT_AGENT: &str = "
    INSERT INTO agents (name, site, cert_fingerprint, first_seen, last_seen, last_contact,
                        last_sequence, chain_head)
    VALUES (?1, ?2, ?3, ?4, ?4, ?4, ?5, ?6)
    ON CONFLICT (name) DO UPDATE SET
        site = excluded.site,
        cert_fingerprint = excluded.cert_fingerprint,
        last_seen = MAX(agents.last_seen, excluded.last_seen),
        last_contact = MAX(COALESCE(agents.last_contact, 0), excluded.last_contact),
        last_sequence = excluded.last_sequence,
        chain_head = excluded.chain_head";

const INSERT_REPORT: &str = "
    INSERT INTO reports (agent, site, cert_fingerprint, received_at, scanned_at, baseline_id,
                         baseline_version, vantage, body, body_sha256, report_uid, sequence,
                         chain_hash)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

const INSERT_GAP: &str = "
    INSERT INTO sequence_gaps (agent, first_missing, last_missing, detected_at, report_id)
    VALUES (?1, ?2, ?3, ?4, ?5)";

const CURRENT: &str = "
    SELECT target, rule_id, status, severity, first_seen, last_seen, last_changed, resolved_at,
           site
    FROM findings WHERE agent = ?1 AND target = ?2";

// `history::plan` has already applied the freshness rules: every value
// here is the one to keep.
const UPSERT_FINDING: &str = "
    INSERT INTO findings (agent, site, target, rule_id, status, severity, title, summary,
                          evidence, controls, cert_not_after, first_seen, last_seen,
                          last_changed, report_id, resolved_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
    ON CONFLICT (agent, target, rule_id) DO UPDATE SET
        site = excluded.site,
        status = excluded.status,
        severity = excluded.severity,
        title = excluded.title,
        summary = excluded.summary,
        evidence = excluded.evidence,
        controls = excluded.controls,
        cert_not_after = excluded.cert_not_after,
        first_seen = excluded.first_seen,
        last_seen = excluded.last_seen,
        last_changed = excluded.last_changed,
        report_id = excluded.report_id,
        resolved_at = excluded.resolved_at";

const DELETE_FINDING: &str =
    "DELETE FROM findings WHERE agent = ?1 AND target = ?2 AND rule_id = ?3";

const INSERT_CHANGE: &str = "
    INSERT INTO finding_changes (agent, site, target, rule_id, severity, from_status,
                                 to_status, at, report_id)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

const ADD_COUNT: &str = "
    INSERT INTO finding_counts (site, rule_id, severity, status, n) VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (site, rule_id, severity, status) DO UPDATE SET n = n + excluded.n";

const INSERT_SUMMARY: &str = "
    INSERT INTO scan_summaries (report_id, agent, site, scanned_at, received_at, targets, pass,
                                fail, error, not_applicable, fail_critical, fail_high,
                                fail_medium, fail_low)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

/// Stores `p` on `conn` (inside the caller's transaction), or says why
/// not; what it changes in `finding_counts` is added to `counts`, for
/// [`apply_counts`] to write before the transaction commits.
pub(super) fn ingest(
    conn: &Connection,
    path: &Path,
    p: &Prepared,
    counts: &mut CountDeltas,
) -> Result<std::result::Result<Stored, Refusal>> {
    let err = |action| db_err(path, action);
    let agent = &p.agent;
    let (state, head): (AgentState, Option<String>) = conn
        .prepare_cached(AGENT_STATE)
        .map_err(err("prepare the agent lookup"))?
        .query_row([&agent.name], |r| {
            Ok((
                AgentState {
                    revoked: r.get(0)?,
                    last_sequence: r.get(1)?,
                },
                r.get(2)?,
            ))
        })
        .optional()
        .map_err(err("read the agent"))?
        .unwrap_or((
            AgentState {
                revoked: false,
                last_sequence: 0,
            },
            None,
        ));
    let earlier: Option<(i64, String)> = conn
        .prepare_cached(EARLIER)
        .map_err(err("prepare the report lookup"))?
        .query_row(params![agent.name, p.report_uid], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .map_err(err("look for an earlier copy of the report"))?;
    let earlier = earlier.as_ref().map(|(id, sha)| Earlier {
        report_id: *id,
        body_sha256: sha,
    });
    let gap = match ingest::decide(p, state, earlier) {
        Decision::Refuse(r @ Refusal::Revoked { .. }) => return Ok(Err(r)),
        Decision::Refuse(r) => {
            touch(conn, path, p)?;
            return Ok(Err(r));
        }
        Decision::Duplicate { report_id } => {
            touch(conn, path, p)?;
            return Ok(Ok(Stored {
                report_id,
                findings: p.reported,
                duplicate: true,
                gap: None,
                changes: 0,
            }));
        }
        Decision::Store { gap } => gap,
    };

    let chain_hash = ledger::report_chain_hash(
        head.as_deref().unwrap_or(ledger::GENESIS),
        &agent.name,
        p.sequence,
        p.received,
        &p.body_sha256,
    );
    conn.prepare_cached(UPSERT_AGENT)
        .map_err(err("prepare the agent upsert"))?
        .execute(params![
            agent.name,
            agent.site,
            agent.cert_fingerprint,
            p.received,
            p.sequence,
            chain_hash,
        ])
        .map_err(err("record the agent"))?;
    conn.prepare_cached(INSERT_REPORT)
        .map_err(err("prepare the report insert"))?
        .execute(params![
            agent.name,
            agent.site,
            agent.cert_fingerprint,
            p.received,
            p.scanned,
            p.baseline_id,
            p.baseline_version,
            p.vantage,
            p.body,
            p.body_sha256,
            p.report_uid,
            p.sequence,
            chain_hash,
        ])
        .map_err(err("store the report"))?;
    let report_id = conn.last_insert_rowid();
    if let Some(g) = gap {
        record_gap(conn, path, p, g, report_id)?;
    }
    let current = current_rows(conn, path, p)?;
    let plan = history::plan(p, &current);
    write_plan(conn, path, p, &plan, report_id)?;
    counts.add_plan(p, &current, &plan);
    let s = &p.summary;
    conn.prepare_cached(INSERT_SUMMARY)
        .map_err(err("prepare the summary insert"))?
        .execute(params![
            report_id,
            agent.name,
            agent.site,
            p.scanned,
            p.received,
            s.targets,
            s.pass,
            s.fail,
            s.error,
            s.not_applicable,
            s.fail_critical,
            s.fail_high,
            s.fail_medium,
            s.fail_low,
        ])
        .map_err(err("store the scan summary"))?;
    Ok(Ok(Stored {
        report_id,
        findings: p.reported,
        duplicate: false,
        gap,
        changes: plan.changes.len(),
    }))
}

/// Writes the summed `counts` of a transaction: one statement per key.
pub(super) fn apply_counts(conn: &Connection, path: &Path, counts: &CountDeltas) -> Result<()> {
    let mut add = conn
        .prepare_cached(ADD_COUNT)
        .map_err(db_err(path, "prepare the findings count update"))?;
    for ((site, rule_id, severity, status), n) in counts.changes() {
        add.execute(params![site, rule_id, severity, status, n])
            .map_err(db_err(path, "update the findings counts"))?;
    }
    Ok(())
}

fn touch(conn: &Connection, path: &Path, p: &Prepared) -> Result<()> {
    conn.prepare_cached(TOUCH_AGENT)
        .map_err(db_err(path, "prepare the agent contact update"))?
        .execute(params![p.agent.name, p.received])
        .map_err(db_err(path, "record the agent's contact"))?;
    Ok(())
}

fn record_gap(
    conn: &Connection,
    path: &Path,
    p: &Prepared,
    g: SequenceGap,
    report_id: i64,
) -> Result<()> {
    conn.prepare_cached(INSERT_GAP)
        .map_err(db_err(path, "prepare the gap insert"))?
        .execute(params![
            p.agent.name,
            g.first_missing,
            g.last_missing,
            p.received,
            report_id
        ])
        .map_err(db_err(path, "record a sequence gap"))?;
    Ok(())
}

/// The agent's current findings for the report's targets.
fn current_rows(conn: &Connection, path: &Path, p: &Prepared) -> Result<Vec<CurrentRow>> {
    let err = |action| db_err(path, action);
    let mut stmt = conn
        .prepare_cached(CURRENT)
        .map_err(err("prepare the current findings lookup"))?;
    let targets: BTreeSet<&str> = p.rows.iter().map(|r| r.target.as_str()).collect();
    let mut rows = Vec::new();
    for target in targets {
        let found = stmt
            .query_map(params![p.agent.name, target], |r| {
                Ok(CurrentRow {
                    site: r.get(8)?,
                    target: r.get(0)?,
                    rule_id: r.get(1)?,
                    status: r.get(2)?,
                    severity: r.get(3)?,
                    first_seen: r.get(4)?,
                    last_seen: r.get(5)?,
                    last_changed: r.get(6)?,
                    resolved_at: r.get(7)?,
                })
            })
            .map_err(err("read the current findings"))?;
        for row in found {
            rows.push(row.map_err(err("read the current findings"))?);
        }
    }
    Ok(rows)
}

fn write_plan(
    conn: &Connection,
    path: &Path,
    p: &Prepared,
    plan: &Plan<'_>,
    report_id: i64,
) -> Result<()> {
    let err = |action| db_err(path, action);
    let agent = &p.agent;
    let mut upsert = conn
        .prepare_cached(UPSERT_FINDING)
        .map_err(err("prepare the findings upsert"))?;
    for u in &plan.upserts {
        let r = &p.rows[u.row];
        upsert
            .execute(params![
                agent.name,
                agent.site,
                r.target,
                r.rule_id,
                r.status.as_str(),
                r.severity.as_str(),
                r.title,
                r.summary,
                r.evidence,
                r.controls,
                r.cert_not_after,
                u.first_seen,
                p.observed,
                u.last_changed,
                report_id,
                u.resolved_at,
            ])
            .map_err(err("upsert a finding"))?;
    }
    if !plan.deletes.is_empty() {
        let mut delete = conn
            .prepare_cached(DELETE_FINDING)
            .map_err(err("prepare the findings delete"))?;
        for (target, rule_id) in &plan.deletes {
            delete
                .execute(params![agent.name, target, rule_id])
                .map_err(err("retire a finding no longer reported"))?;
        }
    }
    let mut change = conn
        .prepare_cached(INSERT_CHANGE)
        .map_err(err("prepare the history insert"))?;
    for c in &plan.changes {
        change
            .execute(params![
                agent.name,
                agent.site,
                c.target,
                c.rule_id,
                c.severity,
                c.from_status,
                c.to_status,
                c.at,
                report_id,
            ])
            .map_err(err("record a finding's change"))?;
    }
    Ok(())
}
