//! `/ui/hosts/{host}`: every current finding of one host with its
//! evidence, the recent history of its targets, and the agents that
//! observe it.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use time::OffsetDateTime;

use super::page::{self, escape, query, severity, status, table, Nav};
use super::{ApiState, Caller};
use trustwatch_rules::Status;

use crate::store::{
    AgentRow, AgentState, ChangeRow, FindingFilter, FindingRow, HistoryFilter, MAX_FINDINGS_LIMIT,
};

/// History shown: this far back, at most this many changes, over at most
/// this many of the host's targets (one query each).
const HISTORY_DAYS: i64 = 90;
const HISTORY_ROWS: usize = 100;
const HISTORY_TARGETS: usize = 32;

pub(super) async fn page(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    Path(host): Path<String>,
) -> Response {
    let who = &caller.0;
    let mut findings = match state
        .store
        .findings(FindingFilter {
            host: Some(host.clone()),
            limit: Some(MAX_FINDINGS_LIMIT),
            ..FindingFilter::default()
        })
        .await
    {
        Ok(rows) => rows,
        Err(e) => return page::store_failed(e, "host's findings", who),
    };
    if findings.is_empty() {
        return page::problem(
            StatusCode::NOT_FOUND,
            "Unknown host",
            &format!("no current finding names the host `{host}`"),
            Some(who),
        );
    }
    // What needs fixing first: failures, the most severe at the top.
    findings.sort_by_key(|f| (f.status != Status::Fail, std::cmp::Reverse(f.severity)));
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let targets: BTreeSet<&str> = findings.iter().map(|f| f.target.as_str()).collect();
    let mut changes = Vec::new();
    for target in targets.iter().take(HISTORY_TARGETS) {
        let filter = HistoryFilter {
            target: Some((*target).to_owned()),
            since: Some(now - HISTORY_DAYS * 86_400),
            limit: Some(MAX_FINDINGS_LIMIT),
            ..HistoryFilter::default()
        };
        match state.store.changes(filter).await {
            Ok(rows) => changes.extend(rows),
            Err(e) => return page::store_failed(e, "host's history", who),
        }
    }
    changes.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
    changes.truncate(HISTORY_ROWS);
    let names: BTreeSet<&str> = findings.iter().map(|f| f.agent.as_str()).collect();
    let agents: Vec<AgentRow> = match state.store.agents().await {
        Ok(all) => all
            .into_iter()
            .filter(|a| names.contains(a.name.as_str()))
            .collect(),
        Err(e) => return page::store_failed(e, "agents list", who),
    };
    let body = render(&host, &findings, &changes, &agents, now);
    page::html(
        StatusCode::OK,
        page::document(&format!("Host {host}"), Some(who), Nav::Findings, &body),
    )
}

fn finding(f: &FindingRow) -> String {
    let shown = if f.reported_status == "accepted_risk" {
        "accepted_risk"
    } else {
        f.status.as_str()
    };
    let evidence = serde_json::to_string_pretty(&f.evidence).unwrap_or_default();
    let exception = f
        .exception
        .as_ref()
        .map(|x| {
            format!(
                r#"<br><span class="muted">Accepted risk #{}: owner {}, until {}; control: {}</span>"#,
                x.id,
                escape(&x.owner),
                escape(&x.expires),
                escape(&x.compensating_control)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<tr><td>{}</td><td>{}</td><td><b>{}</b> {}<br><span class="muted">{}</span></td><td>{}</td><td>{}{exception}<details><summary>Evidence</summary><pre>{}</pre></details></td><td>{}</td><td>{}</td></tr>"#,
        severity(f.severity.as_str()),
        status(shown),
        escape(&f.rule_id),
        escape(&f.title),
        escape(&f.controls.join(", ")),
        escape(&f.target),
        escape(&f.summary),
        escape(&evidence),
        escape(&f.agent),
        page::when(f.last_seen),
    )
}

fn change(c: &ChangeRow) -> String {
    let from = c
        .from_status
        .as_deref()
        .map(status)
        .unwrap_or_else(|| r#"<span class="muted">first seen</span>"#.to_owned());
    format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{from} → {}</td><td>{}</td></tr>",
        page::when(c.at),
        escape(&c.target),
        escape(&c.rule_id),
        status(&c.to_status),
        escape(&c.agent),
    )
}

fn agent(a: &AgentRow, now: i64) -> String {
    let cert = a
        .cert_not_after
        .map(|t| {
            format!(
                "{} ({})",
                page::day(t.unix_timestamp()),
                page::relative(t.unix_timestamp(), now)
            )
        })
        .unwrap_or_default();
    let state = match a.state {
        AgentState::Active => page::badge("st-pass", "Active"),
        AgentState::Stale => page::badge("st-error", "Stale"),
        AgentState::Revoked => page::badge("st-fail", "Revoked"),
    };
    format!(
        "<tr><td>{}</td><td>{}</td><td>{state}</td><td>{}</td><td>{cert}</td></tr>",
        escape(&a.name),
        escape(&a.site),
        page::when(a.last_contact),
    )
}

pub(super) fn render(
    host: &str,
    findings: &[FindingRow],
    changes: &[ChangeRow],
    agents: &[AgentRow],
    now: i64,
) -> String {
    let failing = findings.iter().filter(|f| f.status == Status::Fail).count();
    let rows: Vec<String> = findings.iter().map(finding).collect();
    let history: Vec<String> = changes.iter().map(change).collect();
    let agent_rows: Vec<String> = agents.iter().map(|a| agent(a, now)).collect();
    format!(
        r#"<h1>Host {}</h1>
<p class="sub">{} current findings, {failing} failing. <a href="/ui/findings{}">Open in the findings list</a></p>
<h2>Current findings</h2>
{}
<h2>History of changes (last {HISTORY_DAYS} days, newest first)</h2>
{}
<h2>Agents that observe this host</h2>
{}"#,
        escape(host),
        findings.len(),
        query(&[("host", host)]),
        table(
            &[
                "Severity",
                "Status",
                "Rule and controls",
                "Target",
                "Summary and evidence",
                "Agent",
                "Last seen"
            ],
            &rows,
            "No current findings.",
        ),
        table(
            &["When", "Target", "Rule", "Change", "Agent"],
            &history,
            "No status changes in this period.",
        ),
        table(
            &[
                "Agent",
                "Site",
                "State",
                "Last contact",
                "Certificate expires"
            ],
            &agent_rows,
            "No agent record was found.",
        ),
    )
}
