//! The ingest path of the store, the same checks on both backends: SQLite
//! in a temporary folder and a real PostgreSQL server on loopback. Report
//! ids and sequences (duplicates, reuse, stale, gaps), revocation and
//! identity, history as state changes, scan summaries and retention; then
//! what only PostgreSQL has: several collectors on one database, and 429
//! when no ingest slot frees in time.

#[path = "store_ingest/concurrency.rs"]
mod concurrency;
#[path = "store_ingest/conformance.rs"]
mod conformance;
#[path = "store_ingest/retention.rs"]
mod retention;

use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use time::OffsetDateTime;
use trustwatch_collector::config::StoreConfig;
use trustwatch_collector::store::IncomingReport;
use trustwatch_collector::{AgentIdentity, Config, Store};
use trustwatch_e2e::postgres::PgServer;
use trustwatch_rules::{BaselineRef, Evidence, Finding, Report, Severity, Status, SCHEMA_VERSION};

/// One PostgreSQL server for the tests of this binary that overlap in
/// time; stopped when the last of them drops it (a `static` would never
/// be dropped and would leave the server running).
pub fn pg() -> Arc<PgServer> {
    static SHARED: Mutex<Weak<PgServer>> = Mutex::new(Weak::new());
    let mut slot = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(pg) = slot.upgrade() {
        return pg;
    }
    let pg = Arc::new(PgServer::start());
    *slot = Arc::downgrade(&pg);
    pg
}

/// The tables of a store, read with SQL: rows one per line, columns
/// joined by `|`, NULL as nothing (psql's unaligned output).
#[derive(Debug)]
pub enum Db {
    Sqlite(std::path::PathBuf),
    Postgres { pg: Arc<PgServer>, name: String },
}

impl Db {
    pub fn query(&self, sql: &str) -> String {
        match self {
            Db::Postgres { pg, name } => pg.psql(name, sql),
            Db::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                conn.busy_timeout(std::time::Duration::from_secs(10))
                    .unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                let columns = stmt.column_count();
                let rows: Vec<String> = stmt
                    .query_map([], |row| {
                        let cells: Vec<String> = (0..columns)
                            .map(|i| match row.get_ref(i).unwrap() {
                                rusqlite::types::ValueRef::Null => String::new(),
                                rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                                rusqlite::types::ValueRef::Real(f) => f.to_string(),
                                rusqlite::types::ValueRef::Text(t) => {
                                    String::from_utf8_lossy(t).into_owned()
                                }
                                rusqlite::types::ValueRef::Blob(_) => "<blob>".into(),
                            })
                            .collect();
                        Ok(cells.join("|"))
                    })
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                rows.join("\n")
            }
        }
    }

    pub fn exec(&self, sql: &str) {
        match self {
            Db::Postgres { .. } => {
                self.query(sql);
            }
            Db::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                conn.busy_timeout(std::time::Duration::from_secs(10))
                    .unwrap();
                conn.execute_batch(sql).unwrap();
            }
        }
    }
}

/// `finding_counts` (the per-key counts the writer keeps for /metrics)
/// equals the current findings grouped, on either backend.
pub fn assert_counts_match(db: &Db) {
    assert_eq!(
        db.query(
            "SELECT site, rule_id, severity, status, n FROM finding_counts WHERE n <> 0
             ORDER BY 1, 2, 3, 4"
        ),
        db.query(
            "SELECT site, rule_id, severity, status, COUNT(*) FROM findings
             GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        )
    );
}

/// A SQLite store in a fresh folder.
pub fn sqlite() -> (tempfile::TempDir, Store, Db) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open_in(tmp.path()).unwrap();
    let db = Db::Sqlite(store.location());
    (tmp, store, db)
}

/// The `[store]` of a collector on database `name` of `pg`, with
/// `pool_size` connections.
pub fn pg_config(pg: &PgServer, name: &str, pool_size: usize) -> StoreConfig {
    let text = format!(
        "data_dir = \"data\"\n[store]\nbackend = \"postgres\"\nurl = \"{}\"\npool_size = {pool_size}\n",
        pg.url(name)
    );
    Config::parse(&text, Path::new("/nonexistent/collector.toml"))
        .unwrap()
        .store
}

/// A PostgreSQL store on a new database `name` of the shared server.
pub async fn postgres(name: &str) -> (Store, Db, Arc<PgServer>) {
    let pg = pg();
    pg.create_database(name);
    let store = Store::connect(&pg_config(&pg, name, 8), Path::new("/nonexistent"))
        .await
        .unwrap();
    let db = Db::Postgres {
        pg: pg.clone(),
        name: name.into(),
    };
    (store, db, pg)
}

pub fn agent(name: &str) -> AgentIdentity {
    AgentIdentity {
        name: name.into(),
        site: "north".into(),
        cert_fingerprint: format!("fp-{name}"),
    }
}

/// A report from `agent` with its daemon stamps: the id is derived from
/// (name, sequence, variant), so the same triple is the same report.
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    pub agent: &'a str,
    pub sequence: u64,
    pub variant: u32,
}

pub fn stamp(agent: &str, sequence: u64) -> Stamp<'_> {
    Stamp {
        agent,
        sequence,
        variant: 0,
    }
}

/// `(target, rule, status, severity)`.
pub type F<'a> = (&'a str, &'a str, Status, Severity);

pub fn report(
    s: Stamp<'_>,
    scanned_at: OffsetDateTime,
    received_at: OffsetDateTime,
    findings: &[F<'_>],
) -> IncomingReport {
    let report = Report {
        schema_version: SCHEMA_VERSION,
        scanned_at,
        baseline: BaselineRef {
            id: "trustwatch-nhs-baseline".into(),
            version: "1".into(),
        },
        tool: None,
        vantage: Some(format!("variant-{}", s.variant)),
        findings: findings
            .iter()
            .map(|(target, rule, status, severity)| Finding {
                rule_id: (*rule).into(),
                title: format!("title of {rule}"),
                severity: *severity,
                status: *status,
                target: (*target).into(),
                summary: String::new(),
                evidence: Evidence::new(),
                controls: vec!["CAF:B4.d".into()],
                remediation: "fix it".into(),
            })
            .collect(),
        services: vec![],
        data_sources: vec![],
        agent: Some(s.agent.into()),
        // The variant changes the body, never the id.
        report_id: Some(format!("{:016x}{:016x}", fnv(s.agent), s.sequence)),
        sequence: Some(s.sequence),
    };
    IncomingReport {
        agent: agent(s.agent),
        received_at,
        body: serde_json::to_string(&report).unwrap(),
        report,
    }
}

/// A small stable hash, so ids differ between agents.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
