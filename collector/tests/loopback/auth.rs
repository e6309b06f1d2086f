//! API tokens and roles on every endpoint: 401 for a missing, unknown,
//! expired or revoked token, 403 for a role too low, each with its reason
//! and its counter; `/metrics` and `/healthz` open.

use hyper::StatusCode;
use serde_json::json;
use trustwatch_collector::metrics::AuthRefusal;
use trustwatch_collector::store::{Actor, Role};

use crate::support::{http, sample_report, seed, Harness};

/// (method, path, body, least role) for every API endpoint.
fn endpoints() -> Vec<(&'static str, String, Option<String>, Role)> {
    let exception = json!({
        "rule_id": "TLS-002", "target": "10.0.0.5:443", "owner": "IT",
        "siro_accepted": "2026-01-01", "compensating_control": "VLAN",
        "reason": "vendor", "expires": "2099-01-01",
    })
    .to_string();
    let r = |m, p: &str, b: Option<String>, role| (m, p.to_owned(), b, role);
    vec![
        r("GET", "/api/v1/findings", None, Role::Auditor),
        r("GET", "/api/v1/findings/history", None, Role::Auditor),
        r("GET", "/api/v1/hosts", None, Role::Auditor),
        r("GET", "/api/v1/agents", None, Role::Auditor),
        r("GET", "/api/v1/summaries", None, Role::Auditor),
        r("GET", "/api/v1/exceptions", None, Role::Auditor),
        r("GET", "/api/v1/policy?site=north", None, Role::Auditor),
        r("GET", "/api/v1/policies", None, Role::Auditor),
        r("GET", "/api/v1/admin-events", None, Role::Auditor),
        r("POST", "/api/v1/exceptions", Some(exception), Role::Analyst),
        r("POST", "/api/v1/exceptions/1/withdraw", None, Role::Analyst),
        r(
            "PUT",
            "/api/v1/policy?site=north",
            Some(r#"{"interval_secs": 600}"#.into()),
            Role::Admin,
        ),
        r(
            "POST",
            "/api/v1/agents/a1/revoke",
            Some(r#"{"reason": "test"}"#.into()),
            Role::Admin,
        ),
        r("GET", "/api/v1/tokens", None, Role::Admin),
        r(
            "POST",
            "/api/v1/tokens",
            Some(r#"{"name": "x", "role": "auditor"}"#.into()),
            Role::Admin,
        ),
        r(
            "POST",
            "/api/v1/tokens/0000000000000000/revoke",
            None,
            Role::Admin,
        ),
    ]
}

#[tokio::test]
async fn every_endpoint_refuses_a_missing_unknown_expired_or_revoked_token_with_401() {
    let h = Harness::start(1 << 20).await;
    let admin = h.token(Role::Admin).await;
    let revoked = h.token(Role::Admin).await;
    let id = revoked[4..20].to_owned();
    h.store
        .revoke_api_token(&id, &Actor::system("test"))
        .await
        .unwrap();
    let expired = h.token(Role::Admin).await;
    h.db()
        .execute(
            "UPDATE api_tokens SET expires_at = 1 WHERE id = ?1",
            [&expired[4..20]],
        )
        .unwrap();
    // Right id, wrong secret.
    let forged = format!("{}{}", &admin[..21], "x".repeat(admin.len() - 21));
    let cases: [(Option<&str>, &str); 6] = [
        (None, "no `Authorization: Bearer"),
        (Some("not-a-token"), "not one this collector issued"),
        (
            Some("twa_0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            "not one this collector issued",
        ),
        (Some(&forged), "not one this collector issued"),
        (Some(&expired), "has expired"),
        (Some(&revoked), "has been revoked"),
    ];
    let endpoints = endpoints();
    let mut refused = 0;
    for (method, path, body, _) in &endpoints {
        for (token, needle) in &cases {
            let (status, reply) = http(h.http, method, path, *token, body.as_deref()).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {token:?}: {reply}"
            );
            assert_eq!(reply["reason"], "api_token_invalid", "{reply}");
            assert!(
                reply["error"].as_str().unwrap().contains(needle),
                "{needle}: {reply}"
            );
            refused += 1;
        }
    }
    assert_eq!(h.metrics.refused(AuthRefusal::ApiTokenInvalid), refused);
    // An unknown path under /api/v1 is authenticated before it is a 404.
    let (status, _) = http(h.http, "GET", "/api/v1/nothing", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Scrapes and health checks stay open.
    for path in ["/metrics", "/healthz"] {
        let (status, _) = crate::support::http_get(h.http, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    h.stop().await;
}

#[tokio::test]
async fn each_role_gets_exactly_its_endpoints_and_403_elsewhere() {
    let h = Harness::start(1 << 20).await;
    seed(&h, h.agent_client("a1", "north"), "a1", 1, sample_report()).await;
    let mut forbidden = 0;
    for role in Role::ALL {
        let token = h.token(role).await;
        for (method, path, body, least) in endpoints() {
            let (status, reply) = http(h.http, method, &path, Some(&token), body.as_deref()).await;
            if role >= least {
                assert!(
                    ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&status)
                        && !status.is_server_error(),
                    "{} {method} {path}: {status} {reply}",
                    role.as_str()
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{} {method} {path}: {reply}",
                    role.as_str()
                );
                assert_eq!(reply["reason"], "role_forbidden");
                let message = reply["error"].as_str().unwrap();
                assert!(
                    message.contains(role.as_str()) && message.contains(least.as_str()),
                    "{message}"
                );
                forbidden += 1;
            }
        }
    }
    // auditor: 7 analyst+admin endpoints; analyst: 5 admin endpoints.
    assert_eq!(forbidden, 12);
    assert_eq!(h.metrics.refused(AuthRefusal::RoleForbidden), 12);
    assert_eq!(h.metrics.refused(AuthRefusal::ApiTokenInvalid), 0);
    h.stop().await;
}

#[tokio::test]
async fn admins_manage_tokens_and_revoke_agents_through_the_api() {
    let h = Harness::start(1 << 20).await;
    seed(&h, h.agent_client("a1", "north"), "a1", 1, sample_report()).await;
    let admin = h.token(Role::Admin).await;

    // A new auditor token works at once, is listed without its secret,
    // and stops working the moment it is revoked.
    let (status, made) = http(
        h.http,
        "POST",
        "/api/v1/tokens",
        Some(&admin),
        Some(r#"{"name": "grafana", "role": "auditor", "ttl_secs": 3600}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let text = made["token"].as_str().unwrap().to_owned();
    let id = made["details"]["id"].as_str().unwrap().to_owned();
    assert!(text.starts_with(&format!("twa_{id}.")));
    assert!(made["details"]["expires_at"].is_string());
    let (status, _) = http(h.http, "GET", "/api/v1/findings", Some(&text), None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = http(h.http, "GET", "/api/v1/tokens", Some(&admin), None).await;
    let row = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["role"], "auditor");
    assert!(row["last_used"].is_string(), "{row}");
    assert!(
        !listed.to_string().contains(&text[21..]),
        "a secret was listed"
    );
    let stored: String = h
        .db()
        .query_row(
            "SELECT secret_sha256 FROM api_tokens WHERE id = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        stored,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&text[21..]))
    );
    let path = format!("/api/v1/tokens/{id}/revoke");
    let (status, _) = http(h.http, "POST", &path, Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, again) = http(h.http, "POST", &path, Some(&admin), None).await;
    assert_eq!(
        (status, again["reason"].as_str()),
        (StatusCode::CONFLICT, Some("already_revoked"))
    );
    let (status, _) = http(h.http, "GET", "/api/v1/findings", Some(&text), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for bad in [
        r#"{"name": "x", "role": "root"}"#,
        r#"{"name": "", "role": "admin"}"#,
        r#"{"name": "x"}"#,
        r#"{"name": "x", "role": "admin", "ttl_secs": 0}"#,
    ] {
        let (status, reply) = http(h.http, "POST", "/api/v1/tokens", Some(&admin), Some(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {reply}");
    }

    // Agent revocation sets the column the ingest path checks.
    let (status, reply) = http(
        h.http,
        "POST",
        "/api/v1/agents/a1/revoke",
        Some(&admin),
        Some(r#"{"reason": "laptop stolen"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["already_revoked"], false);
    let (reason, at): (String, i64) = h
        .db()
        .query_row(
            "SELECT revoked_reason, revoked_at FROM agents WHERE name = 'a1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(reason, "laptop stolen");
    assert!(at > 0);
    let (_, again) = http(
        h.http,
        "POST",
        "/api/v1/agents/a1/revoke",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(again["already_revoked"], true);
    let (status, missing) = http(
        h.http,
        "POST",
        "/api/v1/agents/ghost/revoke",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        (status, missing["reason"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (_, agents) = http(
        h.http,
        "GET",
        "/api/v1/agents?state=revoked",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(agents["agents"][0]["revoked_reason"], "laptop stolen");

    // Every change is in the admin trail, with the token as the actor.
    let (_, events) = http(h.http, "GET", "/api/v1/admin-events", Some(&admin), None).await;
    let actions: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "api_token.create",
            "api_token.create",
            "api_token.revoke",
            "agent.revoke"
        ]
    );
    assert!(events["events"][1]["actor"]
        .as_str()
        .unwrap()
        .starts_with("api:test-admin#"));
    // The revocation's detail is its reason, as for `agent revoke`.
    assert_eq!(events["events"][3]["detail"], "laptop stolen");
    h.stop().await;
}
