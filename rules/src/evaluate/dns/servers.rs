//! DNS-004 (open recursion) and DNS-005 (zone transfer), judged on every
//! probed name server address.

use serde_json::{json, Value};

use super::Ctx;
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{AxfrProbe, NameServerProbe, RecursionProbe};

/// What both rules start from.
struct Probed<'c> {
    servers: &'c [NameServerProbe],
    /// Lists each server with its result.
    evidence: Evidence,
    /// `name (address)` of the servers that did not answer.
    silent: Vec<String>,
}

/// The probed servers, the evidence listing each with its `key` result
/// (`probe`), and those that did not answer (`silent`); a finding instead
/// when no server could be probed.
fn probed<'c>(
    ctx: &'c Ctx<'_>,
    key: &str,
    probe: impl Fn(&NameServerProbe) -> Value,
    silent: impl Fn(&NameServerProbe) -> bool,
) -> Result<Probed<'c>, Box<Finding>> {
    let mut ev = with_servers(ctx);
    let servers = match ctx.servers() {
        Ok(s) => s,
        Err((status, reason)) => return Err(Box::new(ctx.stopped(status, reason, ev))),
    };
    ev.insert(
        "servers",
        servers
            .iter()
            .map(|s| json!({"name": s.name, "address": s.address, key: probe(s)}))
            .collect::<Vec<_>>(),
    );
    let quiet = servers
        .iter()
        .filter(|s| silent(s))
        .map(|s| format!("{} ({})", s.name, s.address))
        .collect();
    Ok(Probed {
        servers,
        evidence: ev,
        silent: quiet,
    })
}

fn with_servers(ctx: &Ctx<'_>) -> Evidence {
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
    let Probed {
        servers,
        evidence: ev,
        silent,
    } = match probed(
        ctx,
        "recursion",
        |s| serde_json::to_value(&s.recursion).unwrap_or(Value::Null),
        |s| matches!(s.recursion, RecursionProbe::NoAnswer { .. }),
    ) {
        Ok(found) => found,
        Err(finding) => return *finding,
    };
    let open: Vec<String> = servers
        .iter()
        .filter(|s| s.recursion.is_open())
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
    let Probed {
        servers,
        evidence: ev,
        silent,
    } = match probed(
        ctx,
        "axfr",
        |s| serde_json::to_value(&s.axfr).unwrap_or(Value::Null),
        |s| matches!(s.axfr, AxfrProbe::NoAnswer { .. }),
    ) {
        Ok(found) => found,
        Err(finding) => return *finding,
    };
    let open: Vec<String> = servers
        .iter()
        .filter_map(|s| match &s.axfr {
            AxfrProbe::Allowed { records, .. } => {
                Some(format!("{} ({}, {records} records)", s.name, s.address))
            }
            _ => None,
        })
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
