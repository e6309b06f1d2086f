//! SNMP-001/002, per SNMP service, from the v1/v2c GETs of sysDescr.0 that
//! were answered.

use serde_json::{json, Value};

use super::host::{service_evidence, Ctx};
use crate::finding::{Finding, Status};
use crate::observe::{ServiceDetail, ServiceObservation, SnmpAnswer, SnmpDetail};

/// The vendor default communities SNMP-001 is about.
pub const DEFAULT_COMMUNITIES: [&str; 2] = ["public", "private"];

fn is_default(answer: &SnmpAnswer) -> bool {
    DEFAULT_COMMUNITIES.contains(&answer.community.as_str())
}

/// An answer for the evidence. A community other than the defaults is the
/// trust's own secret and is never written down.
fn answer_json(answer: &SnmpAnswer) -> Value {
    let community = if is_default(answer) {
        answer.community.as_str()
    } else {
        "(configured)"
    };
    json!({
        "version": answer.version,
        "community": community,
        "sys_descr": answer.sys_descr,
    })
}

fn snmp_services<'a>(ctx: &Ctx<'a>) -> Vec<&'a ServiceObservation> {
    ctx.services_where(|s| s.is("snmp") || matches!(s.detail, ServiceDetail::Snmp(_)))
}

fn detail(obs: &ServiceObservation) -> Option<&SnmpDetail> {
    match &obs.detail {
        ServiceDetail::Snmp(d) => Some(d),
        _ => None,
    }
}

/// `v2c with public`, naming only default communities.
fn answer_text(answer: &SnmpAnswer) -> String {
    if is_default(answer) {
        format!("{} with {}", answer.version, answer.community)
    } else {
        format!("{} with a configured community", answer.version)
    }
}

pub(super) fn default_community(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for obs in snmp_services(ctx) {
        let Some(d) = detail(obs) else {
            out.push(ctx.unassessed(obs, "SNMP answers"));
            continue;
        };
        let defaults: Vec<&SnmpAnswer> = d.answered.iter().filter(|a| is_default(a)).collect();
        let ev = service_evidence(obs)
            .with("default_communities", DEFAULT_COMMUNITIES.to_vec())
            .with(
                "answered",
                defaults.iter().map(|a| answer_json(a)).collect::<Vec<_>>(),
            );
        let f = if defaults.is_empty() {
            ctx.service_finding(
                obs,
                Status::Pass,
                "no answer to community public or private".into(),
                ev,
            )
        } else {
            let texts: Vec<String> = defaults.iter().map(|a| answer_text(a)).collect();
            ctx.service_finding(
                obs,
                Status::Fail,
                format!("answers SNMP {}", texts.join(", ")),
                ev,
            )
        };
        out.push(f);
    }
    out
}

pub(super) fn v1_v2c(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for obs in snmp_services(ctx) {
        let Some(d) = detail(obs) else {
            out.push(ctx.unassessed(obs, "SNMP answers"));
            continue;
        };
        let ev = service_evidence(obs).with(
            "answered",
            d.answered.iter().map(answer_json).collect::<Vec<_>>(),
        );
        let f = if d.answered.is_empty() {
            ctx.service_finding(
                obs,
                Status::Pass,
                "no SNMP v1 or v2c request was answered".into(),
                ev,
            )
        } else {
            let texts: Vec<String> = d.answered.iter().map(answer_text).collect();
            ctx.service_finding(
                obs,
                Status::Fail,
                format!("answers SNMP {}", texts.join(", ")),
                ev,
            )
        };
        out.push(f);
    }
    out
}
