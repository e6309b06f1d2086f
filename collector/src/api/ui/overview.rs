//! `/ui/`: the estate at a glance, from the same grouped counts the
//! Prometheus exposition reads (`Store::aggregates`), so the page costs a
//! few hundred rows however large the estate.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use time::OffsetDateTime;
use trustwatch_rules::Catalogue;

use super::page::{self, escape, query, relative, severity, table, Nav};
use super::{ApiState, Caller};
use crate::store::Aggregates;

/// Certificates expiring sooner than this are shown in red.
const SOON_DAYS: i64 = 30;
const TOP_RULES: usize = 10;
const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

/// One site's line.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Site {
    /// Failing findings by [`SEVERITIES`], live exceptions included.
    pub failing: [i64; 5],
    pub accepted: i64,
    pub pass: i64,
    pub error: i64,
    pub active: i64,
    pub stale: i64,
    pub revoked: i64,
    pub earliest_expiry: Option<i64>,
}

pub(super) async fn page(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let agg = match state.store.aggregates(state.stale_before()).await {
        Ok(a) => a,
        Err(e) => return page::store_failed(e, "overview", &caller.0),
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let body = render(&agg, &state.catalogue, now);
    page::html(
        StatusCode::OK,
        page::document("Estate overview", Some(&caller.0), Nav::Overview, &body),
    )
}

/// The sites, by name.
pub(super) fn sites(agg: &Aggregates) -> BTreeMap<String, Site> {
    let mut sites: BTreeMap<String, Site> = BTreeMap::new();
    for f in &agg.findings {
        let s = sites.entry(f.site.clone()).or_default();
        match f.status.as_str() {
            "fail" => {
                if let Some(i) = SEVERITIES.iter().position(|v| *v == f.severity) {
                    s.failing[i] += f.count;
                }
            }
            "pass" => s.pass += f.count,
            "error" => s.error += f.count,
            _ => {}
        }
    }
    for a in &agg.accepted_risk {
        sites.entry(a.site.clone()).or_default().accepted += a.count;
    }
    for a in &agg.agents {
        let s = sites.entry(a.site.clone()).or_default();
        s.active += a.active;
        s.stale += a.stale;
        s.revoked += a.revoked;
    }
    for e in &agg.expiry {
        let s = sites.entry(e.site.clone()).or_default();
        s.earliest_expiry = Some(s.earliest_expiry.map_or(e.earliest, |x| x.min(e.earliest)));
    }
    sites
}

/// The rules failing on most targets (live exceptions excluded), the more
/// severe first among equals.
pub(super) fn top_rules(agg: &Aggregates, catalogue: &Catalogue) -> Vec<(String, i64)> {
    let mut by_rule: BTreeMap<&str, i64> = BTreeMap::new();
    for f in &agg.failing {
        *by_rule.entry(&f.rule_id).or_default() += f.targets;
    }
    let mut rules: Vec<(String, i64)> = by_rule
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| (r.to_owned(), n))
        .collect();
    let severity = |id: &str| catalogue.rule(id).map(|r| r.severity);
    rules.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| severity(&b.0).cmp(&severity(&a.0)))
            .then_with(|| a.0.cmp(&b.0))
    });
    rules.truncate(TOP_RULES);
    rules
}

fn expiry(at: Option<i64>, now: i64) -> String {
    match at {
        None => r#"<span class="muted">none seen</span>"#.to_owned(),
        Some(t) => {
            let class = if t - now < SOON_DAYS * 86_400 {
                " class=\"soon\""
            } else {
                ""
            };
            format!(
                "<span{class}>{} ({})</span>",
                page::day(t),
                relative(t, now)
            )
        }
    }
}

fn num(n: i64, class: &str) -> String {
    if n == 0 {
        r#"<td class="num zero">0</td>"#.to_owned()
    } else {
        format!(r#"<td class="num {class}">{n}</td>"#)
    }
}

pub(super) fn render(agg: &Aggregates, catalogue: &Catalogue, now: i64) -> String {
    let sites = sites(agg);
    let total = |f: fn(&Site) -> i64| sites.values().map(f).sum::<i64>();
    let serious = total(|s| s.failing[0] + s.failing[1]);
    let failing = total(|s| s.failing.iter().sum());
    let accepted = total(|s| s.accepted);
    let stale = total(|s| s.stale);
    let active = total(|s| s.active);
    let earliest = sites.values().filter_map(|s| s.earliest_expiry).min();
    let tone = |bad: bool| if bad { "bad" } else { "good" };
    let cards = format!(
        r#"<div class="cards">
<div class="card {}"><div class="n">{serious}</div><div class="l">critical or high findings failing</div></div>
<div class="card {}"><div class="n">{failing}</div><div class="l">failing findings in all ({accepted} accepted risk)</div></div>
<div class="card good"><div class="n">{active}</div><div class="l">agents reporting</div></div>
<div class="card {}"><div class="n">{stale}</div><div class="l">agents gone silent (stale)</div></div>
<div class="card {}"><div class="n">{}</div><div class="l">earliest certificate expiry</div></div>
</div>"#,
        tone(serious > 0),
        if failing > 0 { "warn" } else { "good" },
        if stale > 0 { "warn" } else { "good" },
        tone(earliest.is_some_and(|t| t - now < SOON_DAYS * 86_400)),
        earliest.map_or("none".to_owned(), page::day),
    );

    let site_rows: Vec<String> = sites
        .iter()
        .map(|(name, s)| {
            let q = query(&[("site", name.as_str()), ("status", "fail")]);
            format!(
                r#"<tr><td><b>{}</b></td>{}{}{}{}{}{}{}{}<td class="num">{} / {} / {}</td><td>{}</td><td><a href="/ui/findings{q}">Failing findings</a> · <a href="/ui/reports/board{}">Board report</a></td></tr>"#,
                escape(name),
                num(s.failing[0], "cell-critical"),
                num(s.failing[1], "cell-high"),
                num(s.failing[2], ""),
                num(s.failing[3], ""),
                num(s.failing[4], ""),
                num(s.accepted, ""),
                num(s.error, ""),
                num(s.pass, ""),
                s.active,
                s.stale,
                s.revoked,
                expiry(s.earliest_expiry, now),
                query(&[("site", name.as_str())]),
            )
        })
        .collect();
    let site_table = table(
        &[
            "Site",
            "#Critical",
            "#High",
            "#Medium",
            "#Low",
            "#Info",
            "#Accepted risk",
            "#Errors",
            "#Passing",
            "#Agents active / stale / revoked",
            "Earliest certificate expiry",
            "",
        ],
        &site_rows,
        "No agent has reported yet. Enrol an agent and its first scan will appear here.",
    );

    let rule_rows: Vec<String> = top_rules(agg, catalogue)
        .iter()
        .map(|(rule_id, targets)| {
            let (title, sev) = catalogue
                .rule(rule_id)
                .map(|r| (r.title.as_str(), r.severity.as_str()))
                .unwrap_or(("(not in this collector's catalogue)", "info"));
            format!(
                r#"<tr><td>{}</td><td><a class="id" href="/ui/findings{}">{}</a></td><td>{}</td><td class="num">{targets}</td></tr>"#,
                severity(sev),
                query(&[("rule_id", rule_id.as_str()), ("status", "fail")]),
                escape(rule_id),
                escape(title),
            )
        })
        .collect();
    let rule_table = table(
        &["Severity", "Rule", "What fails", "#Targets failing"],
        &rule_rows,
        "No rule is failing anywhere (accepted risks aside).",
    );

    let mut by_state: BTreeMap<&str, i64> = BTreeMap::new();
    for e in &agg.exceptions {
        *by_state.entry(e.state.as_str()).or_default() += e.count;
    }
    let count = |s: &str| by_state.get(s).copied().unwrap_or(0);
    let exceptions = if by_state.is_empty() {
        r#"<p class="empty">No exceptions (accepted risks) are recorded.</p>"#.to_owned()
    } else {
        format!(
            r#"<p class="notice">Active exceptions: <b>{}</b>, covering <b>{accepted}</b> failing {}. Expired: {}. Withdrawn: {}. Exceptions are recorded with <code>trustwatch-collector exception add</code> or the API, and listed in the board report's register.</p>"#,
            count("active"),
            if accepted == 1 { "finding" } else { "findings" },
            count("expired"),
            count("withdrawn"),
        )
    };

    format!(
        r#"<h1>Estate overview</h1>
<p class="sub">Current posture of every site, from the latest report of each agent. Failing counts include findings under an accepted risk, which are also shown on their own.</p>
{cards}
<h2>Sites</h2>
{site_table}
<div class="two"><div><h2>Top failing rules</h2>{rule_table}</div>
<div><h2>Exceptions</h2>{exceptions}</div></div>"#
    )
}

#[cfg(test)]
mod tests;
