//! Agent → collector → Prometheus, with real binaries and real TLS servers:
//! an expired certificate reaches the aggregates, and the scrape passes
//! promtool's lint.

use serde_json::Value;
use trustwatch_e2e::lab::{Lab, SITE};
use trustwatch_e2e::{http, promtool, scrape};

#[test]
fn expired_certificate_failure_reaches_the_prometheus_aggregates() {
    let lab = Lab::start();
    let text = lab.collector.scrape();
    let samples = scrape::parse(&text);

    // Exactly one target (the expired server) fails CERT-001.
    assert_eq!(
        scrape::value(
            &samples,
            "trustwatch_rule_failing_targets",
            &[("site", SITE), ("rule_id", "CERT-001")]
        ),
        Some(1.0),
        "scrape:\n{text}"
    );
    let critical_failures = scrape::value(
        &samples,
        "trustwatch_findings",
        &[("site", SITE), ("severity", "critical"), ("status", "fail")],
    )
    .unwrap_or(0.0);
    assert!(critical_failures >= 1.0, "no critical failure in:\n{text}");
    assert_eq!(
        scrape::value(
            &samples,
            "trustwatch_agents",
            &[("site", SITE), ("state", "active")]
        ),
        Some(1.0)
    );
    assert!(
        scrape::value(&samples, "trustwatch_collector_reports_ingested_total", &[]).unwrap_or(0.0)
            >= 1.0
    );

    // The earliest expiry is the expired certificate's, about 5 days ago.
    let earliest = scrape::value(
        &samples,
        "trustwatch_certificate_expiry_earliest_timestamp_seconds",
        &[("site", SITE)],
    )
    .expect("certificate expiry gauge");
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as f64;
    let days = (now - earliest) / 86_400.0;
    assert!(
        (4.0..6.0).contains(&days),
        "earliest expiry {days} days ago"
    );

    // No per-host label anywhere: cardinality stays bounded.
    for s in &samples {
        for key in s.labels.keys() {
            assert!(
                !["target", "host", "instance_host", "agent"].contains(&key.as_str()),
                "per-host label {key} on {}",
                s.name
            );
        }
    }

    let (ok, out) = promtool::check_metrics(&text);
    assert!(ok, "promtool check metrics failed:\n{out}");
    assert!(out.trim().is_empty(), "promtool lint warnings:\n{out}");
}

#[test]
fn findings_api_shows_per_target_detail() {
    let lab = Lab::start();
    // The query API needs a token; the CLI makes one on the same store.
    let (status, body) =
        http::get(lab.collector.http, "/api/v1/findings?rule_id=CERT-001").expect("findings api");
    assert_eq!(status, 401, "{body}");
    let token = lab.collector.api_token("auditor");
    let get = |path: &str| {
        let (status, body) =
            http::get_with_token(lab.collector.http, path, Some(&token)).expect("findings api");
        assert_eq!(status, 200, "{body}");
        let page: Value = serde_json::from_str(&body).expect("findings JSON");
        assert_eq!(page["next_cursor"], Value::Null, "{body}");
        page["findings"].as_array().expect("findings array").clone()
    };
    let findings = get("/api/v1/findings?rule_id=CERT-001");
    assert_eq!(findings.len(), 2, "{findings:?}");
    let by_target = |addr: std::net::SocketAddr| {
        findings
            .iter()
            .find(|f| f["target"] == addr.to_string())
            .unwrap_or_else(|| panic!("no finding for {addr} in {findings:?}"))
    };
    assert_eq!(by_target(lab.good.addr)["status"], "pass");
    let expired = by_target(lab.expired.addr);
    assert_eq!(expired["status"], "fail");
    assert_eq!(expired["reported_status"], "fail");
    assert_eq!(expired["severity"], "critical");
    assert_eq!(expired["site"], SITE);
    assert_eq!(expired["host"], "127.0.0.1");
    assert!(expired["evidence"]["not_after"].is_string(), "{expired}");

    // A second cycle updates the current state rather than duplicating it.
    lab.run_agent_once();
    assert_eq!(get("/api/v1/findings?rule_id=CERT-001").len(), 2);
}
