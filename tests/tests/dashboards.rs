//! The dashboards and Prometheus rules use only metric names the collector
//! really exports, and the rule files pass promtool's checks and unit tests.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use trustwatch_e2e::lab::Lab;
use trustwatch_e2e::{promtool, scrape};

fn dashboards() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dashboards")
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
    let mut dashboards_seen = 0;
    for entry in fs::read_dir(dir.join("grafana")).expect("dashboards/grafana") {
        let path = entry.expect("entry").path();
        let json: Value = serde_json::from_str(&fs::read_to_string(&path).expect("read dashboard"))
            .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()));
        dashboard_exprs(&json, &mut exprs);
        dashboards_seen += 1;
    }
    assert!(dashboards_seen >= 1);
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
