//! The report chains as ingest writes them, and the ledger on SQLite.

use time::macros::datetime;
use trustwatch_rules::{Evidence, Status};

use super::{agent, finding, incoming, open};
use crate::store::ledger::{self, check_ledger, GENESIS};

#[tokio::test]
async fn each_report_chains_to_its_agents_previous_one_and_moves_the_head() {
    let (_tmp, store) = open();
    let (a, b) = (agent("a1", "s"), agent("b1", "s"));
    let mut sent = Vec::new();
    for who in [&a, &b, &a, &a] {
        let r = incoming(
            who,
            datetime!(2026-01-01 10:00 UTC),
            vec![finding("TLS-002", "h:443", Status::Fail, Evidence::new())],
        );
        sent.push(r.clone());
        store.ingest(r).await.unwrap();
    }
    // A retry stores nothing and leaves the chain alone.
    let retry = store.ingest(sent[3].clone()).await.unwrap();
    assert!(retry.duplicate);

    let chain = store.report_chain("a1", 0).await.unwrap();
    assert_eq!(chain.len(), 3);
    let mut prev = GENESIS.to_owned();
    for link in &chain {
        assert_eq!(
            link.chain_hash,
            ledger::report_chain_hash(
                &prev,
                "a1",
                link.sequence,
                link.received_at,
                &link.body_sha256
            )
        );
        prev = link.chain_hash.clone();
    }
    let heads = store.chain_heads().await.unwrap();
    assert_eq!(heads.len(), 2);
    assert_eq!(heads[0], ("a1".to_owned(), prev));
    let b_chain = store.report_chain("b1", 0).await.unwrap();
    assert_eq!(b_chain[0].expected_hash(GENESIS), b_chain[0].chain_hash);
    assert_eq!(
        store
            .previous_chain_hash("a1", chain[2].sequence)
            .await
            .unwrap(),
        Some(chain[1].chain_hash.clone())
    );
    assert_eq!(
        store
            .previous_chain_hash("a1", chain[0].sequence)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn the_ledger_appends_in_a_chain_and_refuses_changes() {
    let (_tmp, store) = open();
    store
        .ingest(incoming(
            &agent("a1", "s"),
            datetime!(2026-01-01 10:00 UTC),
            vec![],
        ))
        .await
        .unwrap();
    let first = store.ledger_checkpoint().await.unwrap();
    assert_eq!((first.seq, first.prev_hash.as_str()), (1, GENESIS));
    assert_eq!(
        first.digest,
        ledger::heads_digest(&store.chain_heads().await.unwrap())
    );
    let second = store
        .ledger_append(ledger::KIND_EVIDENCE_PACK, "pack.zip", "head")
        .await
        .unwrap();
    assert_eq!((second.seq, &second.prev_hash), (2, &first.hash));
    let all = store.ledger().await.unwrap();
    assert_eq!(all, [first, second]);
    assert!(check_ledger(&all).is_empty());

    let conn = rusqlite::Connection::open(store.location()).unwrap();
    for sql in [
        "UPDATE ledger SET digest = 'forged' WHERE seq = 1",
        "DELETE FROM ledger WHERE seq = 2",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

#[tokio::test]
async fn a_checkpoint_is_due_only_when_the_last_is_old_enough() {
    let (_tmp, store) = open();
    let first = store.ledger_checkpoint_due(86_400).await.unwrap();
    assert_eq!(first.map(|e| e.seq), Some(1));
    assert_eq!(store.ledger_checkpoint_due(86_400).await.unwrap(), None);
    // Another kind of entry does not count as a checkpoint.
    store
        .ledger_append(ledger::KIND_EVIDENCE_PACK, "p.zip", "h")
        .await
        .unwrap();
    assert_eq!(store.ledger_checkpoint_due(86_400).await.unwrap(), None);
    // A negative age: always due.
    let again = store.ledger_checkpoint_due(-1).await.unwrap();
    assert_eq!(again.map(|e| e.seq), Some(3));
}
