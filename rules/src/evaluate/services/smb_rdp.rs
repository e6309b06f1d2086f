//! SMB-001/002 and RDP-001/002, per service, from the facts of one
//! negotiation each: a yes, a no, or not read (an `error`).

use serde_json::json;

use super::host::{service_evidence, Ctx};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{RdpDetail, ServiceDetail, ServiceObservation, SmbDetail, Transport};
use crate::severity::Severity;

/// One yes/no fact and what each answer means.
struct Fact<'t> {
    value: Option<bool>,
    /// The answer that fails the rule.
    bad: bool,
    /// Named in the error when the fact was not read.
    missing: &'t str,
    fail: &'t str,
    pass: &'t str,
}

fn judge(ctx: &Ctx<'_>, obs: &ServiceObservation, fact: Fact<'_>, ev: Evidence) -> Finding {
    match fact.value {
        None => {
            let mut f = ctx.unassessed(obs, fact.missing);
            for (k, v) in ev.iter() {
                f.evidence.insert(k, v.clone());
            }
            f
        }
        Some(v) if v == fact.bad => ctx.service_finding(obs, Status::Fail, fact.fail.into(), ev),
        Some(_) => ctx.service_finding(obs, Status::Pass, fact.pass.into(), ev),
    }
}

fn smb_services<'a>(ctx: &Ctx<'a>) -> Vec<(&'a ServiceObservation, SmbDetail)> {
    ctx.services_where(|s| s.is("smb") || matches!(s.detail, ServiceDetail::Smb(_)))
        .into_iter()
        .map(|s| match &s.detail {
            ServiceDetail::Smb(d) => (s, d.clone()),
            _ => (s, SmbDetail::default()),
        })
        .collect()
}

fn smb_evidence(obs: &ServiceObservation, d: &SmbDetail) -> Evidence {
    service_evidence(obs)
        .with("smb1_accepted", json!(d.smb1_accepted))
        .with("smb2_dialect", json!(d.smb2_dialect))
        .with("signing_required", json!(d.signing_required))
}

pub(super) fn smb1(ctx: &Ctx<'_>) -> Vec<Finding> {
    smb_services(ctx)
        .into_iter()
        .map(|(obs, d)| {
            let fact = Fact {
                value: d.smb1_accepted,
                bad: true,
                missing: "SMB1 negotiate result",
                fail: "an SMB1-only negotiate (NT LM 0.12) was accepted",
                pass: "an SMB1-only negotiate was refused",
            };
            judge(ctx, obs, fact, smb_evidence(obs, &d))
        })
        .collect()
}

/// Kerberos and LDAP beside SMB: the ports of an Active Directory domain
/// controller, where SMB-002's note raises the severity to high.
fn looks_like_domain_controller(ctx: &Ctx<'_>) -> bool {
    ctx.host.has_port(Transport::Tcp, 88) && ctx.host.has_port(Transport::Tcp, 389)
}

pub(super) fn signing(ctx: &Ctx<'_>) -> Vec<Finding> {
    let dc = looks_like_domain_controller(ctx);
    smb_services(ctx)
        .into_iter()
        .map(|(obs, d)| {
            let fact = Fact {
                value: d.signing_required,
                bad: false,
                missing: "SMB2 security mode",
                fail: if dc {
                    "SMB signing is not required on a likely domain controller"
                } else {
                    "SMB signing is not required"
                },
                pass: "SMB signing is required",
            };
            let ev = smb_evidence(obs, &d).with("domain_controller_likely", dc);
            let f = judge(ctx, obs, fact, ev);
            if dc && f.status == Status::Fail {
                let sev = f.severity.max(Severity::High);
                f.with_severity(sev)
            } else {
                f
            }
        })
        .collect()
}

fn rdp_services<'a>(ctx: &Ctx<'a>) -> Vec<(&'a ServiceObservation, RdpDetail)> {
    ctx.services_where(|s| s.is("rdp") || matches!(s.detail, ServiceDetail::Rdp(_)))
        .into_iter()
        .map(|s| match &s.detail {
            ServiceDetail::Rdp(d) => (s, d.clone()),
            _ => (s, RdpDetail::default()),
        })
        .collect()
}

fn rdp_evidence(obs: &ServiceObservation, d: &RdpDetail) -> Evidence {
    service_evidence(obs)
        .with("nla_required", json!(d.nla_required))
        .with(
            "standard_security_accepted",
            json!(d.standard_security_accepted),
        )
        .with("selected", d.selected.clone())
        .with("failures", d.failures.clone())
}

pub(super) fn nla(ctx: &Ctx<'_>) -> Vec<Finding> {
    rdp_services(ctx)
        .into_iter()
        .map(|(obs, d)| {
            let fact = Fact {
                value: d.nla_required,
                bad: false,
                missing: "RDP negotiation",
                fail: "Network Level Authentication (CredSSP) is not required",
                pass: "Network Level Authentication (CredSSP) is required",
            };
            judge(ctx, obs, fact, rdp_evidence(obs, &d))
        })
        .collect()
}

pub(super) fn standard_security(ctx: &Ctx<'_>) -> Vec<Finding> {
    rdp_services(ctx)
        .into_iter()
        .map(|(obs, d)| {
            let fact = Fact {
                value: d.standard_security_accepted,
                bad: true,
                missing: "RDP negotiation",
                fail: "standard RDP security (no TLS) is accepted",
                pass: "standard RDP security is refused",
            };
            judge(ctx, obs, fact, rdp_evidence(obs, &d))
        })
        .collect()
}
