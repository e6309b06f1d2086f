//! The read side: findings (filters, PATCH-006, pages), agents, hosts,
//! history, summaries and the metrics aggregates.

use std::collections::BTreeSet;

use time::OffsetDateTime;
use trustwatch_collector::store::{
    AgentFilter, AgentState, Coverage, Cursor, FindingFilter, FindingRow, FindingSource,
    HistoryFilter, HostFilter, Store,
};
use trustwatch_rules::{Catalogue, Severity, Status};

use super::seed::{self, DAY};
use super::Exec;

pub async fn all(store: &Store, exec: &Exec) {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    for sql in seed::statements(now) {
        exec(&sql);
    }
    findings(store, now).await;
    agents_and_hosts(store, now).await;
    history(store, now).await;
    aggregates_before_exceptions(store, now).await;
    super::registers::all(store, exec, now).await;
}

pub fn coverage() -> Coverage {
    Coverage::from_catalogue(&Catalogue::embedded().unwrap(), 7 * DAY).unwrap()
}

fn keys(rows: &[FindingRow]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|r| (r.agent.clone(), r.target.clone(), r.rule_id.clone()))
        .collect()
}

async fn count(store: &Store, filter: FindingFilter) -> usize {
    store.findings(filter).await.unwrap().len()
}

async fn findings(store: &Store, now: i64) {
    let all = store.findings(FindingFilter::default()).await.unwrap();
    assert_eq!(all.len(), seed::FINDINGS.len());
    let expected: BTreeSet<(String, String, String)> = seed::FINDINGS
        .iter()
        .map(|f| (f.0.to_owned(), f.2.to_owned(), f.3.to_owned()))
        .collect();
    assert_eq!(keys(&all).into_iter().collect::<BTreeSet<_>>(), expected);
    let v6 = all.iter().find(|r| r.target.starts_with('[')).unwrap();
    assert_eq!(
        (v6.host.as_str(), v6.source),
        ("2001:db8::1", FindingSource::Report)
    );
    assert_eq!(v6.evidence, serde_json::json!({ "k": 1 }));
    assert_eq!(v6.controls, ["CAF:B4.b", "NCSC-TLS"]);
    assert_eq!(v6.reported_status, "fail");

    let f = FindingFilter::default;
    let s = |v: &str| Some(v.to_owned());
    for (filter, n) in [
        (
            FindingFilter {
                site: s("north"),
                ..f()
            },
            7,
        ),
        (
            FindingFilter {
                agent: s("a2"),
                ..f()
            },
            2,
        ),
        (
            FindingFilter {
                host: s("10.0.0.5"),
                ..f()
            },
            4,
        ),
        (
            FindingFilter {
                host: s("2001:db8::1"),
                ..f()
            },
            1,
        ),
        (
            FindingFilter {
                host: s("example.nhs.uk"),
                ..f()
            },
            1,
        ),
        (
            FindingFilter {
                host: s("10.0.0"),
                ..f()
            },
            0,
        ),
        (
            FindingFilter {
                target: s("10.0.0.5:443"),
                ..f()
            },
            4,
        ),
        (
            FindingFilter {
                rule_id: s("TLS-002"),
                ..f()
            },
            4,
        ),
        (
            FindingFilter {
                severity: Some(Severity::Critical),
                ..f()
            },
            2,
        ),
        (
            FindingFilter {
                status: Some(Status::Fail),
                ..f()
            },
            7,
        ),
        (
            FindingFilter {
                status: Some(Status::Error),
                site: s("south"),
                ..f()
            },
            1,
        ),
        (
            FindingFilter {
                since: Some(now - 150),
                ..f()
            },
            6,
        ),
        (
            FindingFilter {
                until: Some(now - 150),
                ..f()
            },
            3,
        ),
        (
            FindingFilter {
                changed_since: Some(now - 500),
                ..f()
            },
            3,
        ),
    ] {
        let described = format!("{filter:?}");
        assert_eq!(count(store, filter).await, n, "{described}");
    }

    // PATCH-006: a3 is silent for 30 days; a4 is revoked, a2 only 200 s.
    let with = || FindingFilter {
        coverage: Some(coverage()),
        ..f()
    };
    let listed = store.findings(with()).await.unwrap();
    assert_eq!(listed.len(), seed::FINDINGS.len() + 1);
    let gap = listed.last().unwrap();
    assert_eq!(
        (
            gap.agent.as_str(),
            gap.target.as_str(),
            gap.host.as_str(),
            gap.rule_id.as_str()
        ),
        ("a3", "a3", "a3", "PATCH-006")
    );
    assert_eq!(
        (gap.status, gap.severity, gap.source, gap.report_id),
        (
            Status::Fail,
            Severity::Medium,
            FindingSource::Collector,
            None
        )
    );
    assert_eq!(gap.evidence["evaluated_by"], "collector");
    assert_eq!(gap.evidence["stale_after_secs"], 7 * DAY);
    assert_eq!(gap.first_seen.unix_timestamp(), now - 30 * DAY + 7 * DAY);
    assert!((gap.last_seen.unix_timestamp() - now).abs() < 60);
    for (filter, n) in [
        (
            FindingFilter {
                status: Some(Status::Pass),
                ..with()
            },
            1,
        ),
        (
            FindingFilter {
                rule_id: s("PATCH-006"),
                ..with()
            },
            1,
        ),
        (
            FindingFilter {
                site: s("south"),
                ..with()
            },
            2,
        ),
        (
            FindingFilter {
                host: s("a3"),
                ..with()
            },
            1,
        ),
        (
            FindingFilter {
                severity: Some(Severity::Medium),
                ..with()
            },
            2,
        ),
        (
            FindingFilter {
                since: Some(now + 60),
                ..with()
            },
            0,
        ),
        // a3 became stale 23 days ago; a3's stored finding changed 40 ago.
        (
            FindingFilter {
                changed_since: Some(now - 23 * DAY - 60),
                ..with()
            },
            9,
        ),
        (
            FindingFilter {
                changed_since: Some(now - 23 * DAY + 60),
                ..with()
            },
            8,
        ),
    ] {
        let described = format!("{filter:?}");
        assert_eq!(count(store, filter).await, n, "{described}");
    }

    // Pages of 3 walk stored then collector findings, in the list's order.
    let mut walked = Vec::new();
    let mut after: Option<Cursor> = None;
    for _ in 0..20 {
        let page = store
            .findings(FindingFilter {
                limit: Some(3),
                after: after.take(),
                ..with()
            })
            .await
            .unwrap();
        let full = page.len() == 3;
        after = page.last().map(FindingRow::cursor);
        walked.extend(page);
        if !full {
            break;
        }
    }
    assert_eq!(keys(&walked), keys(&listed));
    let wrong = store
        .findings(FindingFilter {
            after: Some(Cursor::Id(3)),
            ..f()
        })
        .await
        .unwrap_err();
    assert!(wrong.to_string().contains("cursor"), "{wrong}");
}

async fn agents_and_hosts(store: &Store, now: i64) {
    let agents = store.agents_page(AgentFilter::default()).await.unwrap();
    let names: Vec<&str> = agents.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["a1", "a2", "a3", "a4"]);
    let states: Vec<AgentState> = agents.iter().map(|a| a.state).collect();
    assert_eq!(
        states,
        [
            AgentState::Active,
            AgentState::Active,
            AgentState::Stale,
            AgentState::Revoked
        ]
    );
    let a1 = &agents[0];
    assert_eq!((a1.sequence_gaps, a1.last_sequence, a1.reports), (2, 11, 1));
    assert_eq!(a1.last_contact.unix_timestamp(), now - 50);
    assert_eq!(a1.last_report.map(|t| t.unix_timestamp()), Some(now - 100));
    assert_eq!(
        a1.cert_not_after.map(|t| t.unix_timestamp()),
        Some(now + 7 * DAY)
    );
    // No heartbeat of its own: the last report stands in.
    assert_eq!(agents[1].last_contact.unix_timestamp(), now - 200);
    assert_eq!(agents[3].revoked_reason.as_deref(), Some("stolen"));
    for (filter, want) in [
        (
            AgentFilter {
                state: Some(AgentState::Stale),
                ..Default::default()
            },
            vec!["a3"],
        ),
        (
            AgentFilter {
                state: Some(AgentState::Active),
                ..Default::default()
            },
            vec!["a1", "a2"],
        ),
        (
            AgentFilter {
                state: Some(AgentState::Revoked),
                ..Default::default()
            },
            vec!["a4"],
        ),
        (
            AgentFilter {
                site: Some("south".into()),
                ..Default::default()
            },
            vec!["a2"],
        ),
        (
            AgentFilter {
                stale_after_secs: 150,
                state: Some(AgentState::Stale),
                ..Default::default()
            },
            vec!["a2", "a3"],
        ),
        (
            AgentFilter {
                after: Some(Cursor::Name("a2".into())),
                limit: Some(1),
                ..Default::default()
            },
            vec!["a3"],
        ),
    ] {
        let got: Vec<String> = store
            .agents_page(filter)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(got, want);
    }
    assert_eq!(store.agents().await.unwrap().len(), 4);

    let hosts = store.hosts(HostFilter::default()).await.unwrap();
    let names: BTreeSet<&str> = hosts.iter().map(|h| h.host.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "10.0.0.10",
            "10.0.0.5",
            "10.0.0.6",
            "10.0.0.9",
            "2001:db8::1",
            "example.nhs.uk"
        ])
    );
    let five = hosts.iter().find(|h| h.host == "10.0.0.5").unwrap();
    assert_eq!(
        (five.findings, five.fail, five.pass, five.error),
        (4, 3, 1, 0)
    );
    assert_eq!(five.worst_failing_severity, Some(Severity::Critical));
    assert_eq!(
        (five.agents.clone(), five.sites.clone()),
        (
            vec!["a1".to_owned(), "a2".to_owned()],
            vec!["north".to_owned(), "south".to_owned()]
        )
    );
    assert_eq!(five.last_seen.unix_timestamp(), now - 100);
    let six = hosts.iter().find(|h| h.host == "10.0.0.6").unwrap();
    assert_eq!((six.error, six.worst_failing_severity), (1, None));
    let south = store
        .hosts(HostFilter {
            site: Some("south".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(south.len(), 2);
    assert!(south
        .iter()
        .all(|h| h.agents == ["a2"] && h.sites == ["south"]));
    let mut walked = Vec::new();
    let mut after = None;
    for _ in 0..10 {
        let page = store
            .hosts(HostFilter {
                limit: Some(4),
                after: after.take(),
                ..Default::default()
            })
            .await
            .unwrap();
        after = page.last().map(|h| Cursor::Name(h.host.clone()));
        let done = page.len() < 4;
        walked.extend(page.into_iter().map(|h| h.host));
        if done {
            break;
        }
    }
    assert_eq!(
        walked,
        hosts.iter().map(|h| h.host.clone()).collect::<Vec<_>>()
    );
}

async fn history(store: &Store, now: i64) {
    let ids = |rows: Vec<i64>| rows;
    let changes = |filter: HistoryFilter| async move {
        ids(store
            .changes(filter)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect())
    };
    let d = HistoryFilter::default;
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(changes(d()).await, [1, 2, 3, 4, 5, 6]);
    assert_eq!(
        changes(HistoryFilter {
            site: s("south"),
            ..d()
        })
        .await,
        [3, 6]
    );
    assert_eq!(
        changes(HistoryFilter {
            agent: s("a1"),
            rule_id: s("TLS-002"),
            ..d()
        })
        .await,
        [1, 5]
    );
    assert_eq!(
        changes(HistoryFilter {
            target: s("10.0.0.5:443"),
            ..d()
        })
        .await,
        [1, 2, 3, 4]
    );
    assert_eq!(
        changes(HistoryFilter {
            since: Some(now - 5 * DAY),
            ..d()
        })
        .await,
        [4, 5, 6]
    );
    assert_eq!(
        changes(HistoryFilter {
            until: Some(now - 5 * DAY),
            ..d()
        })
        .await,
        [1, 2, 3]
    );
    assert_eq!(
        changes(HistoryFilter {
            after: Some(Cursor::Id(4)),
            limit: Some(1),
            ..d()
        })
        .await,
        [5]
    );
    let all = store.changes(d()).await.unwrap();
    assert_eq!(
        (all[0].from_status.as_deref(), all[0].to_status.as_str()),
        (None, "fail")
    );
    assert_eq!(
        (all[4].from_status.as_deref(), all[4].to_status.as_str()),
        (Some("fail"), "absent")
    );
    assert_eq!(all[3].at.unix_timestamp(), now - 5 * DAY);

    let summaries = |filter: HistoryFilter| async move {
        store
            .summaries(filter)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.report_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(summaries(d()).await, [1, 2, 3, 4]);
    assert_eq!(
        summaries(HistoryFilter {
            site: s("north"),
            ..d()
        })
        .await,
        [1, 3, 4]
    );
    assert_eq!(
        summaries(HistoryFilter {
            agent: s("a2"),
            ..d()
        })
        .await,
        [2]
    );
    assert_eq!(
        summaries(HistoryFilter {
            since: Some(now - 2 * DAY),
            ..d()
        })
        .await,
        [2, 3, 4]
    );
    assert_eq!(
        summaries(HistoryFilter {
            until: Some(now - 2 * DAY),
            ..d()
        })
        .await,
        [1]
    );
    assert_eq!(
        summaries(HistoryFilter {
            after: Some(Cursor::Id(2)),
            ..d()
        })
        .await,
        [3, 4]
    );
    let first = &store.summaries(d()).await.unwrap()[0];
    assert_eq!(
        (first.targets, first.fail, first.fail_high, first.fail_low),
        (3, 4, 2, 1)
    );
    assert!(store
        .summaries(HistoryFilter {
            after: Some(Cursor::Name("x".into())),
            ..d()
        })
        .await
        .is_err());
}

async fn aggregates_before_exceptions(store: &Store, now: i64) {
    let agg = store.aggregates(now - 7 * DAY).await.unwrap();
    let findings = |site: &str, sev: &str, status: &str| {
        agg.findings
            .iter()
            .find(|c| c.site == site && c.severity == sev && c.status == status)
            .map_or(0, |c| c.count)
    };
    assert_eq!(findings("north", "high", "fail"), 3);
    assert_eq!(findings("north", "medium", "fail"), 1);
    assert_eq!(findings("south", "high", "error"), 1);
    let failing = |site: &str, rule: &str| {
        agg.failing
            .iter()
            .find(|f| f.site == site && f.rule_id == rule)
            .map_or(0, |f| f.targets)
    };
    assert_eq!(
        (
            failing("north", "TLS-002"),
            failing("south", "TLS-002"),
            failing("north", "SSH-001")
        ),
        (3, 1, 1)
    );
    let north = agg.agents.iter().find(|a| a.site == "north").unwrap();
    assert_eq!(
        (
            north.active,
            north.stale,
            north.revoked,
            north.stale_excepted
        ),
        (1, 1, 1, 0)
    );
    assert_eq!(north.oldest_contact, Some(now - 30 * DAY));
    let south = agg.agents.iter().find(|a| a.site == "south").unwrap();
    assert_eq!((south.active, south.oldest_contact), (1, Some(now - 200)));
    assert_eq!(agg.expiry.len(), 1);
    assert_eq!(agg.expiry[0].earliest, now + 20 * DAY);
    let pass_fail: i64 = agg.controls.iter().map(|g| g.count).sum();
    assert_eq!(pass_fail, 8);
    assert!(agg.accepted_risk.is_empty() && agg.exceptions.is_empty());
}
