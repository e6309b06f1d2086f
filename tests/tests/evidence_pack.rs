//! The auditor's evidence pack through the real `trustwatch-collector`
//! binary: reports ingested into a real store, `report evidence` run, the
//! zip opened and its contents checked; `verify` passes on it, then names
//! a file changed or removed inside the zip, a report changed in the
//! database, and refuses bad input in one sentence. On SQLite, and on a
//! real PostgreSQL server.

#[path = "evidence_pack/contents.rs"]
mod contents;
#[path = "evidence_pack/seed.rs"]
mod seed;
#[path = "evidence_pack/tamper.rs"]
mod tamper;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use trustwatch_collector::Store;
use trustwatch_e2e::postgres::PgServer;
use trustwatch_e2e::process::{binary, run_bounded};

pub fn collector(dir: &Path, args: &[&str]) -> Output {
    run_bounded(
        Command::new(binary("trustwatch-collector"))
            .args(args)
            .current_dir(dir),
        Duration::from_secs(60),
    )
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Exit status 1 (a check failed) or 2 (bad input), stderr saying `what`.
pub fn fails(out: &Output, code: i32, what: &str) -> String {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{}{err}", text(&out.stdout));
    assert!(err.contains(what), "expected `{what}` in:\n{err}");
    err
}

/// The database under the collector, for changing it by hand.
struct Db<'a> {
    exec: &'a dyn Fn(&str),
    /// Runs a statement that must fail; its error text.
    error: &'a dyn Fn(&str) -> String,
    drop_ledger_triggers: &'a str,
}

/// The whole check on one store.
fn exercise(dir: &Path, db: &Db<'_>) {
    let made = ok(&collector(
        dir,
        &[
            "report",
            "evidence",
            "--config",
            "collector.toml",
            "--site",
            "north",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--sample",
            "2",
            "--seed",
            "42",
            "--out",
            "pack.zip",
        ],
    ));
    assert!(
        made.contains("wrote pack.zip: 12 files, 4 results over 4 hosts"),
        "{made}"
    );
    let pack = dir.join("pack.zip");
    let files = contents::unzip(&pack);
    contents::check(&files);
    tamper::check(dir, &files, db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evidence_pack_on_sqlite_verifies_and_names_what_was_changed() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("collector.toml"), "data_dir = \"data\"\n").unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let path = {
        let store = Store::open_in(&data).unwrap();
        seed::seed(&store).await;
        store.location()
    };
    let conn = || {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn
    };
    let exec = |statement: &str| conn().execute_batch(statement).unwrap();
    let error = |statement: &str| conn().execute_batch(statement).unwrap_err().to_string();
    exercise(
        tmp.path(),
        &Db {
            exec: &exec,
            error: &error,
            drop_ledger_triggers: "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete",
        },
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evidence_pack_on_postgres_verifies_and_names_what_was_changed() {
    let pg = PgServer::start();
    let url = pg.create_database("evidence");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("collector.toml"),
        format!("data_dir = \"data\"\n[store]\nbackend = \"postgres\"\nurl = \"{url}\"\n"),
    )
    .unwrap();
    std::fs::create_dir(tmp.path().join("data")).unwrap();
    {
        let config =
            trustwatch_collector::Config::load(&tmp.path().join("collector.toml")).unwrap();
        let store = Store::connect(&config.store, &config.data_dir)
            .await
            .unwrap();
        seed::seed(&store).await;
    }
    let exec = |statement: &str| {
        pg.psql("evidence", statement);
    };
    let error = |statement: &str| pg.psql_error("evidence", statement);
    exercise(
        tmp.path(),
        &Db {
            exec: &exec,
            error: &error,
            drop_ledger_triggers: "DROP TRIGGER ledger_no_change ON ledger",
        },
    );
    assert!(
        error("TRUNCATE ledger").contains("the ledger is append-only"),
        "TRUNCATE is refused by its own trigger"
    );
}
