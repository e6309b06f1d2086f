//! DNS-004 (open recursion) and DNS-005 (zone transfer), judged on every
//! probed name server address.

use serde_json::json;

use super::Ctx;
use crate::finding::{Finding, Status};
use crate::observe::{AxfrProbe, RecursionProbe};

fn with_servers(ctx: &Ctx<'_>) -> crate::evidence::Evidence {
    let mut ev = ctx
        .evidence()
        .with("ns_answer", ctx.obs.servers.answer.as_str());
    if let crate::observe::NameServerOutcome::Servers {
        unresolved,
        skipped,
        ..
    } = &ctx.obs.servers.outcome
    {
        ev.insert("ns_unresolved", unresolved.clone());
        ev.insert("ns_skipped", *skipped);
    }
    ev
}

pub(super) fn recursion(ctx: &Ctx<'_>) -> Finding {
    let mut ev = with_servers(ctx);
    let servers = match ctx.servers() {
        Ok(s) => s,
        Err((status, reason)) => return ctx.stopped(status, reason, ev),
    };
    ev.insert(
        "servers",
        servers
            .iter()
            .map(|s| json!({"name": s.name, "address": s.address, "recursion": serde_json::to_value(&s.recursion).ok()}))
            .collect::<Vec<_>>(),
    );
    let open: Vec<String> = servers
        .iter()
        .filter(|s| s.recursion.is_open())
        .map(|s| format!("{} ({})", s.name, s.address))
        .collect();
    let silent: Vec<String> = servers
        .iter()
        .filter(|s| matches!(s.recursion, RecursionProbe::NoAnswer { .. }))
        .map(|s| format!("{} ({})", s.name, s.address))
        .collect();
    if !open.is_empty() {
        return ctx.finding(
            Status::Fail,
            format!("recursion offered by {}", open.join(", ")),
            ev,
        );
    }
    if silent.len() == servers.len() {
        return ctx.error(
            format!("no name server answered: {}", silent.join(", ")),
            ev,
        );
    }
    let note = if silent.is_empty() {
        String::new()
    } else {
        format!("; no answer from {}", silent.join(", "))
    };
    ctx.finding(
        Status::Pass,
        format!(
            "{} name server address(es) refused or did not offer recursion{note}",
            servers.len() - silent.len()
        ),
        ev,
    )
}

pub(super) fn axfr(ctx: &Ctx<'_>) -> Finding {
    let domain = &ctx.obs.domain;
    let mut ev = with_servers(ctx);
    let servers = match ctx.servers() {
        Ok(s) => s,
        Err((status, reason)) => return ctx.stopped(status, reason, ev),
    };
    ev.insert(
        "servers",
        servers
            .iter()
            .map(|s| json!({"name": s.name, "address": s.address, "axfr": serde_json::to_value(&s.axfr).ok()}))
            .collect::<Vec<_>>(),
    );
    let open: Vec<String> = servers
        .iter()
        .filter_map(|s| match &s.axfr {
            AxfrProbe::Allowed { records, .. } => {
                Some(format!("{} ({}, {records} records)", s.name, s.address))
            }
            _ => None,
        })
        .collect();
    let silent: Vec<String> = servers
        .iter()
        .filter(|s| matches!(s.axfr, AxfrProbe::NoAnswer { .. }))
        .map(|s| format!("{} ({})", s.name, s.address))
        .collect();
    if !open.is_empty() {
        return ctx.finding(
            Status::Fail,
            format!(
                "{domain} can be transferred (AXFR) from {}",
                open.join(", ")
            ),
            ev,
        );
    }
    if silent.len() == servers.len() {
        return ctx.error(
            format!("no name server answered AXFR: {}", silent.join(", ")),
            ev,
        );
    }
    ctx.finding(
        Status::Pass,
        format!(
            "AXFR of {domain} refused by {} name server address(es)",
            servers.len() - silent.len()
        ),
        ev,
    )
}
