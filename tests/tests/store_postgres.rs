//! The PostgreSQL store against a real server on loopback.

use std::path::Path;

use trustwatch_collector::config::StoreConfig;
use trustwatch_collector::{Config, Store};
use trustwatch_e2e::postgres::PgServer;

fn store_config(url: &str) -> StoreConfig {
    let text = format!("data_dir = \"data\"\n[store]\nbackend = \"postgres\"\nurl = \"{url}\"\n");
    Config::parse(&text, Path::new("/nonexistent/collector.toml"))
        .unwrap()
        .store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_collectors_migrate_one_database_at_once() {
    let pg = PgServer::start();
    let url = pg.create_database("migrate_once");
    let config = store_config(&url);
    let dir = tempfile::tempdir().unwrap();
    // Four collectors starting together: the advisory lock lets one migrate
    // and the others find the schema ready.
    let opened = futures_join(&config, dir.path()).await;
    for store in &opened {
        store.ping().await.unwrap();
    }
    assert_eq!(
        pg.psql("migrate_once", "SELECT version FROM trustwatch_schema"),
        "6"
    );
    assert_eq!(
        pg.psql(
            "migrate_once",
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'findings'"
        ),
        "1"
    );
}

async fn futures_join(config: &StoreConfig, dir: &Path) -> Vec<Store> {
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let config = config.clone();
        let dir = dir.to_owned();
        tasks.push(tokio::spawn(
            async move { Store::connect(&config, &dir).await },
        ));
    }
    let mut stores = Vec::new();
    for t in tasks {
        stores.push(t.await.unwrap().unwrap());
    }
    stores
}

#[tokio::test]
async fn an_unreachable_server_is_one_clear_error() {
    let port = trustwatch_e2e::net::free_port();
    let config = store_config(&format!(
        "host=127.0.0.1 port={port} user=trustwatch dbname=none connect_timeout=2"
    ));
    let err = Store::connect(&config, Path::new("/nonexistent"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("trustwatch@127.0.0.1:{port}/none")),
        "{err}"
    );
}
