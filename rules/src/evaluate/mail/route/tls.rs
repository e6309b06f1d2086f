//! MAIL-008: every MX that accepts STARTTLS negotiates TLS 1.2 or later
//! with a valid certificate for the MX host name.

use serde_json::{json, Value};

use super::{and_list, certificate_problems, chain_json, Ctx, Mx};
use crate::finding::{Finding, Status};
use crate::observe::mailroute::MxHost;
use crate::observe::{SmtpSession, TlsVersion};

pub(super) fn quality(ctx: &Ctx<'_>) -> Finding {
    let ev = ctx.evidence().with("smtp_port", ctx.obs.smtp_port);
    let hosts = match ctx.mx() {
        Mx::Hosts(hosts) => hosts,
        Mx::Stop(status, reason) => return ctx.stopped(status, reason, ev),
    };
    let mut failing = Vec::new();
    let mut judged = Vec::new();
    let mut evidence = Vec::new();
    for host in hosts {
        let (json, problems, any) = host_quality(ctx, host);
        evidence.push(json);
        if any {
            judged.push(host.name.clone());
        }
        if !problems.is_empty() {
            failing.push(format!("{}: {}", host.name, problems.join("; ")));
        }
    }
    let ev = ev.with("mx", evidence).with("failing", failing.clone());
    if !failing.is_empty() {
        return ctx.finding(
            Status::Fail,
            format!("weak MX TLS: {}", failing.join(" | ")),
            ev,
        );
    }
    if judged.is_empty() {
        if hosts.iter().all(|h| h.answered().next().is_none()) {
            return ctx.error(
                format!(
                    "no MX host answered over SMTP on port {}",
                    ctx.obs.smtp_port
                ),
                ev,
            );
        }
        return ctx.finding(
            Status::NotApplicable,
            "no MX host accepted STARTTLS, so there is no TLS to judge (MAIL-007 reports this)"
                .into(),
            ev,
        );
    }
    ctx.finding(
        Status::Pass,
        format!(
            "{} negotiate{} TLS 1.2 or later with a valid certificate for the MX name",
            and_list(&judged),
            if judged.len() == 1 { "s" } else { "" }
        ),
        ev,
    )
}

/// The host's evidence, its problems, and whether any session was judged.
fn host_quality(ctx: &Ctx<'_>, host: &MxHost) -> (Value, Vec<String>, bool) {
    let mut problems = Vec::new();
    let mut sessions = Vec::new();
    for s in host.sessions.iter().filter(|s| s.starttls_accepted) {
        let found = session_problems(ctx, s);
        sessions.push(json!({
            "address": s.address,
            "tls_version": s.tls.as_ref().map(|t| t.version.as_str()),
            "cipher_suite": s.tls.as_ref().map(|t| t.cipher_suite.as_str()),
            "certificate": s.chain.as_ref().map(|c| chain_json(c, ctx.now)),
            "problems": found,
        }));
        problems.extend(found.into_iter().map(|p| format!("{} ({})", p, s.address)));
    }
    let any = !sessions.is_empty();
    let json = json!({
        "name": host.name,
        "preference": host.preference,
        "sessions": sessions,
        "assessed": any,
    });
    (json, problems, any)
}

fn session_problems(ctx: &Ctx<'_>, s: &SmtpSession) -> Vec<String> {
    let mut problems = Vec::new();
    match &s.tls {
        None => problems.push(format!(
            "no TLS 1.2 or later handshake completed after STARTTLS{}",
            s.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        )),
        Some(tls) if tls.version < TlsVersion::Tls12 => {
            problems.push(format!("negotiated {}", tls.version))
        }
        Some(_) => {}
    }
    match &s.chain {
        Some(chain) => problems.extend(certificate_problems(chain, ctx.now)),
        // A handshake that failed before the certificate already says why.
        None if s.tls.is_some() => problems.push("no certificate was served".into()),
        None => {}
    }
    problems
}
