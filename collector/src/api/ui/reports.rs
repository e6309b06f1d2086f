//! `/ui/reports`: the board report, built on demand for the estate or a
//! site, and how to make the auditor's evidence pack. The pack is not a
//! download here: making one appends its manifest head to the store's
//! ledger, a write, and every web view page is a read.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Extension, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::page::{self, escape, query, table, Nav};
use super::{ApiState, Caller};
use crate::board::{self, BoardRequest};
use crate::error::Error;
use crate::store::Role;

const DEFAULT_PERIOD: &str = "90d";

pub(super) async fn index(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let who = &caller.0;
    let agg = match state.store.aggregates(state.stale_before()).await {
        Ok(a) => a,
        Err(e) => return page::store_failed(e, "site list", who),
    };
    let sites: BTreeSet<&str> = agg
        .findings
        .iter()
        .map(|f| f.site.as_str())
        .chain(agg.agents.iter().map(|a| a.site.as_str()))
        .collect();
    let link = |site: &str, label: &str| {
        format!(
            r#"<tr><td>{}</td><td><a href="/ui/reports/board{}">Board report, last 90 days</a> · <a href="/ui/reports/board{}">last 13 weeks</a> · <a href="/ui/reports/board{}">last year</a></td></tr>"#,
            escape(label),
            query(&[("site", site)]),
            query(&[("site", site), ("period", "13w")]),
            query(&[("site", site), ("period", "365d")]),
        )
    };
    let mut rows = vec![link("", "Whole estate")];
    rows.extend(sites.iter().map(|s| link(s, s)));
    let evidence = if matches!(who.role, Role::Auditor | Role::Admin) {
        r#"<h2>Evidence pack (auditors)</h2>
<p class="notice">The evidence pack is a zip with the scope, method, per-rule results mapped to CAF, Cyber Essentials and DSPT, the exceptions register and a hash manifest recorded in the collector's ledger. Recording it is a write, so it is made on the collector host, not here:<br>
<code>trustwatch-collector report evidence --config FILE [--site SITE] [--from YYYY-MM-DD] [--to YYYY-MM-DD] --out pack.zip</code><br>
and checked with <code>trustwatch-collector verify pack.zip --config FILE</code>.</p>"#
    } else {
        ""
    };
    let body = format!(
        r#"<h1>Reports</h1>
<p class="sub">The board report is one printable A4 page: CAF outcome ratings, six KPIs with their trend, the top risks and the exceptions register. It is built from the store when you open it; use the browser's Print to save a PDF.</p>
{}
{evidence}"#,
        table(&["Scope", "Board report"], &rows, ""),
    );
    page::html(
        StatusCode::OK,
        page::document("Reports", Some(who), Nav::Reports, &body),
    )
}

/// `?site=&period=`: the board page exactly as `report board` writes it.
pub(super) async fn board(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let who = &caller.0;
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let period_days = match board::parse_period(get("period").unwrap_or(DEFAULT_PERIOD)) {
        Ok(days) => days,
        Err(e) => {
            let message = e.to_string().replacen("--period", "period", 1);
            return page::problem(StatusCode::BAD_REQUEST, "Bad request", &message, Some(who));
        }
    };
    let request = BoardRequest {
        site: get("site").map(str::to_owned),
        period_days,
        as_of: OffsetDateTime::now_utc(),
    };
    match board::build(&state.store, &state.config, &state.catalogue, &request).await {
        Ok(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                // The board page carries its style and charts inline.
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'",
                ),
            ],
            html,
        )
            .into_response(),
        Err(Error::UnknownRecord { value, .. }) => page::problem(
            StatusCode::NOT_FOUND,
            "Unknown site",
            &format!("no agent or finding belongs to the site `{value}`"),
            Some(who),
        ),
        Err(e) => page::store_failed(e, "board report", who),
    }
}
