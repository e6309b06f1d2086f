//! The dashboards and Prometheus rules use only metric names the collector
//! really exports, every dashboard is complete (titles, descriptions, units,
//! the site filter), and the rule files pass promtool's checks and unit
//! tests. `prometheus_e2e.rs` runs every panel against a real Prometheus.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use trustwatch_e2e::grafana;
use trustwatch_e2e::lab::Lab;
use trustwatch_e2e::process::{binary, run_bounded};
use trustwatch_e2e::{promtool, scrape};

#[path = "dashboards/layout.rs"]
mod layout;

fn dashboards() -> PathBuf {
    grafana::dashboards_dir()
}

/// Metric names in a PromQL expression: identifiers that start with
/// `trustwatch` or name Prometheus' own `up`.
fn metric_names(expr: &str, out: &mut BTreeSet<String>) {
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphabetic() || c == b'_' || c == b':' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b':')
            {
                i += 1;
            }
            let word = &expr[start..i];
            let prev = expr[..start].chars().last();
            // Skip label values ("…"), label names ({x=…}, by (x)) and the
            // right side of `$var`.
            let is_metric = word.contains("trustwatch") && prev != Some('"') && prev != Some('$');
            if is_metric || word == "up" {
                out.insert(word.to_owned());
            }
        } else {
            i += 1;
        }
    }
}

fn dashboard_exprs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("expr", Value::String(s)) | ("definition", Value::String(s)) => {
                        out.push(s.clone())
                    }
                    _ => dashboard_exprs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| dashboard_exprs(i, out)),
        _ => {}
    }
}

/// `expr:` and `record:` values of a rules file.
fn rule_lines(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(&format!("{key}:")))
        .map(|s| s.trim().to_owned())
        .collect()
}

#[test]
fn rule_files_pass_promtool_check_and_unit_tests() {
    let dir = dashboards();
    let (ok, out) = promtool::run(
        &dir,
        &[
            "check",
            "rules",
            "prometheus/alerts.yml",
            "prometheus/recording.yml",
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = promtool::run(&dir, &["test", "rules", "tests/alerts_test.yml"]);
    assert!(ok, "{out}");
}

#[test]
fn every_metric_used_by_dashboards_and_rules_is_in_a_real_scrape() {
    let dir = dashboards();
    let mut exprs = Vec::new();
    let boards = grafana::dashboards();
    assert!(!boards.is_empty());
    for board in &boards {
        dashboard_exprs(&board.json, &mut exprs);
    }
    let mut recorded = BTreeSet::new();
    for file in ["prometheus/alerts.yml", "prometheus/recording.yml"] {
        let text = fs::read_to_string(dir.join(file)).expect("rules file");
        exprs.extend(rule_lines(&text, "expr"));
        recorded.extend(rule_lines(&text, "record"));
    }
    let mut used = BTreeSet::new();
    for e in &exprs {
        metric_names(e, &mut used);
    }
    assert!(
        used.len() >= 8,
        "suspiciously few metric names found: {used:?}"
    );

    let lab = Lab::start();
    // An accepted risk, so the exceptions families have series too.
    accept_expired_certificate(&lab);
    let exported: BTreeSet<String> = scrape::parse(&lab.collector.scrape())
        .into_iter()
        .map(|s| s.name)
        .collect();
    let missing: Vec<&String> = used
        .iter()
        .filter(|n| !exported.contains(*n) && !recorded.contains(*n) && n.as_str() != "up")
        .collect();
    assert!(
        missing.is_empty(),
        "used by dashboards/rules but not exported: {missing:?}\nexported: {exported:?}"
    );
}

/// Adds a live exception for the lab's failing CERT-001 through the CLI.
fn accept_expired_certificate(lab: &Lab) {
    let today = time::OffsetDateTime::now_utc().date();
    let out = run_bounded(
        Command::new(binary("trustwatch-collector"))
            .args(["exception", "add", "--rule", "CERT-001", "--target", "*"])
            .args(["--site", trustwatch_e2e::lab::SITE, "--owner", "e2e"])
            .args(["--control", "none", "--reason", "test"])
            .arg("--siro-accepted")
            .arg(today.to_string())
            .arg("--expires")
            .arg((today + time::Duration::days(30)).to_string())
            .arg("--config")
            .arg(&lab.collector.config),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "exception add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn metric_name_extraction_skips_labels_and_values() {
    let mut names = BTreeSet::new();
    metric_names(
        r#"sum by (site) (trustwatch_findings{site=~"$site",status="fail"}) / up{job="trustwatch-collector"} + rate(trustwatch_x_total[5m])"#,
        &mut names,
    );
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(names, ["trustwatch_findings", "trustwatch_x_total", "up"]);
}
