//! HTTP rules HTTP-001…HTTP-005 for an HTTPS endpoint: plain HTTP, HSTS
//! presence and strength, version disclosure, basic security headers.
//!
//! The headers judged are those of the response to `GET /` (redirects are
//! not followed), which is what a browser sees first.

pub mod headers;

use serde_json::{json, Value};

use self::headers::{
    csp_frame_ancestors, frame_options_effective, https_host, nosniff, parse_hsts, referrer_policy,
    version_tokens,
};
use crate::catalogue::{Catalogue, Rule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{HttpObservation, HttpResponse, HttpsOutcome, PlainHttp};

/// HTTP-003: one year, the gov.uk and preload-list minimum.
pub const MIN_HSTS_MAX_AGE: u64 = 31_536_000;
/// HTTP-001: a redirect body larger than this is content, not a notice
/// (nginx, Apache and IIS send 150–300 bytes with a redirect).
pub const MAX_REDIRECT_BODY: u64 = 1024;

pub(super) fn findings(catalogue: &Catalogue, obs: &HttpObservation) -> Vec<Finding> {
    let t = obs.target.as_str();
    let mut out = Vec::new();
    for id in super::HTTP_PROBE_RULES {
        let Some(rule) = catalogue.rule(id) else {
            continue;
        };
        let judge: fn(&Rule, &str, &HttpResponse) -> Finding = match *id {
            "HTTP-001" => {
                out.push(plain_http(rule, obs));
                continue;
            }
            "HTTP-004" => {
                out.push(disclosure(rule, obs));
                continue;
            }
            "HTTP-002" => hsts_missing,
            "HTTP-003" => hsts_weak,
            _ => security_headers,
        };
        out.push(match &obs.https {
            HttpsOutcome::Response(r) => {
                let mut f = judge(rule, t, r);
                f.evidence.insert("url", obs.https_url.as_str());
                f
            }
            HttpsOutcome::Failed { reason } => https_failed(rule, obs, reason),
        });
    }
    out
}

fn https_failed(rule: &Rule, obs: &HttpObservation, reason: &str) -> Finding {
    Finding::for_rule(
        rule,
        &obs.target,
        Status::Error,
        format!("could not fetch {}: {reason}", obs.https_url),
        Evidence::new()
            .with("url", obs.https_url.clone())
            .with("error", reason),
    )
}

fn headers_json(r: &HttpResponse) -> Value {
    json!(r
        .headers
        .iter()
        .map(|h| json!({"name": h.name, "value": h.value}))
        .collect::<Vec<_>>())
}

fn plain_http(rule: &Rule, obs: &HttpObservation) -> Finding {
    let t = obs.target.as_str();
    let mut ev = Evidence::new().with("url", json!(obs.plain_url));
    let (status, summary) = match &obs.plain {
        PlainHttp::NotChecked { reason } => {
            ev.insert("result", "not_checked");
            (Status::NotApplicable, reason.clone())
        }
        PlainHttp::Closed { reason } => {
            ev.insert("result", "closed");
            ev.insert("reason", reason.as_str());
            (Status::Pass, format!("plain HTTP is not served ({reason})"))
        }
        PlainHttp::Failed { reason } => {
            ev.insert("error", reason.as_str());
            (Status::Error, format!("could not assess: {reason}"))
        }
        PlainHttp::Response {
            response,
            body_bytes,
        } => {
            let location = response.header("location");
            ev.insert("result", "response");
            ev.insert("status", response.status);
            ev.insert("location", json!(location));
            ev.insert("body_bytes", *body_bytes);
            judge_plain(response.status, location, *body_bytes, &obs.host)
        }
    };
    Finding::for_rule(rule, t, status, summary, ev)
}

/// HTTP-001 on a plain-HTTP answer: only a permanent redirect to HTTPS on
/// the same host, carrying no more than a redirect notice, passes.
pub fn judge_plain(
    status: u16,
    location: Option<&str>,
    body_bytes: u64,
    host: &str,
) -> (Status, String) {
    let fail = |s: String| (Status::Fail, s);
    let permanent = matches!(status, 301 | 308);
    let redirect = (300..400).contains(&status) && location.is_some();
    if !redirect {
        return fail(format!(
            "plain HTTP answered with status {status} and {body_bytes} bytes of content"
        ));
    }
    let to = location.unwrap_or_default();
    let same_host =
        https_host(to).is_some_and(|h| h.eq_ignore_ascii_case(host.trim_end_matches('.')));
    if !permanent {
        fail(format!(
            "plain HTTP redirects with {status}, not a permanent 301/308, to {to}"
        ))
    } else if !same_host {
        fail(format!(
            "plain HTTP redirects to {to}, not to https://{host}"
        ))
    } else if body_bytes > MAX_REDIRECT_BODY {
        fail(format!(
            "the redirect to {to} also serves {body_bytes} bytes of content"
        ))
    } else {
        (
            Status::Pass,
            format!("plain HTTP redirects ({status}) to {to}"),
        )
    }
}

fn hsts_missing(rule: &Rule, t: &str, r: &HttpResponse) -> Finding {
    let value = r.header("strict-transport-security");
    let ev = Evidence::new()
        .with("status", r.status)
        .with("strict_transport_security", json!(value));
    match value {
        Some(v) => Finding::for_rule(rule, t, Status::Pass, format!("HSTS sent: {v}"), ev),
        None => Finding::for_rule(
            rule,
            t,
            Status::Fail,
            "no Strict-Transport-Security header",
            ev,
        ),
    }
}

fn hsts_weak(rule: &Rule, t: &str, r: &HttpResponse) -> Finding {
    let count = r.headers_named("strict-transport-security").count();
    let mut ev = Evidence::new()
        .with(
            "strict_transport_security",
            json!(r.header("strict-transport-security")),
        )
        .with("headers_sent", count);
    let Some(value) = r.header("strict-transport-security") else {
        return Finding::for_rule(
            rule,
            t,
            Status::NotApplicable,
            "no HSTS header to judge (see HTTP-002)",
            ev,
        );
    };
    let (status, summary) = match parse_hsts(value) {
        Err(defect) => (
            Status::Fail,
            format!("HSTS header is malformed and ignored by browsers: {defect}"),
        ),
        Ok(p) => {
            ev.insert("max_age", p.max_age);
            ev.insert("include_subdomains", p.include_subdomains);
            ev.insert("preload", p.preload);
            let mut weak = Vec::new();
            if p.max_age < MIN_HSTS_MAX_AGE {
                weak.push(format!("max-age {} is under {MIN_HSTS_MAX_AGE}", p.max_age));
            }
            if !p.include_subdomains {
                weak.push("includeSubDomains is missing".to_owned());
            }
            if weak.is_empty() {
                let preload = if p.preload { ", preload" } else { "" };
                (
                    Status::Pass,
                    format!("max-age {}, includeSubDomains{preload}", p.max_age),
                )
            } else {
                (Status::Fail, weak.join("; "))
            }
        }
    };
    Finding::for_rule(rule, t, status, summary, ev)
}

/// Version numbers in one response's identifying headers, as
/// `Server: nginx/1.24.0`.
fn disclosures(r: &HttpResponse) -> Vec<String> {
    let mut out = Vec::new();
    for (name, label) in [("server", "Server"), ("x-powered-by", "X-Powered-By")] {
        for v in r.headers_named(name) {
            out.extend(
                version_tokens(v)
                    .into_iter()
                    .map(|tok| format!("{label}: {tok}")),
            );
        }
    }
    for (name, label) in [
        ("x-aspnet-version", "X-AspNet-Version"),
        ("x-aspnetmvc-version", "X-AspNetMvc-Version"),
    ] {
        for v in r.headers_named(name).filter(|v| !v.trim().is_empty()) {
            out.push(format!("{label}: {}", v.trim()));
        }
    }
    out
}

/// HTTP-004 reads both responses: a version in the plain-HTTP redirect is
/// as visible as one over HTTPS.
fn disclosure(rule: &Rule, obs: &HttpObservation) -> Finding {
    let mut found = Vec::new();
    let mut ev = Evidence::new().with("url", obs.https_url.clone());
    if let HttpsOutcome::Response(r) = &obs.https {
        found.extend(disclosures(r));
        ev.insert("https_headers", headers_json(r));
    }
    if let PlainHttp::Response { response, .. } = &obs.plain {
        for d in disclosures(response) {
            if !found.contains(&d) {
                found.push(d);
            }
        }
        ev.insert("plain_headers", headers_json(response));
    }
    ev.insert("disclosed", found.clone());
    let (status, summary) = match (&obs.https, found.is_empty()) {
        (_, false) => (
            Status::Fail,
            format!("version disclosed: {}", found.join(", ")),
        ),
        (HttpsOutcome::Failed { reason }, true) => {
            ev.insert("error", reason.as_str());
            (
                Status::Error,
                format!("could not fetch {}: {reason}", obs.https_url),
            )
        }
        (HttpsOutcome::Response(_), true) => (
            Status::Pass,
            "no product version in Server, X-Powered-By or X-AspNet-Version".to_owned(),
        ),
    };
    Finding::for_rule(rule, &obs.target, status, summary, ev)
}

fn security_headers(rule: &Rule, t: &str, r: &HttpResponse) -> Finding {
    let xcto = r.header("x-content-type-options");
    let xfo = r.header("x-frame-options");
    let csp_fa = r
        .headers_named("content-security-policy")
        .find_map(csp_frame_ancestors);
    let referrer = r.header("referrer-policy");
    let mut missing = Vec::new();
    if !xcto.is_some_and(nosniff) {
        missing.push("X-Content-Type-Options: nosniff");
    }
    if csp_fa.is_none() && !xfo.is_some_and(frame_options_effective) {
        missing.push("CSP frame-ancestors or X-Frame-Options DENY/SAMEORIGIN");
    }
    match referrer.and_then(referrer_policy) {
        None => missing.push("Referrer-Policy"),
        Some("unsafe-url") => missing.push("a Referrer-Policy other than unsafe-url"),
        Some(_) => {}
    }
    let ev = Evidence::new()
        .with("status", r.status)
        .with("x_content_type_options", json!(xcto))
        .with("x_frame_options", json!(xfo))
        .with("csp_frame_ancestors", json!(csp_fa))
        .with("referrer_policy", json!(referrer))
        .with("missing", missing.clone());
    if missing.is_empty() {
        Finding::for_rule(
            rule,
            t,
            Status::Pass,
            "all basic security headers present",
            ev,
        )
    } else {
        Finding::for_rule(
            rule,
            t,
            Status::Fail,
            format!("missing: {}", missing.join("; ")),
            ev,
        )
    }
}
