//! The page shell and the small pieces every page uses: escaping (the
//! board report's), links with encoded query strings, severity and status
//! shown as words on a colour, and times a person reads.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use time::macros::format_description;
use time::OffsetDateTime;

pub(super) use crate::board::html::escape;
use crate::store::ApiToken;

pub(super) const STYLE: &str = include_str!("style.css");
pub(super) const STYLE_PATH: &str = "/ui/style.css";

/// Which navigation entry is the current page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Nav {
    Overview,
    Findings,
    Reports,
    None,
}

/// A whole HTML document around `body`.
pub(super) fn document(title: &str, who: Option<&ApiToken>, nav: Nav, body: &str) -> String {
    let link = |n: Nav, href: &str, text: &str| {
        let current = if n == nav {
            r#" aria-current="page""#
        } else {
            ""
        };
        format!(r#"<a href="{href}"{current}>{text}</a>"#)
    };
    let menu = match who {
        Some(token) => format!(
            r#"<nav>{}{}{}</nav><div class="who">Signed in as <b>{}</b> ({}) · <a href="/ui/logout">Sign out</a></div>"#,
            link(Nav::Overview, "/ui/", "Overview"),
            link(Nav::Findings, "/ui/findings", "Findings"),
            link(Nav::Reports, "/ui/reports", "Reports"),
            escape(&token.name),
            token.role.as_str()
        ),
        None => String::new(),
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Trustwatch</title>
<link rel="stylesheet" href="{STYLE_PATH}"></head>
<body><header><a class="brand" href="/ui/">Trustwatch</a>{menu}</header>
<main>{body}</main>
<footer>Trustwatch {version} · read-only view; changes are made with the API or the CLI</footer>
</body></html>
"#,
        title = escape(title),
        version = env!("CARGO_PKG_VERSION"),
    )
}

/// A 200 HTML answer.
pub(super) fn html(status: StatusCode, document: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        document,
    )
        .into_response()
}

/// A page that says what went wrong in one sentence.
pub(super) fn problem(
    status: StatusCode,
    title: &str,
    message: &str,
    who: Option<&ApiToken>,
) -> Response {
    let body = format!(
        r#"<h1>{}</h1><p class="notice bad">{}</p><p><a href="/ui/">Back to the overview</a></p>"#,
        escape(title),
        escape(&sentence(message))
    );
    html(status, document(title, who, Nav::None, &body))
}

/// A store failure as a page: the caller's fault (a cursor from another
/// list) is a 400, anything else a logged 500.
pub(super) fn store_failed(e: crate::error::Error, what: &str, who: &ApiToken) -> Response {
    match e {
        crate::error::Error::InvalidArgument { .. } => problem(
            StatusCode::BAD_REQUEST,
            "Bad request",
            &e.to_string(),
            Some(who),
        ),
        e => {
            tracing::error!(error = %e, "web view {what} failed");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                &format!("the {what} could not be read; see the collector's log"),
                Some(who),
            )
        }
    }
}

/// Capitalised, with a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// `text` safe as one component of a URL path or query.
pub(super) fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `?k=v&…` from the pairs with a value, encoded; empty when none.
pub(super) fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// The link to a host's page.
pub(super) fn host_link(host: &str) -> String {
    format!(
        r#"<a href="/ui/hosts/{}">{}</a>"#,
        url_encode(host),
        escape(host)
    )
}

/// A severity as a word on its colour.
pub(super) fn severity(text: &str) -> String {
    let class = match text {
        "critical" | "high" | "medium" | "low" | "info" => text,
        _ => "other",
    };
    format!(
        r#"<span class="badge sev-{class}">{}</span>"#,
        escape(&capitalise(text))
    )
}

/// A status (or `accepted_risk`, or a history's `absent`) as a word on its
/// colour.
pub(super) fn status(text: &str) -> String {
    let (class, word) = match text {
        "pass" => ("pass", "Pass"),
        "fail" => ("fail", "Fail"),
        "error" => ("error", "Error"),
        "not_applicable" => ("na", "Not applicable"),
        "accepted_risk" => ("accepted", "Accepted risk"),
        "absent" => ("na", "No longer reported"),
        _ => ("na", text),
    };
    badge(&format!("st-{class}"), word)
}

/// `word` on the colour of `class`.
pub(super) fn badge(class: &str, word: &str) -> String {
    format!(r#"<span class="badge {class}">{}</span>"#, escape(word))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `2026-03-01 12:00 UTC`.
pub(super) fn when(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// `2026-03-01`.
pub(super) fn day(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| unix.to_string())
}

/// How far `unix` is from `now`, in words: `in 5 days`, `3 hours ago`.
pub(super) fn relative(unix: i64, now: i64) -> String {
    let delta = unix - now;
    let span = delta.unsigned_abs();
    let (n, unit) = if span < 3600 {
        (span / 60, "minute")
    } else if span < 2 * 86_400 {
        (span / 3600, "hour")
    } else {
        (span / 86_400, "day")
    };
    let plural = if n == 1 { "" } else { "s" };
    if delta >= 0 {
        format!("in {n} {unit}{plural}")
    } else {
        format!("{n} {unit}{plural} ago")
    }
}

/// A table, or a sentence in its place when there are no rows.
pub(super) fn table(head: &[&str], rows: &[String], empty: &str) -> String {
    if rows.is_empty() {
        return format!(r#"<p class="empty">{}</p>"#, escape(empty));
    }
    // A heading starting with `#` names a column of numbers, set right.
    let head: String = head
        .iter()
        .map(|h| match h.strip_prefix('#') {
            Some(h) => format!(r#"<th class="num">{h}</th>"#),
            None => format!("<th>{h}</th>"),
        })
        .collect();
    format!(
        "<table><thead><tr>{head}</tr></thead><tbody>{}</tbody></table>",
        rows.concat()
    )
}

#[cfg(test)]
mod tests;
