//! DNS-002: a CAA record set restricts which CAs may issue.

use serde_json::json;

use super::Ctx;
use crate::finding::{Finding, Status};

pub(super) fn judge(ctx: &Ctx<'_>) -> Finding {
    let domain = &ctx.obs.domain;
    let caa = &ctx.obs.caa;
    let ev = ctx
        .evidence()
        .with("names_asked", caa.asked.clone())
        .with("found_at", caa.found_at.clone())
        .with(
            "records",
            caa.records
                .iter()
                .map(|r| json!({"critical": r.critical, "tag": r.tag, "value": r.value}))
                .collect::<Vec<_>>(),
        );
    let Some(at) = &caa.found_at else {
        if let Some(failure) = &caa.failure {
            return ctx.error(failure.clone(), ev);
        }
        return ctx.finding(
            Status::Fail,
            format!("no CAA record for {domain} or any parent below the public suffix"),
            ev,
        );
    };
    let issuers: Vec<String> = caa
        .records
        .iter()
        .filter(|r| r.tag == "issue" || r.tag == "issuewild")
        .map(|r| format!("{} {:?}", r.tag, r.value))
        .collect();
    if issuers.is_empty() {
        return ctx.finding(
            Status::Fail,
            format!("the CAA records at {at} name no CA (no issue or issuewild record)"),
            ev,
        );
    }
    let whose = if at == domain {
        String::new()
    } else {
        format!(" (found at {at})")
    };
    ctx.finding(
        Status::Pass,
        format!("CAA for {domain}{whose}: {}", issuers.join(", ")),
        ev,
    )
}
