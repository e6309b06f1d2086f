//! MAIL-011: a domain that sends no mail says so in SPF, DMARC and MX.

use super::dmarc::Enforcement;
use super::{evidence, Ctx};
use crate::finding::{Finding, Status};

/// True for exactly `v=spf1 -all`: the version and one `-all`, nothing
/// else (any other mechanism or modifier could authorise a sender).
pub(super) fn is_reject_all(spf: &str) -> bool {
    let mut terms = spf.split_ascii_whitespace();
    terms
        .next()
        .is_some_and(|v| v.eq_ignore_ascii_case("v=spf1"))
        && terms.next().is_some_and(|t| t.eq_ignore_ascii_case("-all"))
        && terms.next().is_none()
}

pub(super) fn locked_down(ctx: &Ctx<'_>) -> Finding {
    let policy = ctx.policy;
    let (dmarc, mx) = (policy.dmarc, policy.mx);
    let mut lookups: Vec<_> = dmarc.lookups.iter().collect();
    lookups.push(&mx.lookup);
    let mut ev = evidence(&dmarc.resolver, &lookups).with("non_sending", policy.non_sending);
    if !policy.non_sending {
        return ctx.finding(
            Status::NotApplicable,
            "the domain is not flagged as non-sending".into(),
            ev,
        );
    }
    ev.insert("spf", policy.spf_record);
    let mut missing = Vec::new();
    let mut unknown = Vec::new();

    match policy.spf_record {
        Some(spf) if is_reject_all(spf) => {}
        Some(spf) => missing.push(format!("SPF is {spf:?}, not \"v=spf1 -all\"")),
        None => missing.push("no single SPF record \"v=spf1 -all\"".to_string()),
    }

    if let Some(failed) = dmarc.lookup_error() {
        unknown.push(failed.clone());
    } else {
        match dmarc
            .applied()
            .and_then(|r| Some((r, Enforcement::of(r, dmarc.fallback)?)))
        {
            Some((record, enforcement)) => {
                ev.insert("dmarc", record.text.as_str());
                if !enforcement.rejects_all() {
                    missing.push(format!(
                        "DMARC does not reject everything: {}",
                        enforcement.shortfalls(record, dmarc.fallback).join("; ")
                    ));
                }
            }
            None => missing.push("no valid DMARC record with p=reject; sp=reject".into()),
        }
    }

    if mx.lookup.transient_failure().is_some() {
        unknown.push(mx.lookup.clone());
    } else {
        ev.insert("null_mx", mx.null_mx);
        ev.insert(
            "mx",
            mx.hosts
                .iter()
                .map(|h| format!("{} {}", h.preference, h.exchange))
                .collect::<Vec<_>>(),
        );
        if !mx.null_mx && !mx.hosts.is_empty() {
            let hosts = mx
                .hosts
                .iter()
                .map(|h| h.exchange.clone())
                .collect::<Vec<_>>()
                .join(", ");
            missing.push(if mx.null_mx_mixed {
                format!("a null MX is published beside other MX records ({hosts})")
            } else {
                format!("MX points at {hosts} instead of a null MX (MX 0 .)")
            });
        }
    }

    if !missing.is_empty() {
        ev.insert("missing", missing.clone());
        return ctx.finding(
            Status::Fail,
            format!("non-sending domain not locked down: {}", missing.join("; ")),
            ev,
        );
    }
    if let Some(failed) = unknown.first() {
        return ctx.lookup_error(failed, ev);
    }
    ctx.finding(
        Status::Pass,
        "SPF is v=spf1 -all, DMARC rejects everything, and there is no mail exchanger".into(),
        ev,
    )
}
