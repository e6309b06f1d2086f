//! DNS-003: no CNAME points at a missing or claimable name.

use serde_json::json;

use super::Ctx;
use crate::finding::{Finding, Status};
use crate::observe::{ChainEnd, CnameChain};

fn describe(c: &CnameChain) -> String {
    let path = std::iter::once(c.name.as_str())
        .chain(c.chain.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" -> ");
    let why = match &c.end {
        ChainEnd::NxDomain => "NXDOMAIN".to_owned(),
        ChainEnd::Claimable { suffix, reason } => {
            format!("claimable {suffix} name, {reason}")
        }
        ChainEnd::Loop => "CNAME loop".to_owned(),
        ChainEnd::TooLong => "chain too long to follow".to_owned(),
        ChainEnd::LookupFailed { at, reason } => format!("{at}: {reason}"),
        ChainEnd::Resolves => "resolves".to_owned(),
        ChainEnd::NoCname => "no CNAME".to_owned(),
    };
    format!("{path} ({why})")
}

pub(super) fn judge(ctx: &Ctx<'_>) -> Finding {
    let domain = &ctx.obs.domain;
    let names = &ctx.obs.dangling.names;
    let mut ev = ctx.evidence();
    ev.insert(
        "names",
        names
            .iter()
            .map(|c| {
                json!({
                    "name": c.name,
                    "chain": c.chain,
                    "end": serde_json::to_value(&c.end).ok(),
                })
            })
            .collect::<Vec<_>>(),
    );
    let dangling: Vec<String> = names
        .iter()
        .filter(|c| {
            matches!(
                c.end,
                ChainEnd::NxDomain | ChainEnd::Claimable { .. } | ChainEnd::Loop
            )
        })
        .map(describe)
        .collect();
    let unknown: Vec<String> = names
        .iter()
        .filter(|c| matches!(c.end, ChainEnd::LookupFailed { .. } | ChainEnd::TooLong))
        .map(describe)
        .collect();
    ev.insert("dangling", dangling.clone());
    ev.insert("could_not_check", unknown.clone());
    let unknown_note = if unknown.is_empty() {
        String::new()
    } else {
        format!("; could not check: {}", unknown.join(", "))
    };
    if !dangling.is_empty() {
        return ctx.finding(
            Status::Fail,
            format!("dangling: {}{unknown_note}", dangling.join(", ")),
            ev,
        );
    }
    if !unknown.is_empty() {
        return ctx.error(
            format!("CNAME chains could not be followed: {}", unknown.join(", ")),
            ev,
        );
    }
    let cnames = names.iter().filter(|c| !c.chain.is_empty()).count();
    ctx.finding(
        Status::Pass,
        format!(
            "{} names of {domain} checked, {cnames} with CNAMEs, none dangling",
            names.len()
        ),
        ev,
    )
}
