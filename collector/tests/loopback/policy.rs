//! Central policy: set by an admin, read by auditors over HTTP, served to
//! each agent over mutual TLS for the site in its certificate only.

use hyper::StatusCode;
use serde_json::json;
use trustwatch_collector::metrics::AuthRefusal;
use trustwatch_collector::store::{Actor, Role};

use crate::support::{get_ok, http, sample_report, seed, tls_get, Harness};

#[tokio::test]
async fn each_agent_gets_its_own_sites_policy_over_mutual_tls() {
    let h = Harness::start(1 << 20).await;
    let admin = h.token(Role::Admin).await;
    let north = h.agent_client("n1", "north");
    let south = h.agent_client("s1", "south");
    seed(&h, north.clone(), "n1", 1, sample_report()).await;
    seed(&h, south.clone(), "s1", 1, sample_report()).await;

    // No policy yet: 404 no_policy, and the contact is still recorded.
    let (status, reply) = tls_get(h.ingest, north.clone(), "/api/v1/policy")
        .await
        .unwrap();
    assert_eq!(
        (status, reply["reason"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_policy")),
        "{reply}"
    );

    let policy = json!({
        "interval_secs": 900, "scope": ["10.1.0.0/16"], "exclude": ["10.1.5.0/24"],
        "tls_targets": ["pacs.north.example:443"], "domains": ["north.example.nhs.uk"],
        "disabled_rules": ["TLS-004", "PATCH-*"],
    });
    for version in 1..=2 {
        let (status, set) = http(
            h.http,
            "PUT",
            "/api/v1/policy?site=north",
            Some(&admin),
            Some(&policy.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{set}");
        assert_eq!(set["version"], version);
    }
    let (status, bad) = http(
        h.http,
        "PUT",
        "/api/v1/policy?site=north",
        Some(&admin),
        Some(r#"{"scope": ["10.1.0.1/16"]}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["error"].as_str().unwrap().contains("scope[0]"), "{bad}");

    // The north agent gets north's policy: exactly the contract's keys.
    let (status, served) = tls_get(h.ingest, north.clone(), "/api/v1/policy")
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{served}");
    let mut expected = policy.clone();
    expected["site"] = "north".into();
    expected["version"] = 2.into();
    assert_eq!(served, expected);
    // The south agent gets nothing of north's, whatever it asks for.
    let (status, reply) = tls_get(h.ingest, south.clone(), "/api/v1/policy")
        .await
        .unwrap();
    assert_eq!(
        (status, reply["reason"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_policy"))
    );
    let (status, reply) = tls_get(h.ingest, south.clone(), "/api/v1/policy?site=north")
        .await
        .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");

    // The fetch is a heartbeat and records the version handed out.
    let (contact, version): (Option<i64>, Option<i64>) = h
        .db()
        .query_row(
            "SELECT last_contact, policy_version FROM agents WHERE name = 'n1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        contact.is_some_and(|t| (t - time::OffsetDateTime::now_utc().unix_timestamp()).abs() < 60)
    );
    assert_eq!(version, Some(2));
    let auditor = h.token(Role::Auditor).await;
    let agents = get_ok(h.http, "/api/v1/agents?site=north", &auditor).await;
    assert_eq!(agents["agents"][0]["policy_version"], 2);

    // Auditors read it over HTTP, with who set it.
    let view = get_ok(h.http, "/api/v1/policy?site=north", &auditor).await;
    assert_eq!(
        (view["version"].as_i64(), view["disabled_rules"][1].as_str()),
        (Some(2), Some("PATCH-*"))
    );
    assert!(view["updated_by"]
        .as_str()
        .unwrap()
        .starts_with("api:test-admin#"));
    let (status, _) = http(
        h.http,
        "GET",
        "/api/v1/policy?site=south",
        Some(&auditor),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let list = get_ok(h.http, "/api/v1/policies", &auditor).await;
    assert_eq!(list["policies"].as_array().unwrap().len(), 1);

    // A revoked agent is refused and counted.
    h.store
        .revoke_agent("n1", Some("test"), &Actor::system("test"))
        .await
        .unwrap();
    let (status, reply) = tls_get(h.ingest, north, "/api/v1/policy").await.unwrap();
    assert_eq!(
        (status, reply["reason"].as_str()),
        (StatusCode::FORBIDDEN, Some("revoked"))
    );
    assert_eq!(h.metrics.refused(AuthRefusal::Revoked), 1);

    let events = get_ok(h.http, "/api/v1/admin-events", &auditor).await;
    let policy_sets = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "policy.set")
        .map(|e| {
            (
                e["subject"].as_str().unwrap().to_owned(),
                e["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect::<Vec<_>>();
    assert_eq!(
        policy_sets,
        [("north".into(), "1".into()), ("north".into(), "2".into())]
    );
    h.stop().await;
}
