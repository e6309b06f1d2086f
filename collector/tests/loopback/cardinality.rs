//! Bounded cardinality: the number of series in /metrics depends on sites
//! and rules, never on how many agents, hosts or targets there are.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use trustwatch_collector::store::{Actor, NewException};

use crate::promtool::promtool_check;
use crate::support::{http_get, seed, Harness};

const SITES: [&str; 3] = ["north", "south", "east"];

/// `m` targets of agent `i`, each with the same rules and results.
fn estate_report(i: usize, m: usize) -> Value {
    let mut findings = Vec::new();
    for t in 0..m {
        let target = format!("10.{}.{}.{t}:443", i / 250, i % 250);
        let f = |rule: &str, severity: &str, status: &str, evidence: Value| {
            json!({
                "rule_id": rule, "title": rule, "severity": severity, "status": status,
                "target": target, "summary": "s", "evidence": evidence,
                "controls": ["CAF:B4.b", "NCSC-TLS"], "remediation": "r",
            })
        };
        findings.push(f("TLS-001", "critical", "pass", json!({})));
        findings.push(f("TLS-002", "high", "fail", json!({})));
        findings.push(f(
            "CERT-001",
            "critical",
            if t == 0 { "fail" } else { "pass" },
            json!({ "not_after": format!("2026-0{}-01T00:00:00Z", 1 + t % 9) }),
        ));
        findings.push(f(
            "TLS-003",
            "high",
            if t == 1 { "error" } else { "pass" },
            json!({}),
        ));
    }
    json!({
        "schema_version": trustwatch_rules::SCHEMA_VERSION,
        "scanned_at": "2026-03-01T12:00:00Z",
        "baseline": { "id": "trustwatch-nhs-baseline", "version": "2026.11.0" },
        "findings": findings,
    })
}

/// The series (sample lines) of a scrape after `n` agents × `m` targets,
/// with a stale and a revoked agent and an exception at every site.
async fn scrape_after(n: usize, m: usize) -> (Vec<String>, String) {
    let h = Harness::start(8 << 20).await;
    for i in 0..n {
        let name = format!("agent-{i:04}");
        seed(
            &h,
            h.agent_client(&name, SITES[i % 3]),
            &name,
            1,
            estate_report(i, m),
        )
        .await;
    }
    let month_ago = time::OffsetDateTime::now_utc().unix_timestamp() - 30 * 86_400;
    for i in 0..3 {
        h.db()
            .execute(
                "UPDATE agents SET last_seen = ?1, last_contact = ?1 WHERE name = ?2",
                rusqlite::params![month_ago, format!("agent-{i:04}")],
            )
            .unwrap();
        h.store
            .revoke_agent(
                &format!("agent-{:04}", i + 3),
                Some("test"),
                &Actor::system("test"),
            )
            .await
            .unwrap();
    }
    let today = time::OffsetDateTime::now_utc().date();
    for (rule, target) in [("TLS-002", "10.0.0.0:443"), ("PATCH-006", "agent-0000")] {
        h.store
            .add_exception(
                &NewException {
                    site: None,
                    rule_id: rule.into(),
                    target: target.into(),
                    owner: "o".into(),
                    siro_accepted_on: today,
                    compensating_control: "c".into(),
                    reason: "r".into(),
                    expires_on: today.next_day().unwrap(),
                },
                &Actor::system("test"),
            )
            .await
            .unwrap();
    }
    let (status, text) = http_get(h.http, "/metrics").await;
    assert_eq!(status, hyper::StatusCode::OK);
    h.stop().await;
    let series = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.rsplit_once(' ').map_or(l, |(s, _)| s).to_owned())
        .collect();
    (series, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_stay_the_same_from_10_to_200_agents() {
    let (small, small_text) = scrape_after(10, 3).await;
    let (large, large_text) = scrape_after(200, 5).await;
    for text in [&small_text, &large_text] {
        let (ok, lint) = promtool_check(text);
        assert!(
            ok && lint.trim().is_empty(),
            "promtool:\n{lint}\n---\n{text}"
        );
        // No host, target or agent name in any label.
        for needle in ["10.0.", "agent-0"] {
            assert!(!text.contains(needle), "{needle} leaked into a label");
        }
    }
    let a: BTreeSet<&String> = small.iter().collect();
    let b: BTreeSet<&String> = large.iter().collect();
    assert_eq!(a, b, "series differ between 10 and 200 agents");
    assert_eq!(small.len(), large.len());
    // The coverage judgement is there at both sizes: per site one stale
    // agent (north's under an exception), one revoked.
    let v = |text: &str, series: &str| {
        text.lines().find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .parse::<f64>()
                .ok()
        })
    };
    for text in [&small_text, &large_text] {
        assert_eq!(
            v(text, r#"trustwatch_agents{site="south",state="stale"}"#),
            Some(1.0)
        );
        assert_eq!(
            v(text, r#"trustwatch_agents{site="east",state="revoked"}"#),
            Some(1.0)
        );
        assert_eq!(
            v(
                text,
                r#"trustwatch_rule_failing_targets{rule_id="PATCH-006",site="south"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            v(
                text,
                r#"trustwatch_rule_failing_targets{rule_id="PATCH-006",site="north"}"#
            ),
            None
        );
        assert_eq!(
            v(
                text,
                r#"trustwatch_findings_accepted_risk{severity="medium",site="north"}"#
            ),
            Some(1.0)
        );
    }
    assert_eq!(
        v(
            &large_text,
            r#"trustwatch_agents{site="north",state="active"}"#
        ),
        Some(65.0)
    );
    eprintln!(
        "{} series at 10 agents x 3 targets and at 200 agents x 5 targets",
        small.len()
    );
}
