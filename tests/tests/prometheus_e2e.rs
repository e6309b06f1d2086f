//! Every panel of every Grafana dashboard answers with data from a real
//! Prometheus scraping a real collector, and the alert rules fire on what
//! that collector exports.
//!
//! A collector takes a small two-site estate through its mutual-TLS ingest
//! (estate.rs); Debian's Prometheus scrapes it every second with the
//! project's rule files loaded. Then each panel target is queried as
//! Grafana would send it, once for "All" sites and once for one site, and
//! must return at least one series (without its `or vector(0)` fallback,
//! and without NaN), and the alerts the estate should raise must be
//! pending or firing, and no others.

#[path = "prometheus_e2e/estate.rs"]
mod estate;

use std::collections::BTreeSet;
use std::time::Duration;

use trustwatch_e2e::grafana::{dashboards, dashboards_dir, substitute};
use trustwatch_e2e::load::client::Outcome;
use trustwatch_e2e::process::Collector;
use trustwatch_e2e::prometheus::{Prometheus, JOB};
use trustwatch_rules::Catalogue;

/// "All" as Grafana sends it, and one seeded site.
const SITES: [&str; 2] = [".*", "north"];

#[test]
fn every_dashboard_panel_and_alert_answers_from_a_real_prometheus() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let catalogue = Catalogue::embedded().expect("embedded catalogue");
    let cdir = tmp.path().join("collector");
    std::fs::create_dir_all(&cdir).expect("collector dir");
    let collector = Collector::start(&cdir);
    let mint = estate::seed(&collector, &catalogue);

    let rules = dashboards_dir().join("prometheus");
    let prometheus = Prometheus::start(
        &tmp.path().join("prometheus"),
        collector.http,
        &[rules.join("alerts.yml"), rules.join("recording.yml")],
    );
    let up = format!("up{{job=\"{JOB}\"}} == 1");
    prometheus.wait_for(
        Duration::from_secs(60),
        "the collector target to be up",
        |p| p.query(&up).is_ok_and(|r| !r.series.is_empty()),
    );

    // Traffic while Prometheus watches, so the ingest rates and latency
    // quantiles have increases to show: a new report, and a malformed one.
    let outcome = estate::upload(
        &mint,
        collector.ingest,
        "north-web",
        "north",
        estate::report(&catalogue, "north-web", 2),
    );
    assert!(
        matches!(outcome, Outcome::Accepted { duplicate: false }),
        "second report: {outcome:?}"
    );
    let outcome = estate::upload(
        &mint,
        collector.ingest,
        "north-edge",
        "north",
        b"{\"schema_version\": ".to_vec(),
    );
    assert!(
        matches!(outcome, Outcome::Refused(400..=499, _)),
        "malformed report: {outcome:?}"
    );
    prometheus.wait_for(
        Duration::from_secs(30),
        "the new upload and the refusal to show in rates",
        |p| {
            [
                "sum(rate(trustwatch_collector_reports_ingested_total[1m])) > 0",
                "sum(rate(trustwatch_collector_reports_rejected_total{reason=\"malformed\"}[1m])) > 0",
            ]
            .iter()
            .all(|q| p.query(q).is_ok_and(|r| !r.series.is_empty()))
        },
    );

    // The site variable lists the seeded sites.
    let sites = prometheus
        .label_values("site", "trustwatch_agents")
        .expect("site label values");
    assert!(
        sites.contains(&"north".to_owned()) && sites.contains(&"south".to_owned()),
        "$site would offer {sites:?}"
    );

    let mut checked = 0;
    let mut problems = Vec::new();
    let boards = dashboards();
    assert!(
        boards.len() >= 6,
        "expected six dashboards, found {}",
        boards.len()
    );
    for board in &boards {
        let targets = board.targets();
        assert!(!targets.is_empty(), "{} has no panel targets", board.file);
        for (panel, expr) in &targets {
            for site in SITES {
                let query = substitute(expr, site);
                checked += 1;
                let problem = match prometheus.query(&query) {
                    Err(e) => Some(format!("failed: {e}")),
                    Ok(r) if r.series.is_empty() => Some("returned no series".to_owned()),
                    Ok(r) if r.series.iter().any(|(_, v)| v == "NaN") => {
                        Some(format!("returned NaN: {:?}", r.series))
                    }
                    Ok(_) => None,
                };
                if let Some(problem) = problem {
                    problems.push(format!(
                        "{} / \"{panel}\" (site {site}) {problem}\n    {query}",
                        board.file
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {checked} panel queries gave nothing to show:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(checked >= 100, "only {checked} panel queries checked");

    // The rule files loaded, every rule healthy.
    let groups = prometheus.rule_groups().expect("rule groups");
    let names: BTreeSet<&str> = groups.iter().map(|(g, _, _)| g.as_str()).collect();
    for expected in [
        "trustwatch-posture",
        "trustwatch-coverage",
        "trustwatch-collector",
        "trustwatch-rollups",
    ] {
        assert!(
            names.contains(expected),
            "rule group {expected} not loaded: {names:?}"
        );
    }
    assert!(
        groups.iter().all(|(_, _, healthy)| *healthy),
        "a rule failed to evaluate: {groups:?}\n{}",
        prometheus.log()
    );

    // The alerts this estate must raise (pending: their `for` has not run
    // out), as (alert, label, value).
    let expected: &[(&str, &str, &str)] = &[
        ("TrustwatchCriticalFindings", "site", "north"),
        ("TrustwatchCriticalFindings", "site", "south"),
        ("TrustwatchCriticalServiceExposed", "rule_id", "SVC-003"),
        ("TrustwatchCriticalServiceExposed", "rule_id", "SVC-008"),
        ("TrustwatchCriticalServiceExposed", "rule_id", "SVC-004"),
        ("TrustwatchCertificateExpiringSoon", "site", "north"),
        ("TrustwatchCertificateExpiryImminent", "site", "north"),
        ("TrustwatchAgentsSilent", "site", "north"),
        ("TrustwatchReportsRejected", "reason", "malformed"),
        // Both sites fail most of what they test: north by design, south
        // with SVC-004 as its only CE:FW finding.
        ("TrustwatchComplianceDropped", "site", "north"),
        ("TrustwatchComplianceDropped", "site", "south"),
    ];
    let raised = |p: &Prometheus| {
        let alerts = p.alerts().unwrap_or_default();
        expected
            .iter()
            .all(|(name, label, value)| alerts.iter().any(|a| a.is(name, label, value)))
    };
    prometheus.wait_for(Duration::from_secs(30), "the estate's alerts", raised);
    let alerts = prometheus.alerts().expect("alerts");
    let unexpected: Vec<String> = alerts
        .iter()
        .filter(|a| !expected.iter().any(|(n, l, v)| a.is(n, l, v)))
        .map(|a| format!("{} ({}) {:?}", a.name, a.state, a.labels))
        .collect();
    assert!(
        unexpected.is_empty(),
        "alerts this estate must not raise:\n{}",
        unexpected.join("\n")
    );
    eprintln!(
        "{checked} panel queries over {} dashboards answered; {} alerts raised as expected",
        boards.len(),
        alerts.len()
    );
}
