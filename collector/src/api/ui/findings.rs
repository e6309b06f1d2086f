//! `/ui/findings`: current findings with filters (a GET form, so a
//! filtered view is a link a person can share) in pages read by the same
//! keyset cursor as `/api/v1/findings`.

use std::sync::Arc;

use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use time::OffsetDateTime;
use trustwatch_rules::{Severity, Status};

use super::page::{self, escape, host_link, query, severity, status, table, Nav};
use super::{ApiState, Caller};
use crate::store::{Cursor, FindingFilter, FindingRow};

const PAGE: u32 = 50;
/// "Changed within" choices: (value, label, seconds).
const WITHIN: [(&str, &str, i64); 4] = [
    ("1d", "the last day", 86_400),
    ("7d", "the last 7 days", 7 * 86_400),
    ("30d", "the last 30 days", 30 * 86_400),
    ("90d", "the last 90 days", 90 * 86_400),
];

/// The form's fields as sent; an empty field is no filter.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Form {
    pub site: String,
    pub host: String,
    pub rule_id: String,
    pub severity: String,
    pub status: String,
    pub within: String,
    pub cursor: String,
}

impl Form {
    /// Known fields only; anything else (a bookmark from an older version)
    /// is ignored rather than refused, as a person cannot fix a URL easily.
    pub(super) fn from_pairs(pairs: &[(String, String)]) -> Form {
        let mut f = Form::default();
        for (k, v) in pairs {
            let v = v.trim().to_owned();
            match k.as_str() {
                "site" => f.site = v,
                "host" => f.host = v,
                "rule_id" => f.rule_id = v,
                "severity" => f.severity = v,
                "status" => f.status = v,
                "within" => f.within = v,
                "cursor" => f.cursor = v,
                _ => {}
            }
        }
        f
    }

    /// The store's filter, or one sentence naming the bad field.
    pub(super) fn filter(&self, now: i64) -> Result<FindingFilter, String> {
        let text = |name: &str, v: &str| -> Result<Option<String>, String> {
            match v.len() {
                0 => Ok(None),
                1..=256 => Ok(Some(v.to_owned())),
                _ => Err(format!("the {name} filter is longer than 256 characters")),
            }
        };
        let severity = match self.severity.as_str() {
            "" => None,
            s => Some(s.parse::<Severity>().map_err(|e| e.to_string())?),
        };
        let status = match self.status.as_str() {
            "" => None,
            s => Some(
                Status::ALL
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| {
                        format!("status `{s}` is not one of pass, fail, error, not_applicable")
                    })?,
            ),
        };
        let changed_since = match self.within.as_str() {
            "" => None,
            w => Some(
                WITHIN
                    .iter()
                    .find(|(v, _, _)| *v == w)
                    .map(|(_, _, secs)| now - secs)
                    .ok_or_else(|| format!("changed within `{w}` is not 1d, 7d, 30d or 90d"))?,
            ),
        };
        let after = match self.cursor.as_str() {
            "" => None,
            c => Some(Cursor::decode(c).ok_or("the page link is damaged; start again")?),
        };
        Ok(FindingFilter {
            site: text("site", &self.site)?,
            host: text("host", &self.host)?,
            rule_id: text("rule", &self.rule_id)?,
            severity,
            status,
            changed_since,
            after,
            limit: Some(PAGE + 1),
            ..FindingFilter::default()
        })
    }

    fn pairs(&self) -> [(&'static str, &str); 6] {
        [
            ("site", self.site.as_str()),
            ("host", self.host.as_str()),
            ("rule_id", self.rule_id.as_str()),
            ("severity", self.severity.as_str()),
            ("status", self.status.as_str()),
            ("within", self.within.as_str()),
        ]
    }
}

pub(super) async fn page(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let form = Form::from_pairs(&pairs);
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let mut filter = match form.filter(now) {
        Ok(f) => f,
        Err(message) => {
            let body = format!(
                r#"<h1>Findings</h1>{}<p class="notice bad">{}.</p>"#,
                controls(&form),
                escape(&message)
            );
            return page::html(
                StatusCode::BAD_REQUEST,
                page::document("Findings", Some(&caller.0), Nav::Findings, &body),
            );
        }
    };
    filter.coverage = state.coverage();
    let mut rows = match state.store.findings(filter).await {
        Ok(rows) => rows,
        Err(e) => return page::store_failed(e, "findings query", &caller.0),
    };
    let next = if rows.len() > PAGE as usize {
        rows.truncate(PAGE as usize);
        rows.last().map(|r| r.cursor().encode())
    } else {
        None
    };
    let body = render(&form, &rows, next.as_deref());
    page::html(
        StatusCode::OK,
        page::document("Findings", Some(&caller.0), Nav::Findings, &body),
    )
}

/// The filter form, showing the current choices.
fn controls(form: &Form) -> String {
    let input = |name: &str, label: &str, value: &str, hint: &str| {
        format!(
            r#"<label>{label}<input name="{name}" value="{}" placeholder="{hint}"></label>"#,
            escape(value)
        )
    };
    let select = |name: &str, label: &str, value: &str, options: &[(&str, &str)]| {
        let opts: String = std::iter::once(("", "any"))
            .chain(options.iter().copied())
            .map(|(v, text)| {
                let sel = if v == value { " selected" } else { "" };
                format!(r#"<option value="{v}"{sel}>{text}</option>"#)
            })
            .collect();
        format!(r#"<label>{label}<select name="{name}">{opts}</select></label>"#)
    };
    let severities: Vec<(&str, &str)> = Severity::ALL
        .iter()
        .rev()
        .map(|s| (s.as_str(), s.as_str()))
        .collect();
    let statuses = [
        ("fail", "fail"),
        ("error", "error"),
        ("pass", "pass"),
        ("not_applicable", "not applicable"),
    ];
    let within: Vec<(&str, &str)> = WITHIN.iter().map(|(v, l, _)| (*v, *l)).collect();
    format!(
        r#"<form class="filters" method="get" action="/ui/findings">{}{}{}{}{}{}<button type="submit">Filter</button> <a class="button plain" href="/ui/findings">Clear</a></form>"#,
        input("site", "Site", &form.site, "any site"),
        input("host", "Host", &form.host, "e.g. 10.0.0.5"),
        input("rule_id", "Rule", &form.rule_id, "e.g. TLS-001"),
        select("severity", "Severity", &form.severity, &severities),
        select("status", "Status", &form.status, &statuses),
        select("within", "Changed within", &form.within, &within),
    )
}

fn row(f: &FindingRow) -> String {
    let shown = if f.reported_status == "accepted_risk" {
        "accepted_risk"
    } else {
        f.status.as_str()
    };
    format!(
        r#"<tr><td>{}</td><td>{}</td><td><b>{}</b><br><span class="muted">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td class="when">{}</td><td>{}</td></tr>"#,
        severity(f.severity.as_str()),
        status(shown),
        escape(&f.rule_id),
        escape(&f.title),
        host_link(&f.host),
        escape(&f.target),
        escape(&f.site),
        page::when(f.last_seen),
        escape(&f.summary),
    )
}

pub(super) fn render(form: &Form, rows: &[FindingRow], next: Option<&str>) -> String {
    let rows_html: Vec<String> = rows.iter().map(row).collect();
    let filtered = form.pairs().iter().any(|(_, v)| !v.is_empty());
    let empty = if filtered {
        "No current finding matches these filters."
    } else {
        "No findings are stored yet."
    };
    let listing = table(
        &[
            "Severity",
            "Status",
            "Rule",
            "Host",
            "Target",
            "Site",
            "Last seen",
            "Summary",
        ],
        &rows_html,
        empty,
    );
    let first = if form.cursor.is_empty() {
        String::new()
    } else {
        format!(
            r#"<a href="/ui/findings{}">← First page</a>"#,
            query(&form.pairs())
        )
    };
    let next = next
        .map(|c| {
            let mut pairs = form.pairs().to_vec();
            pairs.push(("cursor", c));
            format!(r#"<a href="/ui/findings{}">Next page →</a>"#, query(&pairs))
        })
        .unwrap_or_default();
    format!(
        r#"<h1>Findings</h1>
<p class="sub">Current findings, {PAGE} to a page, by agent, target and rule. Agents silent too long appear as PATCH-006.</p>
{}
<p class="muted">{} shown on this page.</p>
{listing}
<div class="pager"><span>{first}</span><span>{next}</span></div>"#,
        controls(form),
        rows.len()
    )
}

#[cfg(test)]
mod tests;
