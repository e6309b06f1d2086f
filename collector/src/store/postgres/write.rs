//! Storing one report on PostgreSQL: the same rules as SQLite (the
//! decisions and the history plan are shared, in `store/ingest.rs` and
//! `store/history.rs`), in one transaction of about a dozen round trips
//! whatever the number of findings: each set of rows goes as arrays
//! through one `UNNEST` statement.
//!
//! Several collectors may receive the same agent's reports at once (a
//! retry through another load-balancer leg). The agent's row is locked
//! first (`SELECT … FOR UPDATE`) and everything the decision reads is read
//! after the lock, so their transactions for that agent run one after the
//! other: a report is stored once and a sequence never goes backwards.

use std::collections::BTreeSet;

use deadpool_postgres::{Object, Transaction};
use tokio_postgres::types::ToSql;

use super::pg_err;
use crate::error::Result;
use crate::store::counts::CountDeltas;
use crate::store::history::{self, CurrentRow, Plan};
use crate::store::ingest::{self, AgentState, Decision, Earlier, Prepared};
use crate::store::{ledger, Refusal, Stored};

// A row to lock even for an agent's very first report. A concurrent
// first report of the same agent waits here on the primary key, then
// finds the row.
const CREATE_AGENT: &str = "
    INSERT INTO agents (name, site, cert_fingerprint, first_seen, last_seen)
    VALUES ($1, $2, $3, $4, $4)
    ON CONFLICT (name) DO NOTHING";

const LOCK_AGENT: &str =
    "SELECT revoked_at IS NOT NULL, last_sequence, chain_head FROM agents WHERE name = $1 FOR UPDATE";

const EARLIER: &str = "SELECT id, body_sha256 FROM reports WHERE agent = $1 AND report_uid = $2";

const TOUCH_AGENT: &str = "
    UPDATE agents SET last_contact = GREATEST(COALESCE(last_contact, 0), $2) WHERE name = $1";

const UPDATE_AGENT: &str = "
    UPDATE agents SET site = $2, cert_fingerprint = $3,
        last_seen = GREATEST(last_seen, $4),
        last_contact = GREATEST(COALESCE(last_contact, 0), $4),
        last_sequence = $5,
        chain_head = $6
    WHERE name = $1";

const INSERT_REPORT: &str = "
    INSERT INTO reports (agent, site, cert_fingerprint, received_at, scanned_at, baseline_id,
                         baseline_version, vantage, body, body_sha256, report_uid, sequence,
                         chain_hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    RETURNING id";

const INSERT_GAP: &str = "
    INSERT INTO sequence_gaps (agent, first_missing, last_missing, detected_at, report_id)
    VALUES ($1, $2, $3, $4, $5)";

const CURRENT: &str = "
    SELECT target, rule_id, status, severity, first_seen, last_seen, last_changed, resolved_at,
           site
    FROM findings WHERE agent = $1 AND target = ANY($2)";

// `history::plan` has applied the freshness rules: every value is the one
// to keep. Its rows are unique per (target, rule_id), which ON CONFLICT
// DO UPDATE requires within one statement.
const UPSERT_FINDINGS: &str = "
    INSERT INTO findings (agent, site, target, rule_id, status, severity, title, summary,
                          evidence, controls, cert_not_after, first_seen, last_seen,
                          last_changed, report_id, resolved_at)
    SELECT $1, $2, t.target, t.rule_id, t.status, t.severity, t.title, t.summary, t.evidence,
           t.controls, t.cert_not_after, t.first_seen, $3, t.last_changed, $4, t.resolved_at
    FROM UNNEST($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                $11::text[], $12::text[], $13::int8[], $14::int8[], $15::int8[], $16::int8[])
         AS t(target, rule_id, status, severity, title, summary, evidence, controls,
              cert_not_after, first_seen, last_changed, resolved_at)
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

const DELETE_FINDINGS: &str = "
    DELETE FROM findings
    WHERE agent = $1 AND (target, rule_id) IN (SELECT * FROM UNNEST($2::text[], $3::text[]))";

const INSERT_CHANGES: &str = "
    INSERT INTO finding_changes (agent, site, target, rule_id, severity, from_status,
                                 to_status, at, report_id)
    SELECT $1, $2, t.target, t.rule_id, t.severity, t.from_status, t.to_status, $3, $4
    FROM UNNEST($5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         AS t(target, rule_id, severity, from_status, to_status)";

// Keys are unique and sorted (`CountDeltas`), so every transaction takes
// the count rows' locks in the same order.
const ADD_COUNTS: &str = "
    INSERT INTO finding_counts (site, rule_id, severity, status, n)
    SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[])
    ON CONFLICT (site, rule_id, severity, status) DO UPDATE SET n = finding_counts.n + excluded.n";

const INSERT_SUMMARY: &str = "
    INSERT INTO scan_summaries (report_id, agent, site, scanned_at, received_at, targets, pass,
                                fail, error, not_applicable, fail_critical, fail_high,
                                fail_medium, fail_low)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

/// The ingest transaction: every statement is prepared once per connection
/// (cached), and an error names the database and the step that failed,
/// with the preparation and the run worded apart.
struct Steps<'a, 'c> {
    tx: &'a Transaction<'c>,
    database: &'a str,
}

type Params<'p> = [&'p (dyn ToSql + Sync)];

impl Steps<'_, '_> {
    async fn prepare(&self, sql: &str, prepare: &'static str) -> Result<tokio_postgres::Statement> {
        self.tx
            .prepare_cached(sql)
            .await
            .map_err(pg_err(self.database, prepare))
    }

    /// (what preparing it is, what running it is).
    async fn execute(
        &self,
        sql: &str,
        (prepare, action): (&'static str, &'static str),
        params: &Params<'_>,
    ) -> Result<u64> {
        let stmt = self.prepare(sql, prepare).await?;
        self.tx
            .execute(&stmt, params)
            .await
            .map_err(pg_err(self.database, action))
    }
}

/// Stores `p` in one transaction on `client`.
pub(super) async fn ingest(client: &mut Object, database: &str, p: &Prepared) -> Result<Stored> {
    let err = |action| pg_err(database, action);
    let agent = &p.agent;
    let tx = client
        .transaction()
        .await
        .map_err(err("begin an ingest transaction"))?;
    let steps = Steps { tx: &tx, database };
    steps
        .execute(
            CREATE_AGENT,
            ("prepare the agent insert", "record the agent"),
            &[
                &agent.name,
                &agent.site,
                &agent.cert_fingerprint,
                &p.received,
            ],
        )
        .await?;
    let stmt = steps.prepare(LOCK_AGENT, "prepare the agent lock").await?;
    let row = tx
        .query_one(&stmt, &[&agent.name])
        .await
        .map_err(err("lock the agent"))?;
    let state = AgentState {
        revoked: row.get(0),
        last_sequence: row.get(1),
    };
    let head: Option<String> = row.get(2);
    let stmt = steps.prepare(EARLIER, "prepare the report lookup").await?;
    let earlier: Option<(i64, String)> = tx
        .query_opt(&stmt, &[&agent.name, &p.report_uid])
        .await
        .map_err(err("look for an earlier copy of the report"))?
        .map(|r| (r.get(0), r.get(1)));
    let earlier = earlier.as_ref().map(|(id, sha)| Earlier {
        report_id: *id,
        body_sha256: sha,
    });
    let gap = match ingest::decide(p, state, earlier) {
        // Nothing to write: the transaction rolls back on drop.
        Decision::Refuse(r @ Refusal::Revoked { .. }) => return Err(r.into()),
        Decision::Refuse(r) => {
            touch(&steps, p).await?;
            tx.commit()
                .await
                .map_err(err("commit the agent's contact"))?;
            return Err(r.into());
        }
        Decision::Duplicate { report_id } => {
            touch(&steps, p).await?;
            tx.commit()
                .await
                .map_err(err("commit the agent's contact"))?;
            return Ok(Stored {
                report_id,
                findings: p.reported,
                duplicate: true,
                gap: None,
                changes: 0,
            });
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

    steps
        .execute(
            UPDATE_AGENT,
            ("prepare the agent update", "record the agent"),
            &[
                &agent.name,
                &agent.site,
                &agent.cert_fingerprint,
                &p.received,
                &p.sequence,
                &chain_hash,
            ],
        )
        .await?;
    let stmt = steps
        .prepare(INSERT_REPORT, "prepare the report insert")
        .await?;
    let report_id: i64 = tx
        .query_one(
            &stmt,
            &[
                &agent.name,
                &agent.site,
                &agent.cert_fingerprint,
                &p.received,
                &p.scanned,
                &p.baseline_id,
                &p.baseline_version,
                &p.vantage,
                &p.body,
                &p.body_sha256,
                &p.report_uid,
                &p.sequence,
                &chain_hash,
            ],
        )
        .await
        .map_err(err("store the report"))?
        .get(0);
    if let Some(g) = gap {
        steps
            .execute(
                INSERT_GAP,
                ("prepare the gap insert", "record a sequence gap"),
                &[
                    &agent.name,
                    &g.first_missing,
                    &g.last_missing,
                    &p.received,
                    &report_id,
                ],
            )
            .await?;
    }
    let current = current_rows(&steps, p).await?;
    let plan = history::plan(p, &current);
    write_plan(&steps, p, &plan, report_id).await?;
    let s = &p.summary;
    steps
        .execute(
            INSERT_SUMMARY,
            ("prepare the summary insert", "store the scan summary"),
            &[
                &report_id,
                &agent.name,
                &agent.site,
                &p.scanned,
                &p.received,
                &s.targets,
                &s.pass,
                &s.fail,
                &s.error,
                &s.not_applicable,
                &s.fail_critical,
                &s.fail_high,
                &s.fail_medium,
                &s.fail_low,
            ],
        )
        .await?;
    // Last before the commit: the count rows are shared by every agent of
    // the site, so they stay locked as briefly as possible.
    let mut counts = CountDeltas::default();
    counts.add_plan(p, &current, &plan);
    add_counts(&steps, &counts).await?;
    tx.commit().await.map_err(err("commit the report"))?;
    Ok(Stored {
        report_id,
        findings: p.reported,
        duplicate: false,
        gap,
        changes: plan.changes.len(),
    })
}

async fn add_counts(steps: &Steps<'_, '_>, counts: &CountDeltas) -> Result<()> {
    let mut columns: [Vec<&str>; 4] = Default::default();
    let mut n: Vec<i64> = Vec::new();
    for ((site, rule_id, severity, status), delta) in counts.changes() {
        for (column, value) in columns.iter_mut().zip([site, rule_id, severity, status]) {
            column.push(value);
        }
        n.push(delta);
    }
    if n.is_empty() {
        return Ok(());
    }
    let [sites, rules, severities, statuses] = &columns;
    steps
        .execute(
            ADD_COUNTS,
            (
                "prepare the findings count update",
                "update the findings counts",
            ),
            &[sites, rules, severities, statuses, &n],
        )
        .await?;
    Ok(())
}

async fn touch(steps: &Steps<'_, '_>, p: &Prepared) -> Result<()> {
    steps
        .execute(
            TOUCH_AGENT,
            (
                "prepare the agent contact update",
                "record the agent's contact",
            ),
            &[&p.agent.name, &p.received],
        )
        .await?;
    Ok(())
}

async fn current_rows(steps: &Steps<'_, '_>, p: &Prepared) -> Result<Vec<CurrentRow>> {
    let targets: Vec<&str> = p
        .rows
        .iter()
        .map(|r| r.target.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = steps
        .prepare(CURRENT, "prepare the current findings lookup")
        .await?;
    let rows = steps
        .tx
        .query(&stmt, &[&p.agent.name, &targets])
        .await
        .map_err(pg_err(steps.database, "read the current findings"))?;
    Ok(rows
        .into_iter()
        .map(|r| CurrentRow {
            site: r.get(8),
            target: r.get(0),
            rule_id: r.get(1),
            status: r.get(2),
            severity: r.get(3),
            first_seen: r.get(4),
            last_seen: r.get(5),
            last_changed: r.get(6),
            resolved_at: r.get(7),
        })
        .collect())
}

async fn write_plan(
    steps: &Steps<'_, '_>,
    p: &Prepared,
    plan: &Plan<'_>,
    report_id: i64,
) -> Result<()> {
    let agent = &p.agent;
    if !plan.upserts.is_empty() {
        let rows: Vec<_> = plan.upserts.iter().map(|u| (&p.rows[u.row], u)).collect();
        let col = |f: fn(&crate::store::ingest::Row) -> &str| -> Vec<&str> {
            rows.iter().map(|(r, _)| f(r)).collect()
        };
        let targets = col(|r| &r.target);
        let rule_ids = col(|r| &r.rule_id);
        let statuses = col(|r| r.status.as_str());
        let severities = col(|r| r.severity.as_str());
        let titles = col(|r| &r.title);
        let summaries = col(|r| &r.summary);
        let evidence = col(|r| &r.evidence);
        let controls = col(|r| &r.controls);
        let not_after: Vec<Option<i64>> = rows.iter().map(|(r, _)| r.cert_not_after).collect();
        let first_seen: Vec<i64> = rows.iter().map(|(_, u)| u.first_seen).collect();
        let last_changed: Vec<i64> = rows.iter().map(|(_, u)| u.last_changed).collect();
        let resolved: Vec<Option<i64>> = rows.iter().map(|(_, u)| u.resolved_at).collect();
        steps
            .execute(
                UPSERT_FINDINGS,
                ("prepare the findings upsert", "upsert the findings"),
                &[
                    &agent.name,
                    &agent.site,
                    &p.observed,
                    &report_id,
                    &targets,
                    &rule_ids,
                    &statuses,
                    &severities,
                    &titles,
                    &summaries,
                    &evidence,
                    &controls,
                    &not_after,
                    &first_seen,
                    &last_changed,
                    &resolved,
                ],
            )
            .await?;
    }
    if !plan.deletes.is_empty() {
        let targets: Vec<&str> = plan.deletes.iter().map(|(t, _)| *t).collect();
        let rule_ids: Vec<&str> = plan.deletes.iter().map(|(_, r)| *r).collect();
        steps
            .execute(
                DELETE_FINDINGS,
                (
                    "prepare the findings delete",
                    "retire findings no longer reported",
                ),
                &[&agent.name, &targets, &rule_ids],
            )
            .await?;
    }
    if !plan.changes.is_empty() {
        let c = &plan.changes;
        let targets: Vec<&str> = c.iter().map(|c| c.target).collect();
        let rule_ids: Vec<&str> = c.iter().map(|c| c.rule_id).collect();
        let severities: Vec<&str> = c.iter().map(|c| c.severity).collect();
        let from: Vec<Option<&str>> = c.iter().map(|c| c.from_status).collect();
        let to: Vec<&str> = c.iter().map(|c| c.to_status).collect();
        steps
            .execute(
                INSERT_CHANGES,
                ("prepare the history insert", "record the findings' changes"),
                &[
                    &agent.name,
                    &agent.site,
                    &p.observed,
                    &report_id,
                    &targets,
                    &rule_ids,
                    &severities,
                    &from,
                    &to,
                ],
            )
            .await?;
    }
    Ok(())
}
