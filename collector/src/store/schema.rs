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
];

/// The schema version this build writes.
pub(super) const CURRENT: i64 = MIGRATIONS.len() as i64;

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
