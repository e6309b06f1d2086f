//! MAIL-007: every MX host that answers offers STARTTLS and completes the
//! TLS handshake after it.

use serde_json::{json, Value};

use super::{and_list, Ctx, Mx};
use crate::finding::{Finding, Status};
use crate::observe::mailroute::MxHost;
use crate::observe::SmtpSession;

pub(super) fn offered(ctx: &Ctx<'_>) -> Finding {
    let ev = ctx.evidence().with("smtp_port", ctx.obs.smtp_port);
    let hosts = match ctx.mx() {
        Mx::Hosts(hosts) => hosts,
        Mx::Stop(status, reason) => return ctx.stopped(status, reason, ev),
    };
    let mut failing = Vec::new();
    let mut unanswered = Vec::new();
    let mut passing = Vec::new();
    for host in hosts {
        match verdict(host) {
            Verdict::Unanswered => unanswered.push(host.name.clone()),
            Verdict::Fails(reason) => failing.push(format!("{} {reason}", host.name)),
            Verdict::Upgrades => passing.push(host.name.clone()),
        }
    }
    let ev = ev
        .with("mx", hosts.iter().map(host_json).collect::<Vec<_>>())
        .with("unanswered", unanswered.clone())
        .with("failing", failing.clone());
    if !failing.is_empty() {
        return ctx.finding(
            Status::Fail,
            format!("STARTTLS is missing or fails: {}", failing.join("; ")),
            ev,
        );
    }
    if passing.is_empty() {
        return ctx.error(
            format!(
                "no MX host answered over SMTP on port {} ({})",
                ctx.obs.smtp_port,
                and_list(&unanswered)
            ),
            ev,
        );
    }
    let mut summary = format!(
        "{} offer{} STARTTLS and complete{} the TLS handshake",
        and_list(&passing),
        if passing.len() == 1 { "s" } else { "" },
        if passing.len() == 1 { "s" } else { "" },
    );
    if !unanswered.is_empty() {
        summary.push_str(&format!(
            "; not assessed (no answer): {}",
            and_list(&unanswered)
        ));
    }
    ctx.finding(Status::Pass, summary, ev)
}

enum Verdict {
    /// No address greeted us.
    Unanswered,
    /// An address that answered did not upgrade; why.
    Fails(String),
    Upgrades,
}

fn verdict(host: &MxHost) -> Verdict {
    let mut answered = false;
    for session in host.answered() {
        answered = true;
        if !session.upgraded() {
            return Verdict::Fails(format!("({}): {}", session.address, why_not(session)));
        }
    }
    if answered {
        Verdict::Upgrades
    } else {
        Verdict::Unanswered
    }
}

/// Why a session that answered did not upgrade.
fn why_not(s: &SmtpSession) -> String {
    let step = if !s.ehlo {
        "EHLO was not accepted"
    } else if !s.starttls_offered {
        "STARTTLS is not offered"
    } else if !s.starttls_accepted {
        "the STARTTLS command was refused"
    } else {
        "the TLS handshake after STARTTLS failed"
    };
    match &s.error {
        Some(e) => format!("{step} ({e})"),
        None => step.to_owned(),
    }
}

fn host_json(host: &MxHost) -> Value {
    json!({
        "name": host.name,
        "preference": host.preference,
        "addresses": host.addresses,
        "resolve_problems": host.resolve_problems,
        "sessions": host.sessions.iter().map(|s| json!({
            "address": s.address,
            "connected": s.connected,
            "greeted": s.greeted,
            "ehlo": s.ehlo,
            "starttls_offered": s.starttls_offered,
            "starttls_accepted": s.starttls_accepted,
            "tls_version": s.tls.as_ref().map(|t| t.version.as_str()),
            "error": s.error,
        })).collect::<Vec<_>>(),
    })
}
