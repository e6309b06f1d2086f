//! The plain-HTTP query API.

use hyper::StatusCode;
use serde_json::Value;

use crate::support::{http_get, post_report, report_for, Harness};

async fn json(h: &Harness, path: &str) -> (StatusCode, Value) {
    let (status, body) = http_get(h.http, path).await;
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}")),
    )
}

#[tokio::test]
async fn findings_are_listed_and_filtered() {
    let h = Harness::start(1 << 20).await;
    let (status, _) = post_report(
        h.ingest,
        h.agent_client("a1", "north"),
        serde_json::to_vec(&report_for("a1", 1)).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = post_report(
        h.ingest,
        h.agent_client("a2", "south"),
        serde_json::to_vec(&report_for("a2", 1)).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::ACCEPTED);

    let (status, all) = json(&h, "/api/v1/findings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), 14);
    let first = &all[0];
    for key in [
        "agent",
        "site",
        "target",
        "rule_id",
        "title",
        "severity",
        "status",
        "summary",
        "evidence",
        "controls",
        "first_seen",
        "last_seen",
    ] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!(first["status"], "fail");
    assert_eq!(first["first_seen"], "2026-03-01T12:00:00Z");

    let count = |v: &Value| v.as_array().unwrap().len();
    let (_, north) = json(&h, "/api/v1/findings?site=north").await;
    assert!(count(&north) == 7 && north.as_array().unwrap().iter().all(|f| f["agent"] == "a1"));
    let (_, failing) = json(&h, "/api/v1/findings?status=fail&site=south").await;
    assert_eq!(count(&failing), 4);
    let (_, critical) = json(&h, "/api/v1/findings?severity=critical&status=fail").await;
    assert_eq!(count(&critical), 2);
    let (_, rule) = json(&h, "/api/v1/findings?rule_id=TLS-002").await;
    assert!(
        count(&rule) == 4
            && rule
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["rule_id"] == "TLS-002")
    );
    let (_, limited) = json(&h, "/api/v1/findings?limit=3").await;
    assert_eq!(count(&limited), 3);
    let (_, none) = json(&h, "/api/v1/findings?site=nowhere").await;
    assert_eq!(count(&none), 0);
    h.stop().await;
}

#[tokio::test]
async fn bad_query_parameters_get_a_one_sentence_400() {
    let h = Harness::start(1 << 20).await;
    for query in [
        "status=broken",
        "severity=catastrophic",
        "limit=0",
        "limit=many",
        "limit=100000",
        "host=10.0.0.5",
        "site=a&site=b",
    ] {
        let (status, body) = json(&h, &format!("/api/v1/findings?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        let message = body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{query}: {body}"));
        assert!(!message.is_empty() && !message.contains('\n'), "{message}");
    }
    h.stop().await;
}

#[tokio::test]
async fn agents_and_health() {
    let h = Harness::start(1 << 20).await;
    let (_, agents) = json(&h, "/api/v1/agents").await;
    assert_eq!(agents, Value::Array(vec![]));
    post_report(
        h.ingest,
        h.agent_client("a1", "north"),
        serde_json::to_vec(&report_for("a1", 1)).unwrap(),
    )
    .await
    .unwrap();
    let (status, agents) = json(&h, "/api/v1/agents").await;
    assert_eq!(status, StatusCode::OK);
    let a = &agents[0];
    assert_eq!(
        (a["name"].as_str(), a["site"].as_str(), a["state"].as_str()),
        (Some("a1"), Some("north"), Some("active"))
    );
    assert_eq!(a["reports"], 1);
    assert_eq!(a["cert_fingerprint"].as_str().unwrap().len(), 64);

    let (status, health) = json(&h, "/healthz").await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, _) = http_get(h.http, "/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    h.stop().await;
}
