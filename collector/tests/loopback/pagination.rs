//! Keyset pagination: walking every page while reports keep arriving
//! loses no row and repeats none.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use trustwatch_collector::store::Role;

use crate::support::{get_ok, seed, Harness};

/// A report of `n` failing TLS-002 findings on targets `h<i>:443`.
fn report(prefix: &str, n: usize) -> Value {
    let findings: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "rule_id": "TLS-002", "title": "t", "severity": "high", "status": "fail",
                "target": format!("{prefix}{i:03}:443"), "summary": "s", "evidence": {},
                "controls": ["CAF:B4.b"], "remediation": "r",
            })
        })
        .collect();
    json!({
        "schema_version": trustwatch_rules::SCHEMA_VERSION,
        "scanned_at": "2026-03-01T12:00:00Z",
        "baseline": { "id": "trustwatch-nhs-baseline", "version": "2026.11.0" },
        "findings": findings,
    })
}

fn key(f: &Value) -> String {
    format!("{}|{}|{}", f["agent"], f["target"], f["rule_id"])
}

#[tokio::test]
async fn pages_stay_stable_while_new_findings_arrive_between_them() {
    let h = Harness::start(8 << 20).await;
    let t = h.token(Role::Auditor).await;
    // Agents b and d, 50 targets each: 100 rows before the walk.
    for name in ["b", "d"] {
        seed(&h, h.agent_client(name, "north"), name, 1, report("h", 50)).await;
    }
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            None => "/api/v1/findings?limit=7".to_owned(),
            Some(c) => format!("/api/v1/findings?limit=7&cursor={c}"),
        };
        let page = get_ok(h.http, &path, &t).await;
        let rows = page["findings"].as_array().unwrap();
        assert!(rows.len() <= 7);
        seen.extend(rows.iter().map(key));
        pages += 1;
        // Between pages 2 and 3, new rows land before the cursor (agent a),
        // after it (agent e) and inside the page being read (agent b's new
        // targets sort among b's old ones).
        if pages == 2 {
            seed(&h, h.agent_client("a", "north"), "a", 1, report("h", 5)).await;
            seed(&h, h.agent_client("e", "north"), "e", 1, report("h", 5)).await;
            seed(&h, h.agent_client("b", "north"), "b", 2, {
                let mut r = report("h", 50);
                r["findings"].as_array_mut().unwrap().extend(
                    report("h04", 5)["findings"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .cloned(),
                );
                r
            })
            .await;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 100, "the walk does not end");
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row was repeated");
    // Every row that existed before the walk was seen exactly once...
    for name in ["b", "d"] {
        for i in 0..50 {
            let k = format!("\"{name}\"|\"h{i:03}:443\"|\"TLS-002\"");
            assert!(unique.contains(&k), "{k} was lost");
        }
    }
    // ...rows after the cursor were picked up, rows before it were not.
    assert!(seen.iter().filter(|k| k.starts_with("\"e\"")).count() == 5);
    // b's new targets (h04000…h04004) sort after the cursor, among its old ones.
    assert_eq!(seen.iter().filter(|k| k.starts_with("\"b\"")).count(), 55);
    assert!(!seen.iter().any(|k| k.starts_with("\"a\"")));
    // Walked in key order.
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, seen);
    h.stop().await;
}

#[tokio::test]
async fn every_list_pages_to_its_end_with_its_own_cursor() {
    let h = Harness::start(8 << 20).await;
    let t = h.token(Role::Admin).await;
    for (i, name) in ["p1", "p2", "p3"].iter().enumerate() {
        seed(
            &h,
            h.agent_client(name, "north"),
            name,
            1,
            report(&format!("x{i}-"), 4),
        )
        .await;
    }
    for (path, key, total) in [
        ("/api/v1/findings", "findings", 12),
        ("/api/v1/hosts", "hosts", 12),
        ("/api/v1/agents", "agents", 3),
        ("/api/v1/admin-events", "events", 1),
    ] {
        let mut n = 0;
        let mut cursor: Option<String> = None;
        for _ in 0..50 {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = match &cursor {
                None => format!("{path}{sep}limit=2"),
                Some(c) => format!("{path}{sep}limit=2&cursor={c}"),
            };
            let page = get_ok(h.http, &url, &t).await;
            n += page[key].as_array().unwrap().len();
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(n, total, "{path}");
        // A cursor from this list is refused by another.
        if let Some(c) = cursor.filter(|_| key != "findings") {
            let (status, _) = crate::support::http(
                h.http,
                "GET",
                &format!("/api/v1/findings?cursor={c}"),
                Some(&t),
                None,
            )
            .await;
            assert_eq!(status, hyper::StatusCode::BAD_REQUEST, "{path}");
        }
    }
    h.stop().await;
}
