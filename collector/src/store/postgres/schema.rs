//! PostgreSQL schema migrations, numbered in `trustwatch_schema`. The same
//! tables as `sqlite/schema.rs` (after all of its migrations), in
//! PostgreSQL's types. A migration is appended, never edited.
//!
//! Several collectors may start at once against one database: the whole
//! migration runs under a transaction-scoped advisory lock, so exactly one
//! applies each step and the others then find it done.

use deadpool_postgres::Object;

use super::pg_err;
use crate::error::{Error, Result};

/// An arbitrary constant naming Trustwatch's migration lock.
const MIGRATION_LOCK: i64 = 0x7472_7573_7477_0001;

const MIGRATIONS: &[&str] = &[
    // 1: everything SQLite has after its migration 2.
    r#"
    CREATE TABLE agents (
        name             TEXT PRIMARY KEY,
        site             TEXT NOT NULL,
        cert_fingerprint TEXT NOT NULL,
        first_seen       BIGINT NOT NULL,
        last_seen        BIGINT NOT NULL,
        enrolled_at      BIGINT,
        enrol_token      TEXT,
        cert_not_after   BIGINT,
        revoked_at       BIGINT,
        revoked_reason   TEXT,
        last_contact     BIGINT,
        last_sequence    BIGINT NOT NULL DEFAULT 0,
        policy_version   BIGINT
    );

    CREATE TABLE reports (
        id               BIGSERIAL PRIMARY KEY,
        agent            TEXT NOT NULL REFERENCES agents(name),
        site             TEXT NOT NULL,
        cert_fingerprint TEXT NOT NULL,
        received_at      BIGINT NOT NULL,
        scanned_at       BIGINT NOT NULL,
        baseline_id      TEXT NOT NULL,
        baseline_version TEXT NOT NULL,
        vantage          TEXT,
        body             TEXT NOT NULL,
        body_sha256      TEXT NOT NULL,
        report_uid       TEXT,
        sequence         BIGINT,
        body_pruned_at   BIGINT
    );
    CREATE INDEX reports_by_agent ON reports(agent, received_at);
    CREATE INDEX reports_by_body ON reports(agent, body_sha256);
    CREATE UNIQUE INDEX reports_by_uid ON reports(agent, report_uid);
    CREATE INDEX reports_by_received ON reports(received_at);

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
        cert_not_after BIGINT,
        first_seen     BIGINT NOT NULL,
        last_seen      BIGINT NOT NULL,
        last_changed   BIGINT NOT NULL,
        report_id      BIGINT NOT NULL REFERENCES reports(id),
        resolved_at    BIGINT,
        PRIMARY KEY (agent, target, rule_id)
    );
    CREATE INDEX findings_by_site_status ON findings(site, status);
    CREATE INDEX findings_by_rule_status ON findings(rule_id, status);
    CREATE INDEX findings_by_target ON findings(target);
    CREATE INDEX findings_by_last_seen ON findings(last_seen);

    CREATE TABLE sequence_gaps (
        agent         TEXT NOT NULL,
        first_missing BIGINT NOT NULL,
        last_missing  BIGINT NOT NULL,
        detected_at   BIGINT NOT NULL,
        report_id     BIGINT NOT NULL
    );
    CREATE INDEX sequence_gaps_by_agent ON sequence_gaps(agent, detected_at);

    CREATE TABLE finding_changes (
        id          BIGSERIAL PRIMARY KEY,
        agent       TEXT NOT NULL,
        site        TEXT NOT NULL,
        target      TEXT NOT NULL,
        rule_id     TEXT NOT NULL,
        severity    TEXT NOT NULL,
        from_status TEXT,
        to_status   TEXT NOT NULL,
        at          BIGINT NOT NULL,
        report_id   BIGINT NOT NULL
    );
    CREATE INDEX finding_changes_by_key ON finding_changes(agent, target, rule_id, at);
    CREATE INDEX finding_changes_by_time ON finding_changes(at);

    CREATE TABLE scan_summaries (
        report_id      BIGINT PRIMARY KEY,
        agent          TEXT NOT NULL,
        site           TEXT NOT NULL,
        scanned_at     BIGINT NOT NULL,
        received_at    BIGINT NOT NULL,
        targets        BIGINT NOT NULL,
        pass           BIGINT NOT NULL,
        fail           BIGINT NOT NULL,
        error          BIGINT NOT NULL,
        not_applicable BIGINT NOT NULL,
        fail_critical  BIGINT NOT NULL,
        fail_high      BIGINT NOT NULL,
        fail_medium    BIGINT NOT NULL,
        fail_low       BIGINT NOT NULL
    );
    CREATE INDEX scan_summaries_by_site_time ON scan_summaries(site, scanned_at);

    CREATE TABLE enrol_tokens (
        id            TEXT PRIMARY KEY,
        secret_sha256 TEXT NOT NULL,
        site          TEXT NOT NULL,
        created_at    BIGINT NOT NULL,
        expires_at    BIGINT NOT NULL,
        max_uses      BIGINT NOT NULL,
        uses          BIGINT NOT NULL DEFAULT 0,
        revoked_at    BIGINT
    );

    CREATE TABLE api_tokens (
        id            TEXT PRIMARY KEY,
        secret_sha256 TEXT NOT NULL,
        name          TEXT NOT NULL,
        role          TEXT NOT NULL,
        created_at    BIGINT NOT NULL,
        expires_at    BIGINT,
        revoked_at    BIGINT,
        last_used     BIGINT
    );

    CREATE TABLE exceptions (
        id                   BIGSERIAL PRIMARY KEY,
        site                 TEXT,
        rule_id              TEXT NOT NULL,
        target               TEXT NOT NULL,
        owner                TEXT NOT NULL,
        siro_accepted_on     TEXT NOT NULL,
        compensating_control TEXT NOT NULL,
        reason               TEXT NOT NULL,
        expires_at           BIGINT NOT NULL,
        created_at           BIGINT NOT NULL,
        created_by           TEXT NOT NULL,
        withdrawn_at         BIGINT
    );
    CREATE INDEX exceptions_by_rule ON exceptions(rule_id, target);

    CREATE TABLE policies (
        site       TEXT PRIMARY KEY,
        version    BIGINT NOT NULL,
        body       TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        updated_by TEXT NOT NULL
    );

    CREATE TABLE admin_events (
        id      BIGSERIAL PRIMARY KEY,
        at      BIGINT NOT NULL,
        actor   TEXT NOT NULL,
        action  TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail  TEXT NOT NULL
    );
    "#,
    // 2: as SQLite's 3 (retention and the batching writer).
    r#"
    CREATE INDEX findings_by_report ON findings(report_id);
    CREATE INDEX reports_unpruned ON reports(received_at) WHERE body_pruned_at IS NULL;
    CREATE INDEX scan_summaries_by_received ON scan_summaries(received_at);
    CREATE INDEX sequence_gaps_by_time ON sequence_gaps(detected_at);
    DROP INDEX reports_by_body;
    "#,
    // 3: as SQLite's migration 4: current findings counted per (site, rule,
    // severity, status), kept exact by a row trigger in the same
    // transaction as every write.
    r#"
    CREATE TABLE finding_counts (
        site     TEXT NOT NULL,
        rule_id  TEXT NOT NULL,
        severity TEXT NOT NULL,
        status   TEXT NOT NULL,
        n        BIGINT NOT NULL,
        PRIMARY KEY (site, rule_id, severity, status)
    );
    INSERT INTO finding_counts (site, rule_id, severity, status, n)
        SELECT site, rule_id, severity, status, COUNT(*) FROM findings
        GROUP BY site, rule_id, severity, status;

    CREATE FUNCTION trustwatch_count_findings() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE finding_counts SET n = n - 1
            WHERE site = OLD.site AND rule_id = OLD.rule_id
              AND severity = OLD.severity AND status = OLD.status;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO finding_counts (site, rule_id, severity, status, n)
            VALUES (NEW.site, NEW.rule_id, NEW.severity, NEW.status, 1)
            ON CONFLICT (site, rule_id, severity, status)
            DO UPDATE SET n = finding_counts.n + 1;
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;

    CREATE TRIGGER finding_counts_insert_delete AFTER INSERT OR DELETE ON findings
        FOR EACH ROW EXECUTE FUNCTION trustwatch_count_findings();
    CREATE TRIGGER finding_counts_update AFTER UPDATE ON findings
        FOR EACH ROW
        WHEN (OLD.site IS DISTINCT FROM NEW.site OR OLD.rule_id IS DISTINCT FROM NEW.rule_id
              OR OLD.severity IS DISTINCT FROM NEW.severity OR OLD.status IS DISTINCT FROM NEW.status)
        EXECUTE FUNCTION trustwatch_count_findings();

    CREATE INDEX findings_by_rule_site_expiry ON findings(rule_id, site, cert_not_after);
    "#,
    // 4: the host part of a finding's target, as SQLite migration 5.
    r#"
    ALTER TABLE findings ADD COLUMN host TEXT GENERATED ALWAYS AS (
        CASE
            WHEN substr(target, 1, 1) = '[' AND strpos(target, ']') > 0
                THEN substr(target, 2, strpos(target, ']') - 2)
            WHEN strpos(target, ':') > 0
                 AND strpos(substr(target, strpos(target, ':') + 1), ':') = 0
                THEN substr(target, 1, strpos(target, ':') - 1)
            ELSE target
        END) STORED;
    CREATE INDEX findings_by_host ON findings(host);
    "#,
    // 5: as SQLite migration 6: `finding_counts` is kept by the writer
    // (store/counts.rs), one upsert per key at the end of each ingest
    // transaction, in key order. Row triggers held a site's count rows
    // locked from a report's first finding to its commit, and two reports
    // could take them in opposite orders and deadlock.
    r#"
    DROP TRIGGER finding_counts_insert_delete ON findings;
    DROP TRIGGER finding_counts_update ON findings;
    DROP FUNCTION trustwatch_count_findings();
    "#,
    // 6: tamper evidence, as SQLite migration 8: report chain hashes, the
    // agent's head (written under the agent's row lock ingest already
    // takes, so collectors stay concurrent) and the append-only ledger.
    r#"
    ALTER TABLE reports ADD COLUMN chain_hash TEXT;
    ALTER TABLE agents ADD COLUMN chain_head TEXT;

    CREATE TABLE ledger (
        seq       BIGINT PRIMARY KEY,
        at        BIGINT NOT NULL,
        kind      TEXT NOT NULL,
        subject   TEXT NOT NULL,
        digest    TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
    );
    CREATE FUNCTION trustwatch_ledger_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the ledger is append-only';
    END;
    $$ LANGUAGE plpgsql;
    CREATE TRIGGER ledger_no_change BEFORE UPDATE OR DELETE ON ledger
        FOR EACH ROW EXECUTE FUNCTION trustwatch_ledger_append_only();
    CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
        FOR EACH STATEMENT EXECUTE FUNCTION trustwatch_ledger_append_only();
    "#,
];

/// The schema version this build writes.
pub(crate) const CURRENT: i64 = MIGRATIONS.len() as i64;

pub(super) async fn migrate(client: &mut Object, database: &str) -> Result<()> {
    let err = |action| pg_err(database, action);
    let tx = client
        .transaction()
        .await
        .map_err(err("begin a migration"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(err("take the migration lock"))?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS trustwatch_schema (version BIGINT NOT NULL)")
        .await
        .map_err(err("create the schema version table"))?;
    let found: i64 = tx
        .query_opt("SELECT version FROM trustwatch_schema", &[])
        .await
        .map_err(err("read the schema version"))?
        .map(|row| row.get(0))
        .unwrap_or(0);
    if found > CURRENT {
        return Err(Error::StoreTooNew {
            path: database.into(),
            found,
            supported: CURRENT,
        });
    }
    // All steps and the version bump commit together: PostgreSQL's DDL is
    // transactional, so a failed upgrade leaves the old schema intact.
    for sql in MIGRATIONS.iter().skip(found as usize) {
        tx.batch_execute(sql)
            .await
            .map_err(err("apply a migration"))?;
    }
    if found < CURRENT {
        tx.execute("DELETE FROM trustwatch_schema", &[])
            .await
            .map_err(err("record the schema version"))?;
        tx.execute(
            "INSERT INTO trustwatch_schema (version) VALUES ($1)",
            &[&CURRENT],
        )
        .await
        .map_err(err("record the schema version"))?;
    }
    tx.commit().await.map_err(err("commit a migration"))
}
