//! Schema migrations, numbered by `PRAGMA user_version`. A migration is
//! appended, never edited: stores in the field have run the old ones.

use std::path::Path;

use rusqlite::Connection;

use super::db_err;
use crate::error::{Error, Result};

const MIGRATIONS: &[&str] = &[
    // 1: agents, reports as received, current findings.
    r#"
    CREATE TABLE agents (
        name             TEXT PRIMARY KEY,
        site             TEXT NOT NULL,
        cert_fingerprint TEXT NOT NULL,
        first_seen       INTEGER NOT NULL,
        last_seen        INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE reports (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        agent            TEXT NOT NULL REFERENCES agents(name),
        site             TEXT NOT NULL,
        cert_fingerprint TEXT NOT NULL,
        received_at      INTEGER NOT NULL,
        scanned_at       INTEGER NOT NULL,
        baseline_id      TEXT NOT NULL,
        baseline_version TEXT NOT NULL,
        vantage          TEXT,
        body             TEXT NOT NULL,
        body_sha256      TEXT NOT NULL
    ) STRICT;
    CREATE INDEX reports_by_agent ON reports(agent, received_at);
    CREATE INDEX reports_by_body ON reports(agent, body_sha256);

    CREATE TABLE findings (
        agent          TEXT NOT NULL,
        site           TEXT NOT NULL,
        target         TEXT NOT NULL,
        rule_id        TEXT NOT NULL,
        status         TEXT NOT NULL,
        severity       TEXT NOT NULL,
        title          TEXT NOT NULL,
        summary        TEXT NOT NULL,
        evidence       TEXT NOT NULL,
        controls       TEXT NOT NULL,
        -- evidence.not_after as unix seconds, so the earliest expiry per
        -- site is one indexed MIN() instead of parsing JSON per scrape.
        cert_not_after INTEGER,
        first_seen     INTEGER NOT NULL,
        last_seen      INTEGER NOT NULL,
        last_changed   INTEGER NOT NULL,
        report_id      INTEGER NOT NULL REFERENCES reports(id),
        PRIMARY KEY (agent, target, rule_id)
    ) STRICT;
    CREATE INDEX findings_by_site_status ON findings(site, status);
    CREATE INDEX findings_by_rule_status ON findings(rule_id, status);
    "#,
    // 2: the estate-scale collector (issue 7): enrolment and revocation,
    // report ids and sequences, history as state changes, per-scan
    // summaries, API tokens, exceptions and central policy. The same
    // tables as postgres/schema.rs, in SQLite's types.
    r#"
    ALTER TABLE agents ADD COLUMN enrolled_at INTEGER;
    ALTER TABLE agents ADD COLUMN enrol_token TEXT;
    ALTER TABLE agents ADD COLUMN cert_not_after INTEGER;
    ALTER TABLE agents ADD COLUMN revoked_at INTEGER;
    ALTER TABLE agents ADD COLUMN revoked_reason TEXT;
    -- Any authenticated request (report, policy fetch, renewal).
    ALTER TABLE agents ADD COLUMN last_contact INTEGER;
    ALTER TABLE agents ADD COLUMN last_sequence INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE agents ADD COLUMN policy_version INTEGER;

    -- The agent's own id for the report and its per-agent sequence.
    ALTER TABLE reports ADD COLUMN report_uid TEXT;
    ALTER TABLE reports ADD COLUMN sequence INTEGER;
    -- Bodies older than the retention period are emptied (the summary and
    -- the digest stay); this records when.
    ALTER TABLE reports ADD COLUMN body_pruned_at INTEGER;
    CREATE UNIQUE INDEX reports_by_uid ON reports(agent, report_uid);
    CREATE INDEX reports_by_received ON reports(received_at);

    -- A finding that stopped failing: when (NULL while failing or never failed).
    ALTER TABLE findings ADD COLUMN resolved_at INTEGER;
    CREATE INDEX findings_by_target ON findings(target);
    CREATE INDEX findings_by_last_seen ON findings(last_seen);

    -- Sequence numbers an agent skipped (its spool dropped reports).
    CREATE TABLE sequence_gaps (
        agent        TEXT NOT NULL,
        first_missing INTEGER NOT NULL,
        last_missing  INTEGER NOT NULL,
        detected_at  INTEGER NOT NULL,
        report_id    INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX sequence_gaps_by_agent ON sequence_gaps(agent, detected_at);

    -- History: one row per change of a finding's status; from_status is
    -- NULL when first seen, to_status 'absent' when no longer reported.
    CREATE TABLE finding_changes (
        id          INTEGER PRIMARY KEY,
        agent       TEXT NOT NULL,
        site        TEXT NOT NULL,
        target      TEXT NOT NULL,
        rule_id     TEXT NOT NULL,
        severity    TEXT NOT NULL,
        from_status TEXT,
        to_status   TEXT NOT NULL,
        at          INTEGER NOT NULL,
        report_id   INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX finding_changes_by_key ON finding_changes(agent, target, rule_id, at);
    CREATE INDEX finding_changes_by_time ON finding_changes(at);

    -- One row per stored report: what a year of history is mostly made of.
    CREATE TABLE scan_summaries (
        report_id      INTEGER PRIMARY KEY,
        agent          TEXT NOT NULL,
        site           TEXT NOT NULL,
        scanned_at     INTEGER NOT NULL,
        received_at    INTEGER NOT NULL,
        targets        INTEGER NOT NULL,
        pass           INTEGER NOT NULL,
        fail           INTEGER NOT NULL,
        error          INTEGER NOT NULL,
        not_applicable INTEGER NOT NULL,
        fail_critical  INTEGER NOT NULL,
        fail_high      INTEGER NOT NULL,
        fail_medium    INTEGER NOT NULL,
        fail_low       INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX scan_summaries_by_site_time ON scan_summaries(site, scanned_at);

    -- Enrolment tokens: only the secret's SHA-256 is kept.
    CREATE TABLE enrol_tokens (
        id            TEXT PRIMARY KEY,
        secret_sha256 TEXT NOT NULL,
        site          TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL,
        max_uses      INTEGER NOT NULL,
        uses          INTEGER NOT NULL DEFAULT 0,
        revoked_at    INTEGER
    ) STRICT;

    -- API tokens with a role: admin, analyst or auditor.
    CREATE TABLE api_tokens (
        id            TEXT PRIMARY KEY,
        secret_sha256 TEXT NOT NULL,
        name          TEXT NOT NULL,
        role          TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        expires_at    INTEGER,
        revoked_at    INTEGER,
        last_used     INTEGER
    ) STRICT;

    -- Accepted risks: change how a finding is reported, never the finding.
    CREATE TABLE exceptions (
        id                   INTEGER PRIMARY KEY,
        site                 TEXT,
        rule_id              TEXT NOT NULL,
        target               TEXT NOT NULL,
        owner                TEXT NOT NULL,
        siro_accepted_on     TEXT NOT NULL,
        compensating_control TEXT NOT NULL,
        reason               TEXT NOT NULL,
        expires_at           INTEGER NOT NULL,
        created_at           INTEGER NOT NULL,
        created_by           TEXT NOT NULL,
        withdrawn_at         INTEGER
    ) STRICT;
    CREATE INDEX exceptions_by_rule ON exceptions(rule_id, target);

    -- Central scan policy per site, as JSON; version rises on every change.
    CREATE TABLE policies (
        site       TEXT PRIMARY KEY,
        version    INTEGER NOT NULL,
        body       TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        updated_by TEXT NOT NULL
    ) STRICT;

    -- Who changed the registers (tokens, revocations, exceptions, policy).
    CREATE TABLE admin_events (
        id      INTEGER PRIMARY KEY,
        at      INTEGER NOT NULL,
        actor   TEXT NOT NULL,
        action  TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail  TEXT NOT NULL
    ) STRICT;
    "#,
    // 3: retention and the batching writer (issue 7). Deleting an old
    // report makes SQLite check that no finding still points to it:
    // without an index on the child key each check reads every finding.
    // The partial index holds only bodies not yet pruned, so the hourly
    // run never rereads the pruned ones. Retries are recognised by
    // report_id now, so the body-digest index has no reader left.
    r#"
    CREATE INDEX findings_by_report ON findings(report_id);
    CREATE INDEX reports_unpruned ON reports(received_at) WHERE body_pruned_at IS NULL;
    CREATE INDEX scan_summaries_by_received ON scan_summaries(received_at);
    CREATE INDEX sequence_gaps_by_time ON sequence_gaps(detected_at);
    DROP INDEX reports_by_body;
    "#,
    // 4: current findings counted per (site, rule, severity, status), kept
    // exact by triggers in the same transaction as every write, so a
    // /metrics scrape reads a few hundred rows instead of grouping millions.
    // A key whose count falls to 0 stays (and is skipped when read).
    r#"
    CREATE TABLE finding_counts (
        site     TEXT NOT NULL,
        rule_id  TEXT NOT NULL,
        severity TEXT NOT NULL,
        status   TEXT NOT NULL,
        n        INTEGER NOT NULL,
        PRIMARY KEY (site, rule_id, severity, status)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO finding_counts (site, rule_id, severity, status, n)
        SELECT site, rule_id, severity, status, COUNT(*) FROM findings
        GROUP BY site, rule_id, severity, status;

    CREATE TRIGGER finding_counts_insert AFTER INSERT ON findings BEGIN
        INSERT INTO finding_counts (site, rule_id, severity, status, n)
        VALUES (NEW.site, NEW.rule_id, NEW.severity, NEW.status, 1)
        ON CONFLICT (site, rule_id, severity, status) DO UPDATE SET n = n + 1;
    END;

    CREATE TRIGGER finding_counts_delete AFTER DELETE ON findings BEGIN
        UPDATE finding_counts SET n = n - 1
        WHERE site = OLD.site AND rule_id = OLD.rule_id
          AND severity = OLD.severity AND status = OLD.status;
    END;

    CREATE TRIGGER finding_counts_update AFTER UPDATE OF site, rule_id, severity, status
    ON findings
    WHEN OLD.site IS NOT NEW.site OR OLD.rule_id IS NOT NEW.rule_id
      OR OLD.severity IS NOT NEW.severity OR OLD.status IS NOT NEW.status
    BEGIN
        UPDATE finding_counts SET n = n - 1
        WHERE site = OLD.site AND rule_id = OLD.rule_id
          AND severity = OLD.severity AND status = OLD.status;
        INSERT INTO finding_counts (site, rule_id, severity, status, n)
        VALUES (NEW.site, NEW.rule_id, NEW.severity, NEW.status, 1)
        ON CONFLICT (site, rule_id, severity, status) DO UPDATE SET n = n + 1;
    END;

    -- The earliest certificate expiry per site is one index range per site.
    CREATE INDEX findings_by_rule_site_expiry ON findings(rule_id, site, cert_not_after);
    "#,
    // 5: the host part of a finding's target (`h` of `h:443`, `::1` of
    // `[::1]:443`, the whole target otherwise), computed by SQLite so the
    // ingest path need not know it, and indexed for the API's `host=`
    // filter and its per-host listing. The same expression as PostgreSQL
    // migration 4.
    r#"
    ALTER TABLE findings ADD COLUMN host TEXT GENERATED ALWAYS AS (
        CASE
            WHEN substr(target, 1, 1) = '[' AND instr(target, ']') > 0
                THEN substr(target, 2, instr(target, ']') - 2)
            WHEN instr(target, ':') > 0
                 AND instr(substr(target, instr(target, ':') + 1), ':') = 0
                THEN substr(target, 1, instr(target, ':') - 1)
            ELSE target
        END) VIRTUAL;
    CREATE INDEX findings_by_host ON findings(host);
    "#,
    // 6: `finding_counts` is kept by the writer from now on (store/counts.rs):
    // one upsert per key per transaction instead of a trigger per finding.
    r#"
    DROP TRIGGER finding_counts_insert;
    DROP TRIGGER finding_counts_delete;
    DROP TRIGGER finding_counts_update;
    "#,
    // 7: the agents' states per site for /metrics from an index that holds
    // every column the query reads, not the table: at 50,000 agents a
    // scrape's agents query fell from ~47 ms to ~7 ms on a cold connection.
    // One more index entry moves per report, not per finding.
    r#"
    CREATE INDEX agents_by_site_contact
        ON agents(site, revoked_at, last_contact, last_seen, name);
    "#,
    // 8: tamper evidence (store/ledger.rs): each report's place in its
    // agent's hash chain, the agent's head, and the append-only ledger of
    // checkpoints and evidence packs. Reports stored before this have no
    // chain hash; an agent's chain starts at its first report after it.
    r#"
    ALTER TABLE reports ADD COLUMN chain_hash TEXT;
    ALTER TABLE agents ADD COLUMN chain_head TEXT;

    CREATE TABLE ledger (
        seq       INTEGER PRIMARY KEY,
        at        INTEGER NOT NULL,
        kind      TEXT NOT NULL,
        subject   TEXT NOT NULL,
        digest    TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
    ) STRICT;
    CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN
        SELECT RAISE(ABORT, 'the ledger is append-only');
    END;
    CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN
        SELECT RAISE(ABORT, 'the ledger is append-only');
    END;
    "#,
];

/// The schema version this build writes.
pub(crate) const CURRENT: i64 = MIGRATIONS.len() as i64;

pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let err = |action| db_err(path, action);
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(err("read the schema version"))?;
    if found > CURRENT {
        return Err(Error::StoreTooNew {
            path: path.to_owned(),
            found,
            supported: CURRENT,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        // Each step and its version bump commit together, so an
        // interrupted upgrade resumes at the step that failed.
        let tx = conn.transaction().map_err(err("begin a migration"))?;
        tx.execute_batch(sql).map_err(err("apply a migration"))?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(err("record the schema version"))?;
        tx.commit().map_err(err("commit a migration"))?;
    }
    Ok(())
}
