//! One conformance test of the store's read side and registers (queries,
//! pagination, exceptions, API tokens, policy, admin trail, aggregates),
//! run unchanged on SQLite and on a real PostgreSQL server on loopback.
//! The estate is seeded with the same portable SQL on both.

#[path = "store_query/checks.rs"]
mod checks;
#[path = "store_query/registers.rs"]
mod registers;
#[path = "store_query/seed.rs"]
mod seed;

use std::path::Path;
use std::sync::Arc;

use trustwatch_collector::config::StoreConfig;
use trustwatch_collector::store::{Actor, Store};
use trustwatch_collector::Config;
use trustwatch_e2e::postgres::PgServer;

/// Runs raw SQL on the backend under test (seeding, ageing rows).
pub type Exec = Arc<dyn Fn(&str) + Send + Sync>;

fn postgres_config(url: &str) -> StoreConfig {
    let text = format!(
        "data_dir = \"data\"\n[store]\nbackend = \"postgres\"\nurl = \"{url}\"\npool_size = 4\n"
    );
    Config::parse(&text, Path::new("/nonexistent/collector.toml"))
        .unwrap()
        .store
}

async fn postgres(pg: &Arc<PgServer>, db: &str) -> (Store, Exec) {
    let url = pg.create_database(db);
    let store = Store::connect(&postgres_config(&url), Path::new("/nonexistent"))
        .await
        .unwrap();
    let db = db.to_owned();
    let pg = pg.clone();
    let exec: Exec = Arc::new(move |sql: &str| {
        pg.psql(&db, sql);
    });
    (store, exec)
}

fn sqlite(dir: &Path) -> (Store, Exec) {
    let store = Store::open_in(dir).unwrap();
    let path = store.location();
    let exec: Exec = Arc::new(move |sql: &str| {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        conn.execute_batch(sql)
            .unwrap_or_else(|e| panic!("{e}: {sql}"));
    });
    (store, exec)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_answers_the_same_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (store, exec) = sqlite(dir.path());
    checks::all(&store, &exec).await;
}

/// One server (about 5 s to start) for both PostgreSQL checks, each on its
/// own database; it is stopped when the test ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_answers_the_same_on_postgres() {
    let pg = Arc::new(PgServer::start());
    let (store, exec) = postgres(&pg, "conformance").await;
    assert_eq!(store.backend_name(), "postgres");
    checks::all(&store, &exec).await;
    concurrent_policy_sets_get_distinct_versions(&pg).await;
    a_collector_serves_the_api_and_metrics_from_postgres(&pg.url("conformance")).await;
}

/// The real collector on the database the checks filled: the API pages
/// and the scrape come from PostgreSQL.
async fn a_collector_serves_the_api_and_metrics_from_postgres(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "data_dir = \"data\"\n[ingest]\nlisten = \"127.0.0.1:0\"\n[http]\nlisten = \"127.0.0.1:0\"\n\
         [store]\nbackend = \"postgres\"\nurl = \"{url}\"\n"
    );
    let config = Config::parse(&text, &dir.path().join("collector.toml")).unwrap();
    let collector = trustwatch_collector::Collector::start(config)
        .await
        .unwrap();
    let http = collector.http_addr();
    let token = collector
        .store()
        .create_api_token(
            "e2e",
            trustwatch_collector::store::Role::Auditor,
            None,
            &Actor::system("e2e"),
        )
        .await
        .unwrap()
        .text;
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(collector.run(async move {
        trustwatch_collector::shutdown::stopped(&mut stopped).await;
    }));
    let (status, body) = tokio::task::spawn_blocking(move || {
        trustwatch_e2e::http::get_with_token(
            http,
            "/api/v1/findings?site=north&limit=3",
            Some(&token),
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["findings"].as_array().unwrap().len(), 3);
    assert!(page["next_cursor"].is_string());
    let (status, text) =
        tokio::task::spawn_blocking(move || trustwatch_e2e::http::get(http, "/metrics"))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(status, 200);
    let samples = trustwatch_e2e::scrape::parse(&text);
    let value =
        |name: &str, labels: &[(&str, &str)]| trustwatch_e2e::scrape::value(&samples, name, labels);
    assert_eq!(value("trustwatch_collector_store_up", &[]), Some(1.0));
    assert_eq!(
        value(
            "trustwatch_collector_store_backend_info",
            &[("backend", "postgres")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            "trustwatch_agents",
            &[("site", "north"), ("state", "stale")]
        ),
        Some(1.0)
    );
    let (ok, lint) = trustwatch_e2e::promtool::check_metrics(&text);
    assert!(ok && lint.trim().is_empty(), "{lint}");
    stop.send(true).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(15), task)
        .await
        .expect("collector stops")
        .unwrap()
        .unwrap();
}

/// Collectors sharing one database never hand out one policy version
/// twice: the version is bumped inside the upsert.
async fn concurrent_policy_sets_get_distinct_versions(pg: &Arc<PgServer>) {
    let (first, _) = postgres(pg, "policy_race").await;
    let url = pg.url("policy_race");
    let second = Store::connect(&postgres_config(&url), Path::new("/nonexistent"))
        .await
        .unwrap();
    let body = trustwatch_collector::policy::PolicyBody {
        interval_secs: Some(600),
        ..Default::default()
    };
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            store
                .set_policy("north", &body, &Actor::system("race"))
                .await
                .unwrap()
                .version
        }));
    }
    let mut versions = Vec::new();
    for t in tasks {
        versions.push(t.await.unwrap());
    }
    versions.sort();
    assert_eq!(versions, (1..=20).collect::<Vec<i64>>());
    let events = first.admin_events(None, Some(100)).await.unwrap();
    assert_eq!(
        events.iter().filter(|e| e.action == "policy.set").count(),
        20
    );
}
