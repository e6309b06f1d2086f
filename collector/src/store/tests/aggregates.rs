//! The grouped counts behind /metrics.

use time::macros::datetime;
use time::OffsetDateTime;
use trustwatch_rules::{Evidence, Status};

use super::{agent, finding, incoming, open};
use crate::store::{AgentCount, ExpiryBySite, RuleFailing};

#[tokio::test]
async fn aggregates_group_by_site_and_never_by_target() {
    let (_tmp, store) = open();
    let t = datetime!(2026-01-01 00:00 UTC);
    let expiring = |when: &str| Evidence::new().with("not_after", when);
    // Two agents at one site see the same failing target: counted once in
    // failing targets, twice in findings.
    for name in ["a1", "a2"] {
        store
            .ingest(incoming(
                &agent(name, "north"),
                t,
                vec![
                    finding("TLS-002", "shared:443", Status::Fail, Evidence::new()),
                    finding(
                        "TLS-002",
                        format!("{name}:443").as_str(),
                        Status::Pass,
                        Evidence::new(),
                    ),
                    finding(
                        "CERT-001",
                        format!("{name}:443").as_str(),
                        Status::Pass,
                        expiring(if name == "a1" {
                            "2027-01-01T00:00:00Z"
                        } else {
                            "2026-06-01T00:00:00+01:00"
                        }),
                    ),
                ],
            ))
            .await
            .unwrap();
    }
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let agg = store.aggregates(now - 3600).await.unwrap();
    let count = |sev: &str, status: &str| {
        agg.findings
            .iter()
            .find(|f| f.severity == sev && f.status == status)
            .map(|f| f.count)
    };
    assert_eq!(count("high", "fail"), Some(2));
    assert_eq!(count("high", "pass"), Some(4));
    // Counted per observation (from finding_counts, so a scrape never
    // groups millions of rows): shared:443, failing as seen by both
    // agents, counts twice.
    assert_eq!(
        agg.failing,
        vec![RuleFailing {
            site: "north".into(),
            rule_id: "TLS-002".into(),
            targets: 2
        }]
    );
    // The heartbeat of an agent that only reported is its last report.
    let oldest = agg.agents[0].oldest_contact;
    assert!(oldest.is_some_and(|t| (t - now).abs() < 60), "{oldest:?}");
    assert_eq!(
        agg.agents,
        vec![AgentCount {
            site: "north".into(),
            active: 2,
            stale: 0,
            oldest_contact: oldest,
            ..AgentCount::default()
        }]
    );
    assert_eq!(
        agg.expiry,
        vec![ExpiryBySite {
            site: "north".into(),
            earliest: datetime!(2026-06-01 00:00 +01:00).unix_timestamp(),
        }]
    );
    let pass: i64 = agg
        .controls
        .iter()
        .filter(|g| g.status == "pass")
        .map(|g| g.count)
        .sum();
    assert_eq!(pass, 4);
    // Controls and baseline are the catalogue's, filled in by the metrics.
    assert!(agg
        .controls
        .iter()
        .all(|g| g.baseline.is_empty() && g.controls.is_empty()));

    // Every agent is stale when the threshold is in the future.
    let agg = store.aggregates(now + 3600).await.unwrap();
    assert_eq!(
        agg.agents,
        vec![AgentCount {
            site: "north".into(),
            active: 0,
            stale: 2,
            oldest_contact: oldest,
            ..AgentCount::default()
        }]
    );
}
