//! Opening, migrating and reopening the store.

use time::macros::datetime;
use trustwatch_rules::{Evidence, Status};

use super::{agent, finding, incoming};
use crate::error::Error;
use crate::store::sqlite::schema;
use crate::store::{FindingFilter, Store, DB_FILE};

#[test]
fn a_store_from_a_newer_collector_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(DB_FILE);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", schema::CURRENT + 1)
            .unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, Error::StoreTooNew { .. }), "{err}");
}

#[test]
fn reopening_keeps_data_and_does_not_rerun_migrations() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    {
        let store = Store::open_in(tmp.path()).unwrap();
        rt.block_on(store.ingest(incoming(
            &agent("a1", "s"),
            datetime!(2026-01-01 00:00 UTC),
            vec![finding("TLS-002", "h:443", Status::Fail, Evidence::new())],
        )))
        .unwrap();
    }
    let store = Store::open_in(tmp.path()).unwrap();
    assert_eq!(
        rt.block_on(store.findings(FindingFilter::default()))
            .unwrap()
            .len(),
        1
    );
}
