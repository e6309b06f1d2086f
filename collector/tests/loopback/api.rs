//! The plain-HTTP query API: shapes, filters and parameter checking.

use hyper::StatusCode;
use serde_json::Value;
use trustwatch_collector::store::Role;

use crate::support::{get_ok, http, http_get, sample_report, seed, Harness};

fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} array in {v}"))
}

async fn two_sites(h: &Harness) {
    seed(h, h.agent_client("a1", "north"), "a1", 1, sample_report()).await;
    seed(h, h.agent_client("a2", "south"), "a2", 1, sample_report()).await;
}

#[tokio::test]
async fn findings_are_listed_and_filtered() {
    let h = Harness::start(1 << 20).await;
    two_sites(&h).await;
    let t = h.token(Role::Auditor).await;

    let all = get_ok(h.http, "/api/v1/findings", &t).await;
    assert_eq!(list(&all, "findings").len(), 14);
    assert_eq!(all["next_cursor"], Value::Null);
    let first = &all["findings"][0];
    for key in [
        "agent",
        "site",
        "target",
        "host",
        "rule_id",
        "title",
        "severity",
        "status",
        "reported_status",
        "exception",
        "summary",
        "evidence",
        "controls",
        "first_seen",
        "last_seen",
        "last_changed",
        "report_id",
        "source",
    ] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    // By (agent, target, rule): a1's findings first.
    assert_eq!(first["agent"], "a1");
    assert_eq!(first["target"], "10.0.0.5:443");
    assert_eq!(first["host"], "10.0.0.5");
    assert_eq!(first["source"], "report");
    assert_eq!(first["first_seen"], "2026-03-01T12:00:00Z");

    let count = |v: &Value| list(v, "findings").len();
    let north = get_ok(h.http, "/api/v1/findings?site=north", &t).await;
    assert!(count(&north) == 7 && list(&north, "findings").iter().all(|f| f["agent"] == "a1"));
    let agent = get_ok(h.http, "/api/v1/findings?agent=a2", &t).await;
    assert!(list(&agent, "findings")
        .iter()
        .all(|f| f["site"] == "south"));
    let failing = get_ok(h.http, "/api/v1/findings?status=fail&site=south", &t).await;
    assert_eq!(count(&failing), 4);
    let critical = get_ok(h.http, "/api/v1/findings?severity=critical&status=fail", &t).await;
    assert_eq!(count(&critical), 2);
    let rule = get_ok(h.http, "/api/v1/findings?rule_id=TLS-002", &t).await;
    assert!(
        count(&rule) == 4
            && list(&rule, "findings")
                .iter()
                .all(|f| f["rule_id"] == "TLS-002")
    );
    // host is the host part, exactly; target is the whole target.
    let host = get_ok(h.http, "/api/v1/findings?host=10.0.0.5", &t).await;
    assert_eq!(count(&host), 8);
    let host = get_ok(h.http, "/api/v1/findings?host=10.0.0", &t).await;
    assert_eq!(count(&host), 0);
    let target = get_ok(h.http, "/api/v1/findings?target=10.0.0.7:443", &t).await;
    assert_eq!(count(&target), 2);
    // Times: the sample was scanned 2026-03-01 12:00 UTC.
    let seen = get_ok(
        h.http,
        "/api/v1/findings?since=2026-03-01T12:00:00Z&until=2026-03-01T12:00:01Z",
        &t,
    )
    .await;
    assert_eq!(count(&seen), 14);
    let later = get_ok(h.http, "/api/v1/findings?since=2026-03-01T12:00:01Z", &t).await;
    assert_eq!(count(&later), 0);
    let changed = get_ok(
        h.http,
        "/api/v1/findings?changed_since=2026-03-02T00:00:00%2B01:00",
        &t,
    )
    .await;
    assert_eq!(count(&changed), 0);
    let limited = get_ok(h.http, "/api/v1/findings?limit=3", &t).await;
    assert_eq!(count(&limited), 3);
    assert!(limited["next_cursor"].is_string());
    let none = get_ok(h.http, "/api/v1/findings?site=nowhere", &t).await;
    assert_eq!(count(&none), 0);
    h.stop().await;
}

#[tokio::test]
async fn bad_query_parameters_get_a_one_sentence_400() {
    let h = Harness::start(1 << 20).await;
    let t = h.token(Role::Admin).await;
    for path in [
        "/api/v1/findings?status=broken",
        "/api/v1/findings?severity=catastrophic",
        "/api/v1/findings?limit=0",
        "/api/v1/findings?limit=many",
        "/api/v1/findings?limit=1001",
        "/api/v1/findings?hots=10.0.0.5",
        "/api/v1/findings?site=a&site=b",
        "/api/v1/findings?since=yesterday",
        "/api/v1/findings?exception=sometimes",
        "/api/v1/findings?cursor=not-a-cursor",
        // A cursor issued by another list.
        "/api/v1/findings?cursor=WyJuIiwiYSJd",
        "/api/v1/findings/history?host=x",
        "/api/v1/hosts?status=fail",
        "/api/v1/agents?state=asleep",
        "/api/v1/summaries?rule_id=TLS-001",
        "/api/v1/exceptions?state=pending",
        "/api/v1/policy",
        "/api/v1/policies?site=x",
        "/api/v1/admin-events?limit=-1",
    ] {
        let (status, body) = http(h.http, "GET", path, Some(&t), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        let message = body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: {body}"));
        assert!(!message.is_empty() && !message.contains('\n'), "{message}");
    }
    h.stop().await;
}

#[tokio::test]
async fn agents_hosts_and_health() {
    let h = Harness::start(1 << 20).await;
    let t = h.token(Role::Auditor).await;
    let agents = get_ok(h.http, "/api/v1/agents", &t).await;
    assert_eq!(
        agents,
        serde_json::json!({ "agents": [], "next_cursor": null })
    );
    two_sites(&h).await;
    let agents = get_ok(h.http, "/api/v1/agents", &t).await;
    let a = &agents["agents"][0];
    assert_eq!(
        (a["name"].as_str(), a["site"].as_str(), a["state"].as_str()),
        (Some("a1"), Some("north"), Some("active"))
    );
    assert_eq!(a["reports"], 1);
    assert_eq!(a["cert_fingerprint"].as_str().unwrap().len(), 64);
    for key in [
        "enrolled_at",
        "last_contact",
        "last_report",
        "cert_not_after",
        "revoked_at",
        "last_sequence",
        "sequence_gaps",
        "policy_version",
    ] {
        assert!(a.get(key).is_some(), "{key} in {a}");
    }
    assert!(a["last_report"].is_string());
    let south = get_ok(h.http, "/api/v1/agents?site=south&state=active", &t).await;
    assert_eq!(list(&south, "agents").len(), 1);
    let stale = get_ok(h.http, "/api/v1/agents?state=stale", &t).await;
    assert_eq!(list(&stale, "agents").len(), 0);

    let hosts = get_ok(h.http, "/api/v1/hosts", &t).await;
    let hosts = list(&hosts, "hosts");
    assert_eq!(
        hosts
            .iter()
            .map(|h| h["host"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["10.0.0.5", "10.0.0.6", "10.0.0.7"]
    );
    let five = &hosts[0];
    assert_eq!(five["agents"], serde_json::json!(["a1", "a2"]));
    assert_eq!(five["sites"], serde_json::json!(["north", "south"]));
    // Per agent: CERT-001 fail, TLS-002 fail, TLS-001 pass, TLS-004 fail.
    assert_eq!(
        (five["fail"].as_i64(), five["pass"].as_i64()),
        (Some(6), Some(2))
    );
    assert_eq!(five["worst_failing_severity"], "critical");
    assert_eq!(hosts[2]["worst_failing_severity"], Value::Null);
    assert_eq!(hosts[2]["error"], 2);
    let north = get_ok(h.http, "/api/v1/hosts?site=north&limit=1", &t).await;
    assert_eq!(north["hosts"][0]["agents"], serde_json::json!(["a1"]));
    assert!(north["next_cursor"].is_string());

    // Before ingest writes history and summaries these lists are empty but
    // well-formed; their content is covered by the store conformance test.
    for (path, key) in [
        ("/api/v1/findings/history?site=north", "changes"),
        ("/api/v1/summaries?agent=a1", "summaries"),
    ] {
        let v = get_ok(h.http, path, &t).await;
        assert!(
            v[key].is_array() && v.get("next_cursor").is_some(),
            "{path}: {v}"
        );
    }

    let (status, health) = http(h.http, "GET", "/healthz", None, None).await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, _) = http_get(h.http, "/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = http(h.http, "GET", "/api/v1/nope", Some(&t), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    h.stop().await;
}
