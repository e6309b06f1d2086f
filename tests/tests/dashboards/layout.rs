//! Every dashboard is complete: a title, a description and a unit on every
//! panel, the `datasource` and `$site` variables, and every selector of a
//! metric with a `site` label filtered by `$site`.

use std::collections::BTreeSet;

use serde_json::Value;
use trustwatch_e2e::grafana::{self, Dashboard};

/// The dashboards the project ships (issue 8), by file.
const DASHBOARDS: [&str; 6] = [
    "agent-health.json",
    "email-dns.json",
    "estate-overview.json",
    "exposed-services.json",
    "patching.json",
    "tls-certificates.json",
];

/// Metrics with a `site` label: every panel selecting one must honour `$site`.
const SITE_METRICS: [&str; 8] = [
    "trustwatch_findings",
    "trustwatch_rule_failing_targets",
    "trustwatch_compliance_ratio",
    "trustwatch_agents",
    "trustwatch_agent_last_contact_oldest_timestamp_seconds",
    "trustwatch_findings_accepted_risk",
    "trustwatch_exceptions",
    "trustwatch_certificate_expiry_earliest_timestamp_seconds",
];

/// Selectors (`{…}`) that follow a whole-word `metric` in `expr`; a bare
/// name without a selector yields an empty one.
fn selectors<'a>(expr: &'a str, metric: &str) -> Vec<&'a str> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = expr[from..].find(metric) {
        let start = from + i;
        let end = start + metric.len();
        from = end;
        let before = expr[..start].chars().last();
        let after = expr[end..].chars().next();
        if before.is_some_and(is_ident) || after.is_some_and(is_ident) {
            continue;
        }
        out.push(match expr[end..].strip_prefix('{') {
            Some(rest) => &rest[..rest.find('}').unwrap_or(rest.len())],
            None => "",
        });
    }
    out
}

fn check_variables(board: &Dashboard, problems: &mut Vec<String>) {
    let vars = board.json["templating"]["list"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let var = |name: &str| vars.iter().find(|v| v["name"] == name).cloned();
    match var("datasource") {
        Some(v) if v["type"] == "datasource" && v["query"] == "prometheus" => {}
        other => problems.push(format!(
            "{}: no Prometheus `datasource` variable: {other:?}",
            board.file
        )),
    }
    match var("site") {
        Some(v)
            if v["definition"]
                .as_str()
                .is_some_and(|d| d.starts_with("label_values(trustwatch_"))
                && v["includeAll"] == true
                && v["allValue"] == ".*" => {}
        other => problems.push(format!(
            "{}: no `site` variable from label_values(…) with All = .*: {other:?}",
            board.file
        )),
    }
}

fn check_panel(
    board: &Dashboard,
    panel: &Value,
    ids: &mut BTreeSet<i64>,
    problems: &mut Vec<String>,
) {
    let title = panel["title"].as_str().unwrap_or_default();
    let at = format!("{} / \"{title}\"", board.file);
    if title.trim().is_empty() {
        problems.push(format!("{at}: a panel without a title"));
    }
    if !panel["id"].as_i64().is_some_and(|id| ids.insert(id)) {
        problems.push(format!("{at}: missing or duplicate panel id"));
    }
    let pos = &panel["gridPos"];
    let (x, w) = (
        pos["x"].as_i64().unwrap_or(-1),
        pos["w"].as_i64().unwrap_or(0),
    );
    if x < 0 || w < 1 || x + w > 24 || pos["h"].as_i64().unwrap_or(0) < 1 {
        problems.push(format!("{at}: gridPos {pos} is off the 24-column grid"));
    }
    if panel["type"] == "row" {
        return;
    }
    if panel["description"]
        .as_str()
        .is_none_or(|d| d.trim().len() < 20)
    {
        problems.push(format!("{at}: no description of what it shows"));
    }
    if panel["fieldConfig"]["defaults"]["unit"]
        .as_str()
        .is_none_or(|u| u.is_empty())
    {
        problems.push(format!("{at}: no unit"));
    }
    let targets = panel["targets"].as_array().cloned().unwrap_or_default();
    if targets.is_empty() {
        problems.push(format!("{at}: no targets"));
    }
    for ds in std::iter::once(&panel["datasource"]).chain(targets.iter().map(|t| &t["datasource"]))
    {
        if ds["uid"] != "${datasource}" {
            problems.push(format!(
                "{at}: datasource {ds} is not the ${{datasource}} variable"
            ));
        }
    }
    for t in &targets {
        let expr = t["expr"].as_str().unwrap_or_default();
        for metric in SITE_METRICS {
            for sel in selectors(expr, metric) {
                if !sel.contains("site=~\"$site") {
                    problems.push(format!("{at}: {metric} not filtered by $site in {expr}"));
                }
            }
        }
    }
}

#[test]
fn every_dashboard_panel_has_a_title_description_unit_and_the_site_filter() {
    let boards = grafana::dashboards();
    let files: Vec<&str> = boards.iter().map(|b| b.file.as_str()).collect();
    assert_eq!(files, DASHBOARDS);
    let mut problems = Vec::new();
    let mut uids = BTreeSet::new();
    let mut panels = 0;
    for board in &boards {
        if board.json["schemaVersion"].as_i64().is_none_or(|v| v < 36) {
            problems.push(format!(
                "{}: schemaVersion older than Grafana 9",
                board.file
            ));
        }
        if board.title().is_empty() || board.json["description"].as_str().is_none_or(str::is_empty)
        {
            problems.push(format!("{}: no title or description", board.file));
        }
        if !board.json["uid"]
            .as_str()
            .is_some_and(|u| uids.insert(u.to_owned()))
        {
            problems.push(format!("{}: missing or duplicate uid", board.file));
        }
        check_variables(board, &mut problems);
        let mut ids = BTreeSet::new();
        for panel in board.panels() {
            check_panel(board, panel, &mut ids, &mut problems);
            panels += usize::from(panel["type"] != "row");
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(panels >= 50, "only {panels} panels");
}

#[test]
fn site_filter_check_finds_selectors_of_whole_metric_names() {
    let expr = r#"sum(trustwatch_findings{site=~"$site"}) + trustwatch_findings_accepted_risk{x="1"} + trustwatch_findings"#;
    assert_eq!(
        selectors(expr, "trustwatch_findings"),
        [r#"site=~"$site""#, ""]
    );
    assert_eq!(
        selectors(expr, "trustwatch_findings_accepted_risk"),
        [r#"x="1""#]
    );
}
