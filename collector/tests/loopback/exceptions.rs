//! The exceptions register: how it changes what the API and the metrics
//! report, never the stored finding; expiry and withdrawal undo it.

use hyper::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;
use trustwatch_collector::store::{FindingFilter, Role};

use crate::support::{get_ok, http, http_get, sample_report, seed, Harness};

fn find<'a>(list: &'a Value, agent: &str, target: &str, rule: &str) -> &'a Value {
    list["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["agent"] == agent && f["target"] == target && f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {agent} {target} {rule} in {list}"))
}

fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn body(rule: &str, target: &str, site: Option<&str>, expires: &str) -> String {
    let mut b = json!({
        "rule_id": rule, "target": target, "owner": "Head of Infrastructure",
        "siro_accepted": "2026-01-15", "compensating_control": "Only reachable from the PACS VLAN",
        "reason": "Modality firmware is vendor-locked", "expires": expires,
    });
    if let Some(s) = site {
        b["site"] = s.into();
    }
    b.to_string()
}

#[tokio::test]
async fn an_exception_changes_the_reported_status_and_metrics_never_the_finding() {
    let h = Harness::start(1 << 20).await;
    seed(&h, h.agent_client("a1", "north"), "a1", 1, sample_report()).await;
    seed(&h, h.agent_client("a2", "south"), "a2", 1, sample_report()).await;
    let analyst = h.token(Role::Analyst).await;
    let before = h.store.findings(FindingFilter::default()).await.unwrap();
    let year = OffsetDateTime::now_utc().year();
    let expires = format!("{}-01-01", year + 1);

    // Validation, one sentence each.
    for (bad, needle) in [
        (body("TLS-999", "x", None, &expires), "rule `TLS-999`"),
        (
            body("TLS-002", "x", None, "2029-01-16"),
            "more than 3 years",
        ),
        (
            body("TLS-002", "x", None, "next year"),
            "expires `next year`",
        ),
        (body("TLS-002", "x", Some("no site!"), &expires), "site"),
        (r#"{"rule_id": "TLS-002"}"#.to_owned(), "missing field"),
    ] {
        let (status, reply) = http(
            h.http,
            "POST",
            "/api/v1/exceptions",
            Some(&analyst),
            Some(&bad),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {reply}");
        assert!(
            reply["error"].as_str().unwrap().contains(needle),
            "{needle}: {reply}"
        );
    }

    let (status, one) = http(
        h.http,
        "POST",
        "/api/v1/exceptions",
        Some(&analyst),
        Some(&body("TLS-002", "10.0.0.5:443", Some("north"), &expires)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{one}");
    assert_eq!(
        (one["state"].as_str(), one["expires"].as_str()),
        (Some("active"), Some(expires.as_str()))
    );
    assert!(one["created_by"]
        .as_str()
        .unwrap()
        .starts_with("api:test-analyst#"));
    let (_, every) = http(
        h.http,
        "POST",
        "/api/v1/exceptions",
        Some(&analyst),
        Some(&body("CERT-001", "*", None, &expires)),
    )
    .await;
    let (one_id, every_id) = (one["id"].as_i64().unwrap(), every["id"].as_i64().unwrap());

    let t = h.token(Role::Auditor).await;
    let list = get_ok(h.http, "/api/v1/findings", &t).await;
    let excepted = find(&list, "a1", "10.0.0.5:443", "TLS-002");
    assert_eq!(
        (
            excepted["status"].as_str(),
            excepted["reported_status"].as_str()
        ),
        (Some("fail"), Some("accepted_risk"))
    );
    assert_eq!(
        excepted["exception"],
        json!({
            "id": one_id, "owner": "Head of Infrastructure", "expires": expires,
            "compensating_control": "Only reachable from the PACS VLAN",
        })
    );
    // Another site's finding on the same target is not covered.
    let south = find(&list, "a2", "10.0.0.5:443", "TLS-002");
    assert_eq!(
        (south["reported_status"].as_str(), &south["exception"]),
        (Some("fail"), &Value::Null)
    );
    // `*` covers every target; a passing finding keeps reporting pass.
    let cert_pass = find(&list, "a2", "10.0.0.6:443", "CERT-001");
    assert_eq!(
        (
            cert_pass["reported_status"].as_str(),
            cert_pass["exception"]["id"].as_i64()
        ),
        (Some("pass"), Some(every_id))
    );
    let count = |v: &Value| v["findings"].as_array().unwrap().len();
    assert_eq!(
        count(&get_ok(h.http, "/api/v1/findings?exception=only", &t).await),
        5
    );
    assert_eq!(
        count(&get_ok(h.http, "/api/v1/findings?exception=exclude", &t).await),
        9
    );
    assert_eq!(
        count(&get_ok(h.http, "/api/v1/findings?exception=include", &t).await),
        14
    );
    // The stored findings are exactly as before.
    let after = h.store.findings(FindingFilter::default()).await.unwrap();
    let raw = |rows: &[trustwatch_collector::store::FindingRow]| {
        rows.iter()
            .map(|r| {
                (
                    r.agent.clone(),
                    r.target.clone(),
                    r.rule_id.clone(),
                    r.status,
                    r.evidence.clone(),
                    r.last_changed,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(raw(&before), raw(&after));

    let (_, text) = http_get(h.http, "/metrics").await;
    let m = |s: &str| metric(&text, s);
    assert_eq!(
        m(r#"trustwatch_rule_failing_targets{rule_id="TLS-002",site="north"}"#),
        Some(1.0)
    );
    assert_eq!(
        m(r#"trustwatch_rule_failing_targets{rule_id="TLS-002",site="south"}"#),
        Some(2.0)
    );
    assert_eq!(
        m(r#"trustwatch_rule_failing_targets{rule_id="CERT-001",site="north"}"#),
        None
    );
    assert_eq!(
        m(r#"trustwatch_findings_accepted_risk{severity="high",site="north"}"#),
        Some(1.0)
    );
    assert_eq!(
        m(r#"trustwatch_findings_accepted_risk{severity="critical",site="south"}"#),
        Some(1.0)
    );
    assert_eq!(
        m(r#"trustwatch_exceptions{site="north",state="active"}"#),
        Some(1.0)
    );
    assert_eq!(
        m(r#"trustwatch_exceptions{site="*",state="active"}"#),
        Some(1.0)
    );
    assert_eq!(
        m(r#"trustwatch_exceptions{site="north",state="expired"}"#),
        Some(0.0)
    );
    // The raw counts do not move.
    assert_eq!(
        m(r#"trustwatch_findings{severity="high",site="north",status="fail"}"#),
        Some(2.0)
    );

    // Expiry needs no action: past its date the exception stops applying.
    h.db()
        .execute(
            "UPDATE exceptions SET expires_at = 1 WHERE id = ?1",
            [one_id],
        )
        .unwrap();
    let list = get_ok(h.http, "/api/v1/findings", &t).await;
    let lapsed = find(&list, "a1", "10.0.0.5:443", "TLS-002");
    assert_eq!(
        (lapsed["reported_status"].as_str(), &lapsed["exception"]),
        (Some("fail"), &Value::Null)
    );
    let (_, text) = http_get(h.http, "/metrics").await;
    assert_eq!(
        metric(
            &text,
            r#"trustwatch_rule_failing_targets{rule_id="TLS-002",site="north"}"#
        ),
        Some(2.0)
    );
    assert_eq!(
        metric(
            &text,
            r#"trustwatch_exceptions{site="north",state="expired"}"#
        ),
        Some(1.0)
    );

    // Withdrawal, once.
    let path = format!("/api/v1/exceptions/{every_id}/withdraw");
    let (status, w) = http(h.http, "POST", &path, Some(&analyst), None).await;
    assert_eq!(
        (status, w["state"].as_str()),
        (StatusCode::OK, Some("withdrawn"))
    );
    let (status, w) = http(h.http, "POST", &path, Some(&analyst), None).await;
    assert_eq!(
        (status, w["reason"].as_str()),
        (StatusCode::CONFLICT, Some("already_withdrawn"))
    );
    let (status, _) = http(
        h.http,
        "POST",
        "/api/v1/exceptions/999/withdraw",
        Some(&analyst),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = http(
        h.http,
        "POST",
        "/api/v1/exceptions/x/withdraw",
        Some(&analyst),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        count(&get_ok(h.http, "/api/v1/findings?exception=only", &t).await),
        0
    );
    let (_, text) = http_get(h.http, "/metrics").await;
    assert_eq!(
        metric(
            &text,
            r#"trustwatch_exceptions{site="*",state="withdrawn"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &text,
            r#"trustwatch_rule_failing_targets{rule_id="CERT-001",site="north"}"#
        ),
        Some(1.0)
    );

    let listed = get_ok(h.http, "/api/v1/exceptions?state=withdrawn", &t).await;
    assert_eq!(listed["exceptions"].as_array().unwrap().len(), 1);
    let for_north = get_ok(h.http, "/api/v1/exceptions?site=north", &t).await;
    assert_eq!(for_north["exceptions"].as_array().unwrap().len(), 2);
    h.stop().await;
}
