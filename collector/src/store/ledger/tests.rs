use super::*;

const BODY_SHA: &str = "230d8358dc8e8890b4c58deeb62912ee2f20357ae92a5cc861b98e68fe31acb5";

#[test]
fn a_report_hash_is_what_printf_and_sha256sum_give() {
    // printf '%s\n%s\n%s\n%s\n%s' $GENESIS a1 1 1700000000 $BODY_SHA | sha256sum
    assert_eq!(
        report_chain_hash(GENESIS, "a1", 1, 1_700_000_000, BODY_SHA),
        "3077b66b466447a3f89cc1ef5e0018ebafbffac13942da3c842d446bdf72e06e"
    );
    // Each field is covered.
    let base = report_chain_hash(GENESIS, "a1", 1, 1_700_000_000, BODY_SHA);
    assert_ne!(
        base,
        report_chain_hash(GENESIS, "a2", 1, 1_700_000_000, BODY_SHA)
    );
    assert_ne!(
        base,
        report_chain_hash(GENESIS, "a1", 2, 1_700_000_000, BODY_SHA)
    );
    assert_ne!(
        base,
        report_chain_hash(GENESIS, "a1", 1, 1_700_000_001, BODY_SHA)
    );
    assert_ne!(
        base,
        report_chain_hash(&base, "a1", 1, 1_700_000_000, BODY_SHA)
    );
}

#[test]
fn a_ledger_entry_hash_is_what_printf_and_sha256sum_give() {
    assert_eq!(
        entry_hash(GENESIS, 1, 1_700_000_000, "checkpoint", "all", "abc"),
        "c94b7ec8d98e9eef247b243e781d9137d61995e2c93726a2b7915d27cf770067"
    );
}

#[test]
fn the_heads_digest_does_not_depend_on_order() {
    let a = vec![
        ("b".to_owned(), "2".to_owned()),
        ("a".to_owned(), "1".to_owned()),
    ];
    let b = vec![
        ("a".to_owned(), "1".to_owned()),
        ("b".to_owned(), "2".to_owned()),
    ];
    assert_eq!(heads_digest(&a), heads_digest(&b));
    let c = vec![
        ("a".to_owned(), "1".to_owned()),
        ("b".to_owned(), "3".to_owned()),
    ];
    assert_ne!(heads_digest(&a), heads_digest(&c));
}

fn ledger(n: i64) -> Vec<LedgerEntry> {
    let mut out: Vec<LedgerEntry> = Vec::new();
    for seq in 1..=n {
        let prev = out.last().map_or(GENESIS.to_owned(), |e| e.hash.clone());
        let mut e = LedgerEntry {
            seq,
            at: 1_700_000_000 + seq,
            kind: KIND_CHECKPOINT.into(),
            subject: "all".into(),
            digest: format!("d{seq}"),
            prev_hash: prev,
            hash: String::new(),
        };
        e.hash = e.expected_hash();
        out.push(e);
    }
    out
}

#[test]
fn an_intact_ledger_has_no_faults() {
    assert!(check_ledger(&ledger(4)).is_empty());
    assert!(check_ledger(&[]).is_empty());
}

#[test]
fn a_changed_removed_or_relinked_entry_is_named() {
    let mut changed = ledger(4);
    changed[1].digest = "forged".into();
    let faults = check_ledger(&changed);
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert!(faults[0].contains("entry 2"), "{faults:?}");

    let mut removed = ledger(4);
    removed.remove(2);
    let faults = check_ledger(&removed);
    assert!(
        faults.iter().any(|f| f.contains("entry 4 follows entry 2")),
        "{faults:?}"
    );

    let mut first_gone = ledger(3);
    first_gone.remove(0);
    let faults = check_ledger(&first_gone);
    assert!(
        faults.iter().any(|f| f.contains("starts at entry 2")),
        "{faults:?}"
    );

    // Rehashing a changed entry still breaks the next one's link.
    let mut rehashed = ledger(3);
    rehashed[0].digest = "forged".into();
    rehashed[0].hash = rehashed[0].expected_hash();
    let faults = check_ledger(&rehashed);
    assert_eq!(
        faults,
        ["ledger entry 2 does not link to the entry before it"]
    );
}
