//! The registers: exceptions (and their effect), API tokens, policy, agent
//! revocation, and the admin trail they leave.

use time::{Duration, OffsetDateTime};
use trustwatch_collector::identity::AgentIdentity;
use trustwatch_collector::policy::PolicyBody;
use trustwatch_collector::store::{
    Actor, AgentFilter, AgentPolicy, Change, Cursor, ExceptionFilter, ExceptionQuery,
    ExceptionState, FindingFilter, NewException, Role, Store, TokenCheck,
};
use trustwatch_rules::Catalogue;

use super::checks::coverage;
use super::seed::DAY;
use super::Exec;

pub async fn all(store: &Store, exec: &Exec, now: i64) {
    exceptions(store, exec, now).await;
    tokens(store, exec).await;
    policy(store, now).await;
    revocation(store).await;
    trail(store).await;
}

fn exception(rule: &str, target: &str, site: Option<&str>) -> NewException {
    let today = OffsetDateTime::now_utc().date();
    NewException {
        site: site.map(str::to_owned),
        rule_id: rule.into(),
        target: target.into(),
        owner: "Head of IT".into(),
        siro_accepted_on: today - Duration::days(10),
        compensating_control: "VLAN".into(),
        reason: "vendor".into(),
        expires_on: today + Duration::days(200),
    }
}

async fn exceptions(store: &Store, exec: &Exec, now: i64) {
    let actor = Actor::system("conformance");
    let cat = Catalogue::embedded().unwrap();
    let (cat, actor) = (&cat, &actor);
    let add = |e: NewException| async move {
        e.validate(cat, OffsetDateTime::now_utc().date()).unwrap();
        store.add_exception(&e, actor).await.unwrap()
    };
    let e1 = add(exception("TLS-002", "10.0.0.5:443", Some("north"))).await;
    let e2 = add(exception("PATCH-006", "a3", None)).await;
    let e3 = add(exception("TLS-003", "*", None)).await;
    assert_eq!(
        (e1.state, e1.site.as_deref(), e1.created_by.as_str()),
        (ExceptionState::Active, Some("north"), "system:conformance")
    );
    let with = || FindingFilter {
        coverage: Some(coverage()),
        ..FindingFilter::default()
    };
    let rows = store.findings(with()).await.unwrap();
    let find = |agent: &str, target: &str, rule: &str| {
        rows.iter()
            .find(|r| r.agent == agent && r.target == target && r.rule_id == rule)
            .unwrap()
            .clone()
    };
    let a1 = find("a1", "10.0.0.5:443", "TLS-002");
    assert_eq!(
        (
            a1.reported_status.as_str(),
            a1.exception.as_ref().map(|e| e.id)
        ),
        ("accepted_risk", Some(e1.id))
    );
    assert_eq!(a1.exception.as_ref().unwrap().expires, e1.expires);
    assert_eq!(find("a2", "10.0.0.5:443", "TLS-002").exception, None);
    let gap = find("a3", "a3", "PATCH-006");
    assert_eq!(
        (gap.reported_status.as_str(), gap.exception.map(|e| e.id)),
        ("accepted_risk", Some(e2.id))
    );
    // An error under an exception stays an error.
    let err = find("a2", "10.0.0.6:443", "TLS-003");
    assert_eq!(
        (err.reported_status.as_str(), err.exception.map(|e| e.id)),
        ("error", Some(e3.id))
    );
    let only = FindingFilter {
        exception: ExceptionFilter::Only,
        ..with()
    };
    assert_eq!(store.findings(only.clone()).await.unwrap().len(), 3);
    let exclude = FindingFilter {
        exception: ExceptionFilter::Exclude,
        ..with()
    };
    assert_eq!(store.findings(exclude).await.unwrap().len(), 7);

    // A named target beats `*`.
    let e4 = add(exception("TLS-002", "*", Some("north"))).await;
    let rows = store
        .findings(FindingFilter {
            rule_id: Some("TLS-002".into()),
            ..with()
        })
        .await
        .unwrap();
    let ids: Vec<Option<i64>> = rows
        .iter()
        .map(|r| r.exception.as_ref().map(|e| e.id))
        .collect();
    assert_eq!(rows.len(), 4);
    assert!(
        ids.contains(&Some(e1.id))
            && ids.iter().filter(|i| **i == Some(e4.id)).count() == 2
            && ids.contains(&None),
        "{ids:?}"
    );

    let agg = store.aggregates(now - 7 * DAY).await.unwrap();
    let failing = |rule: &str| {
        agg.failing
            .iter()
            .find(|f| f.site == "north" && f.rule_id == rule)
            .map_or(0, |f| f.targets)
    };
    assert_eq!(failing("TLS-002"), 0);
    let accepted = |site: &str, sev: &str| {
        agg.accepted_risk
            .iter()
            .find(|a| a.site == site && a.severity == sev)
            .map_or(0, |a| a.count)
    };
    assert_eq!(
        (accepted("north", "high"), accepted("south", "high")),
        (3, 0)
    );
    let north = agg.agents.iter().find(|a| a.site == "north").unwrap();
    assert_eq!((north.stale, north.stale_excepted), (1, 1));
    let states = |site: &str, state: &str| {
        agg.exceptions
            .iter()
            .find(|e| e.site == site && e.state == state)
            .map_or(0, |e| e.count)
    };
    assert_eq!((states("north", "active"), states("*", "active")), (2, 2));

    // Withdrawn and expired exceptions stop applying.
    assert!(
        matches!(store.withdraw_exception(e4.id, actor).await.unwrap(), Change::Done(e) if e.state == ExceptionState::Withdrawn)
    );
    assert!(matches!(
        store.withdraw_exception(e4.id, actor).await.unwrap(),
        Change::Already(_)
    ));
    assert!(matches!(
        store.withdraw_exception(9999, actor).await.unwrap(),
        Change::NotFound
    ));
    exec(&format!(
        "UPDATE exceptions SET expires_at = {} WHERE id = {}",
        now - 1,
        e3.id
    ));
    assert_eq!(store.findings(only).await.unwrap().len(), 2);
    let agg = store.aggregates(now - 7 * DAY).await.unwrap();
    let states = |site: &str, state: &str| {
        agg.exceptions
            .iter()
            .find(|e| e.site == site && e.state == state)
            .map_or(0, |e| e.count)
    };
    assert_eq!(
        (
            states("north", "withdrawn"),
            states("*", "expired"),
            states("*", "active")
        ),
        (1, 1, 1)
    );

    let q = |query: ExceptionQuery| async move {
        store
            .exceptions(query)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        q(ExceptionQuery::default()).await,
        [e1.id, e2.id, e3.id, e4.id]
    );
    assert_eq!(
        q(ExceptionQuery {
            state: Some(ExceptionState::Expired),
            ..Default::default()
        })
        .await,
        [e3.id]
    );
    assert_eq!(
        q(ExceptionQuery {
            state: Some(ExceptionState::Active),
            ..Default::default()
        })
        .await,
        [e1.id, e2.id]
    );
    assert_eq!(
        q(ExceptionQuery {
            site: Some("south".into()),
            ..Default::default()
        })
        .await,
        [e2.id, e3.id]
    );
    assert_eq!(
        q(ExceptionQuery {
            rule_id: Some("TLS-002".into()),
            ..Default::default()
        })
        .await,
        [e1.id, e4.id]
    );
    assert_eq!(
        q(ExceptionQuery {
            after: Some(Cursor::Id(e2.id)),
            limit: Some(1),
            ..Default::default()
        })
        .await,
        [e3.id]
    );
}

async fn tokens(store: &Store, exec: &Exec) {
    let actor = Actor::system("conformance");
    let admin = store
        .create_api_token("ops", Role::Admin, None, &actor)
        .await
        .unwrap();
    let TokenCheck::Valid(t) = store.authenticate_api_token(&admin.text).await.unwrap() else {
        panic!("a fresh token is valid");
    };
    assert_eq!((t.role, t.name.as_str()), (Role::Admin, "ops"));
    let listed = store.api_tokens().await.unwrap();
    assert!(listed[0].last_used.is_some(), "last_used is recorded");
    let forged = format!("{}{}", &admin.text[..21], "Z".repeat(43));
    for bad in ["", "twa_nonsense", forged.as_str()] {
        assert_eq!(
            store.authenticate_api_token(bad).await.unwrap(),
            TokenCheck::Unknown,
            "{bad}"
        );
    }
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let short = store
        .create_api_token("ci", Role::Auditor, Some(now + 3600), &actor)
        .await
        .unwrap();
    assert!(matches!(
        store.authenticate_api_token(&short.text).await.unwrap(),
        TokenCheck::Valid(_)
    ));
    exec(&format!(
        "UPDATE api_tokens SET expires_at = 1 WHERE id = '{}'",
        short.token.id
    ));
    assert_eq!(
        store.authenticate_api_token(&short.text).await.unwrap(),
        TokenCheck::Expired
    );
    assert!(store
        .create_api_token("late", Role::Auditor, Some(now - 1), &actor)
        .await
        .is_err());
    assert!(matches!(
        store
            .revoke_api_token(&admin.token.id, &actor)
            .await
            .unwrap(),
        Change::Done(_)
    ));
    assert!(matches!(
        store
            .revoke_api_token(&admin.token.id, &actor)
            .await
            .unwrap(),
        Change::Already(_)
    ));
    assert!(matches!(
        store
            .revoke_api_token("0000000000000000", &actor)
            .await
            .unwrap(),
        Change::NotFound
    ));
    assert_eq!(
        store.authenticate_api_token(&admin.text).await.unwrap(),
        TokenCheck::Revoked
    );
    assert_eq!(store.api_tokens().await.unwrap().len(), 2);
}

fn identity(name: &str, site: &str) -> AgentIdentity {
    AgentIdentity {
        name: name.into(),
        site: site.into(),
        cert_fingerprint: format!("fp-{name}"),
    }
}

async fn policy(store: &Store, now: i64) {
    let actor = Actor::system("conformance");
    let cat = Catalogue::embedded().unwrap();
    let body: PolicyBody = trustwatch_collector::policy::parse_json(
        br#"{"interval_secs": 900, "scope": ["10.1.0.0/16"], "disabled_rules": ["PATCH-*"]}"#,
        &cat,
    )
    .unwrap();
    assert_eq!(
        store
            .set_policy("north", &PolicyBody::default(), &actor)
            .await
            .unwrap()
            .version,
        1
    );
    let set = store.set_policy("north", &body, &actor).await.unwrap();
    assert_eq!(
        (set.version, set.updated_by.as_str()),
        (2, "system:conformance")
    );
    assert_eq!(store.policy("north").await.unwrap().unwrap().body, body);
    assert_eq!(store.policy("south").await.unwrap(), None);
    assert_eq!(store.policies().await.unwrap().len(), 1);
    let served = serde_json::to_value(set.served()).unwrap();
    assert_eq!(
        served,
        serde_json::json!({
            "site": "north", "version": 2, "interval_secs": 900, "scope": ["10.1.0.0/16"],
            "exclude": [], "tls_targets": [], "domains": [], "disabled_rules": ["PATCH-*"],
        })
    );

    match store
        .policy_for_agent(&identity("a1", "north"))
        .await
        .unwrap()
    {
        AgentPolicy::Policy(p) => assert_eq!(p.version, 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store
            .policy_for_agent(&identity("a2", "south"))
            .await
            .unwrap(),
        AgentPolicy::NoPolicy
    );
    assert_eq!(
        store
            .policy_for_agent(&identity("a4", "north"))
            .await
            .unwrap(),
        AgentPolicy::Revoked
    );
    let agents = store.agents_page(AgentFilter::default()).await.unwrap();
    let by = |n: &str| agents.iter().find(|a| a.name == n).unwrap().clone();
    assert_eq!(by("a1").policy_version, Some(2));
    assert!((by("a1").last_contact.unix_timestamp() - now).abs() < 60);
    assert_eq!(by("a2").policy_version, None);
    assert!((by("a2").last_contact.unix_timestamp() - now).abs() < 60);
    assert_eq!(
        by("a4").policy_version,
        None,
        "a revoked agent's row is not touched"
    );
}

async fn revocation(store: &Store) {
    let actor = Actor::system("conformance");
    assert!(matches!(
        store
            .revoke_agent("a2", Some("decommissioned"), &actor)
            .await
            .unwrap(),
        Change::Done(_)
    ));
    assert!(matches!(
        store
            .revoke_agent("a2", Some("again"), &actor)
            .await
            .unwrap(),
        Change::Already(_)
    ));
    assert!(matches!(
        store
            .revoke_agent("ghost", Some("x"), &actor)
            .await
            .unwrap(),
        Change::NotFound
    ));
    let a2 = store
        .agents()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.name == "a2")
        .unwrap();
    assert_eq!(a2.revoked_reason.as_deref(), Some("decommissioned"));
}

async fn trail(store: &Store) {
    let events = store.admin_events(None, Some(1000)).await.unwrap();
    let count = |action: &str| events.iter().filter(|e| e.action == action).count();
    assert_eq!(
        [
            count("exception.add"),
            count("exception.withdraw"),
            count("api_token.create"),
            count("api_token.revoke"),
            count("policy.set"),
            count("agent.revoke")
        ],
        [4, 1, 2, 1, 2, 1]
    );
    let adds: Vec<&str> = events
        .iter()
        .filter(|e| e.action == "exception.add")
        .map(|e| e.subject.as_str())
        .collect();
    let listed: Vec<String> = store
        .exceptions(ExceptionQuery::default())
        .await
        .unwrap()
        .iter()
        .map(|e| e.id.to_string())
        .collect();
    assert_eq!(adds, listed);
    let policy: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e.action == "policy.set")
        .map(|e| (e.subject.as_str(), e.detail.as_str()))
        .collect();
    assert_eq!(policy, [("north", "1"), ("north", "2")]);
    assert!(events.windows(2).all(|w| w[0].id < w[1].id));
    let page = store
        .admin_events(Some(Cursor::Id(events[2].id)), Some(2))
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        [events[3].id, events[4].id]
    );
}
