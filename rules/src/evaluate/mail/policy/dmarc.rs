//! MAIL-003 (a DMARC record applies), MAIL-004 (it rejects) and MAIL-005
//! (it asks for aggregate reports).

use serde_json::json;

use super::{and_list, evidence, Ctx};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{DmarcObservation, DmarcPolicy, DmarcRecord};
use crate::severity::Severity;

/// The DMARC evidence every rule here starts with.
fn dmarc_evidence(obs: &DmarcObservation) -> Evidence {
    let mut ev = evidence(&obs.resolver, &obs.lookups.iter().collect::<Vec<_>>())
        .with("fallback", obs.fallback);
    if let Some(org) = &obs.org_domain {
        ev.insert("org_domain", org.as_str());
    }
    if let Some(at) = &obs.found_at {
        ev.insert("found_at", at.as_str());
    }
    if !obs.discarded.is_empty() {
        ev.insert("discarded", obs.discarded.clone());
    }
    if let [record] = obs.records.as_slice() {
        ev.insert("record", record.text.as_str());
        if !record.problems.is_empty() {
            ev.insert("problems", record.problems.clone());
        }
        if !record.ignored.is_empty() {
            ev.insert("ignored", record.ignored.clone());
        }
    } else if !obs.records.is_empty() {
        ev.insert(
            "records",
            obs.records
                .iter()
                .map(|r| r.text.clone())
                .collect::<Vec<_>>(),
        );
    }
    ev
}

/// Where the records were looked for, for a "none found" sentence.
fn names_asked(obs: &DmarcObservation) -> String {
    obs.lookups
        .iter()
        .map(|l| l.name.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// MAIL-003.
pub(super) fn present(ctx: &Ctx<'_>) -> Finding {
    let obs = ctx.policy.dmarc;
    let ev = dmarc_evidence(obs);
    if let Some(failed) = obs.lookup_error() {
        return ctx.lookup_error(failed, ev);
    }
    let at = obs.found_at.as_deref().unwrap_or("_dmarc");
    match obs.records.as_slice() {
        [] => {
            let mut summary = format!("no DMARC record at {}", names_asked(obs));
            if !obs.discarded.is_empty() {
                summary.push_str(&format!(
                    "; {} TXT record(s) there do not start with v=DMARC1, so receivers discard them",
                    obs.discarded.len()
                ));
            }
            ctx.finding(Status::Fail, summary, ev)
        }
        [record] if !record.is_valid() => ctx.finding(
            Status::Fail,
            format!(
                "the DMARC record at {at} is invalid: {}",
                record.problems.join("; ")
            ),
            ev,
        ),
        [_] => {
            let summary = if obs.fallback {
                format!(
                    "no DMARC record of its own; the organisational domain's valid record at {at} applies"
                )
            } else {
                format!("one valid DMARC record at {at}")
            };
            ctx.finding(Status::Pass, summary, ev)
        }
        many => ctx.finding(
            Status::Fail,
            format!(
                "{} DMARC records at {at}, so receivers apply none of them",
                many.len()
            ),
            ev,
        ),
    }
}

/// The policies a record puts on a domain's mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Enforcement {
    /// For mail from the domain itself.
    pub own: DmarcPolicy,
    /// For mail from its subdomains.
    pub subdomains: DmarcPolicy,
    pub pct: u8,
}

impl Enforcement {
    /// Reads `record` as it applies to the domain: `fallback` when the
    /// record is the organisational domain's (RFC 7489 section 6.6.3, where
    /// `sp` then governs the domain itself).
    pub(super) fn of(record: &DmarcRecord, fallback: bool) -> Option<Enforcement> {
        let p = record.p?;
        let subdomains = record.sp.unwrap_or(p);
        Some(Enforcement {
            own: if fallback { subdomains } else { p },
            subdomains,
            pct: record.percent(),
        })
    }

    /// Both policies reject, for all mail.
    pub(super) fn rejects_all(self) -> bool {
        self.own == DmarcPolicy::Reject && self.subdomains == DmarcPolicy::Reject && self.pct >= 100
    }

    /// The weakest treatment spoofed mail can get.
    pub(super) fn weakest(self) -> DmarcPolicy {
        let weakest = self.own.min(self.subdomains);
        if self.pct < 100 {
            weakest.next_weaker()
        } else {
            weakest
        }
    }

    /// What keeps the policy from rejecting everything, in words.
    pub(super) fn shortfalls(self, record: &DmarcRecord, fallback: bool) -> Vec<String> {
        let mut out = Vec::new();
        if self.own != DmarcPolicy::Reject {
            out.push(if fallback && record.sp.is_some() {
                format!(
                    "the organisational domain's sp={} applies to the domain",
                    self.own
                )
            } else {
                format!("p={}", self.own)
            });
        }
        if self.pct < 100 {
            out.push(format!(
                "pct={} leaves the rest of failing mail to {}",
                self.pct,
                self.own.next_weaker()
            ));
        }
        // An sp weaker than reject; when sp is absent it equals p, which
        // was named above.
        if let Some(sp) = record.sp {
            if sp != DmarcPolicy::Reject && !(fallback && self.own == sp) {
                out.push(format!("sp={sp} is weaker than reject for subdomains"));
            }
        }
        out
    }
}

/// MAIL-004.
pub(super) fn enforcing(ctx: &Ctx<'_>) -> Finding {
    let obs = ctx.policy.dmarc;
    let mut ev = dmarc_evidence(obs);
    if let Some(failed) = obs.lookup_error() {
        return ctx.lookup_error(failed, ev);
    }
    let Some((record, enforcement)) = obs
        .applied()
        .and_then(|r| Some((r, Enforcement::of(r, obs.fallback)?)))
    else {
        return ctx.finding(
            Status::NotApplicable,
            "no valid DMARC record applies (see MAIL-003)".into(),
            ev,
        );
    };
    ev.insert("p", json!(record.p.map(DmarcPolicy::as_str)));
    ev.insert("sp", json!(record.sp.map(DmarcPolicy::as_str)));
    ev.insert("pct", enforcement.pct);
    ev.insert("policy_for_domain", enforcement.own.as_str());
    ev.insert("policy_for_subdomains", enforcement.subdomains.as_str());
    if enforcement.rejects_all() {
        return ctx.finding(
            Status::Pass,
            "DMARC rejects failing mail from the domain and its subdomains (pct=100)".into(),
            ev,
        );
    }
    let weakest = enforcement.weakest();
    ev.insert("weakest_treatment", weakest.as_str());
    let severity = match weakest {
        DmarcPolicy::None => Severity::High,
        DmarcPolicy::Quarantine => Severity::Medium,
        // Not reachable for a policy that does not reject everything;
        // the rule's own severity if it ever is.
        DmarcPolicy::Reject => ctx.rule.severity,
    };
    let shortfalls = enforcement.shortfalls(record, obs.fallback);
    ev.insert("shortfalls", shortfalls.clone());
    ctx.finding(
        Status::Fail,
        format!(
            "DMARC does not reject all failing mail: {}",
            shortfalls.join("; ")
        ),
        ev,
    )
    .with_severity(severity)
}

/// MAIL-005.
pub(super) fn reporting(ctx: &Ctx<'_>) -> Finding {
    let obs = ctx.policy.dmarc;
    let mut ev = dmarc_evidence(obs);
    if let Some(failed) = obs.lookup_error() {
        return ctx.lookup_error(failed, ev);
    }
    let Some(record) = obs.applied() else {
        return ctx.finding(
            Status::NotApplicable,
            "no valid DMARC record applies (see MAIL-003)".into(),
            ev,
        );
    };
    ev.insert("rua", record.rua.clone());
    let usable = record.usable_rua();
    if !usable.is_empty() {
        let to = and_list(&usable.iter().map(|u| u.to_string()).collect::<Vec<_>>());
        return ctx.finding(Status::Pass, format!("aggregate reports go to {to}"), ev);
    }
    let summary = if record.rua.is_empty() {
        "the DMARC record has no rua tag, so no aggregate reports are sent".to_string()
    } else {
        format!("no usable report address in rua={}", record.rua.join(","))
    };
    ctx.finding(Status::Fail, summary, ev)
}
