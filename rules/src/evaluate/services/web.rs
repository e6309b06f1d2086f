//! HTTP-006/007, per web service, from the answer to `GET /`: a default
//! page or directory listing, and a management interface.

use serde_json::json;

use super::host::{service_evidence, Ctx};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{HttpDetail, ServiceDetail, ServiceObservation};

fn web_services<'a>(ctx: &Ctx<'a>) -> Vec<&'a ServiceObservation> {
    ctx.services_where(|s| {
        s.is("http") || s.is("https") || matches!(s.detail, ServiceDetail::Http(_))
    })
}

fn page_evidence(obs: &ServiceObservation, d: &HttpDetail) -> Evidence {
    service_evidence(obs)
        .with("status", d.status)
        .with("server", json!(d.server))
        .with("title", json!(d.title))
}

/// One finding per web service: fails when `fact` picks something out of
/// the page.
fn judge(
    ctx: &Ctx<'_>,
    key: &str,
    fact: fn(&HttpDetail) -> Option<&String>,
    fail: &str,
    pass: &str,
) -> Vec<Finding> {
    web_services(ctx)
        .into_iter()
        .map(|obs| {
            let ServiceDetail::Http(d) = &obs.detail else {
                return ctx.unassessed(obs, "HTTP response");
            };
            let found = fact(d);
            let ev = page_evidence(obs, d).with(key, json!(found));
            match found {
                Some(what) => ctx.service_finding(obs, Status::Fail, format!("{fail}: {what}"), ev),
                None => ctx.service_finding(obs, Status::Pass, pass.to_owned(), ev),
            }
        })
        .collect()
}

pub(super) fn default_page(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(
        ctx,
        "default_page",
        |d| d.default_page.as_ref(),
        "default page or directory listing",
        "no default page or directory listing at /",
    )
}

pub(super) fn admin_interface(ctx: &Ctx<'_>) -> Vec<Finding> {
    judge(
        ctx,
        "admin_interface",
        |d| d.admin_interface.as_ref(),
        "management interface reachable",
        "no management interface recognised at /",
    )
}
