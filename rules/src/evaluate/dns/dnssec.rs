//! DNS-001: the apex is signed and validates.

use super::Ctx;
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{DnssecObservation, Validation};

pub(super) fn judge(ctx: &Ctx<'_>) -> Finding {
    let domain = &ctx.obs.domain;
    let ev = ctx
        .evidence()
        .with("dnssec", serde_json::to_value(&ctx.obs.dnssec).ok());
    match &ctx.obs.dnssec {
        DnssecObservation::NotAsked { reason } => ctx.error(reason.clone(), ev),
        DnssecObservation::NoAnswer { server, reason } => ctx.error(
            format!("the DNSKEY question to {server} got no answer: {reason}"),
            ev,
        ),
        DnssecObservation::Answered {
            server,
            rcode,
            dnskeys,
            rrsigs,
            validation,
        } => {
            if rcode != "NOERROR" {
                ctx.error(format!("{server} answered the DNSKEY question {rcode}"), ev)
            } else if *dnskeys == 0 {
                ctx.finding(
                    Status::Fail,
                    format!("{domain} is not signed: no DNSKEY at the apex"),
                    ev,
                )
            } else if *rrsigs == 0 {
                ctx.finding(
                    Status::Fail,
                    format!("{domain} publishes DNSKEY records but no RRSIG over them"),
                    ev,
                )
            } else {
                by_validation(ctx, validation, *dnskeys, *rrsigs, ev)
            }
        }
    }
}

fn by_validation(
    ctx: &Ctx<'_>,
    validation: &Validation,
    dnskeys: usize,
    rrsigs: usize,
    ev: Evidence,
) -> Finding {
    let domain = &ctx.obs.domain;
    let signed = format!("{domain} is signed ({dnskeys} DNSKEY, {rrsigs} RRSIG at the apex)");
    let failed = |steps: &[crate::observe::ValidationStep], proof: &str| {
        steps
            .iter()
            .filter(|s| s.proof == proof)
            .map(|s| format!("{} ({})", s.asked, s.detail))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match validation {
        Validation::Secure { .. } => {
            ctx.finding(Status::Pass, format!("{signed} and validates"), ev)
        }
        Validation::Bogus { steps } => ctx.finding(
            Status::Fail,
            format!("{signed} but validation fails: {}", failed(steps, "bogus")),
            ev,
        ),
        // Signed but not proven: the usual cause is a DS missing at the
        // parent, so no validating resolver uses the signatures.
        Validation::Insecure { steps } => ctx.finding(
            Status::Fail,
            format!(
                "{signed} but no chain of trust validates it (is the DS published at the parent?): {}",
                steps
                    .iter()
                    .map(|s| format!("{} {}", s.asked, s.proof))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ev,
        ),
        Validation::Failed { steps } => ctx.error(
            format!("{signed}; validation could not finish: {}", failed(steps, "error")),
            ev,
        ),
        Validation::NotAttempted { reason } => {
            ctx.error(format!("{signed}; validation was not attempted: {reason}"), ev)
        }
    }
}
