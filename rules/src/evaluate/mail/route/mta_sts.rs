//! MAIL-009: an MTA-STS policy fetched over valid HTTPS, in `enforce`
//! mode, whose `mx` patterns cover every MX host.

use serde_json::{json, Value};

use super::{certificate_problems, chain_json, Ctx, Mx};
use crate::finding::{Finding, Status};
use crate::observe::{MtaStsObservation, MxOutcome, StsMode};

pub(super) fn enforced(ctx: &Ctx<'_>) -> Finding {
    let sts = &ctx.obs.mta_sts;
    let ev = ctx.evidence().with("mta_sts", sts_json(ctx, sts)).with(
        "max_age",
        sts.policy.as_ref().and_then(|p| p.max_age).map(Value::from),
    );
    if let Mx::Stop(Status::NotApplicable, reason) = ctx.mx() {
        return ctx.finding(Status::NotApplicable, reason, ev);
    }
    if let Some(e) = &sts.record.lookup_error {
        return ctx.error(format!("the _mta-sts TXT lookup failed: {e}"), ev);
    }
    let problems = problems(ctx, sts);
    let ev = ev.with("problems", problems.clone());
    if !problems.is_empty() {
        return ctx.finding(
            Status::Fail,
            format!("MTA-STS is not enforcing: {}", problems.join("; ")),
            ev,
        );
    }
    if let MxOutcome::LookupFailed { reason } = &ctx.obs.mx.outcome {
        return ctx.error(
            format!("the policy's mx coverage cannot be judged: the MX lookup failed: {reason}"),
            ev,
        );
    }
    let max_age = sts
        .policy
        .as_ref()
        .and_then(|p| p.max_age)
        .unwrap_or_default();
    ctx.finding(
        Status::Pass,
        format!("MTA-STS policy in enforce mode covers every MX (max_age {max_age} s)"),
        ev,
    )
}

/// Every reason the domain's MTA-STS does not hold, in the order a
/// sender meets them.
fn problems(ctx: &Ctx<'_>, sts: &MtaStsObservation) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = &sts.record.problem {
        out.push(p.clone());
    }
    let Some(fetch) = &sts.fetch else {
        if sts.record.problem.is_none() {
            out.push("the policy was not fetched".into());
        }
        return out;
    };
    if let Some(e) = &fetch.error {
        out.push(format!(
            "the policy could not be fetched from {}: {e}",
            fetch.url
        ));
    }
    if let Some(chain) = &fetch.chain {
        out.extend(
            certificate_problems(chain, ctx.now)
                .into_iter()
                .map(|p| format!("policy host {p}")),
        );
    }
    match fetch.status {
        Some(200) => {}
        Some(status) if (300..400).contains(&status) => out.push(format!(
            "the policy URL answered {status}, a redirect{} (not followed, RFC 8461 3.3)",
            fetch
                .location
                .as_deref()
                .map(|l| format!(" to {l}"))
                .unwrap_or_default()
        )),
        Some(status) => out.push(format!("the policy URL answered HTTP {status}, not 200")),
        None => {}
    }
    if fetch.status == Some(200) {
        let plain = fetch
            .content_type
            .as_deref()
            .and_then(|t| t.split(';').next())
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/plain"));
        if !plain {
            out.push(format!(
                "the policy is served as {}, not text/plain",
                fetch.content_type.as_deref().unwrap_or("no media type")
            ));
        }
    }
    let Some(policy) = &sts.policy else {
        return out;
    };
    out.extend(policy.problems.iter().map(|p| format!("policy: {p}")));
    match policy.mode {
        Some(StsMode::Enforce) | None => {}
        Some(mode) => out.push(format!("mode is {}, not enforce", mode.as_str())),
    }
    let uncovered: Vec<&str> = sts
        .coverage
        .iter()
        .filter(|c| c.pattern.is_none())
        .map(|c| c.mx.as_str())
        .collect();
    if !uncovered.is_empty() {
        out.push(format!("no mx pattern covers {}", uncovered.join(", ")));
    }
    out
}

fn sts_json(ctx: &Ctx<'_>, sts: &MtaStsObservation) -> Value {
    json!({
        "txt_answer": sts.record.answer,
        "records": sts.record.records,
        "id": sts.record.id,
        "fetch": sts.fetch.as_ref().map(|f| json!({
            "url": f.url,
            "address": f.address,
            "status": f.status,
            "content_type": f.content_type,
            "location": f.location,
            "body_bytes": f.body_bytes,
            "certificate": f.chain.as_ref().map(|c| chain_json(c, ctx.now)),
            "error": f.error,
        })),
        "policy": sts.policy.as_ref().map(|p| json!({
            "version": p.version,
            "mode": p.mode.map(StsMode::as_str),
            "mx": p.mx,
            "max_age": p.max_age,
            "problems": p.problems,
        })),
        "coverage": sts.coverage.iter().map(|c| json!({
            "mx": c.mx,
            "pattern": c.pattern,
        })).collect::<Vec<_>>(),
    })
}
