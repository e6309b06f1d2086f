//! MAIL-013: the domain's mail route is evidenced as DCB1596: NHSmail MX
//! hosts, or the domain on the accredited-domain list.

use serde_json::json;

use super::{Ctx, Mx};
use crate::finding::{Finding, Status};
use crate::observe::MailService;

/// Said whenever Microsoft 365 MX hosts are seen without the list's word.
pub(crate) const M365_NOTE: &str = "Microsoft 365 MX hosts alone are not evidence of DCB1596 accreditation: the accreditation belongs to the organisation's service, so the domain must be on the accredited-domain list";

pub(super) fn evidenced(ctx: &Ctx<'_>) -> Finding {
    let domain = &ctx.obs.domain;
    let mut ev = ctx.evidence().with(
        "accredited_list",
        ctx.obs.accredited.as_ref().map(|a| {
            json!({
                "source": a.source,
                "entries": a.entries,
                "listed": a.listed,
                "problems": a.problems,
            })
        }),
    );
    let hosts = ctx.obs.mx.outcome.hosts();
    ev.insert(
        "mx",
        hosts
            .iter()
            .map(|h| json!({"name": h.name, "service": h.service.as_str()}))
            .collect::<Vec<_>>(),
    );
    if let Some(list) = ctx.obs.accredited.as_ref().filter(|a| a.listed) {
        return ctx.finding(
            Status::Pass,
            format!(
                "{domain} is on the accredited-domain list ({})",
                list.source
            ),
            ev,
        );
    }
    let hosts = match ctx.mx() {
        Mx::Hosts(hosts) => hosts,
        Mx::Stop(status, reason) => return ctx.stopped(status, reason, ev),
    };
    if hosts.iter().all(|h| h.service == MailService::Nhsmail) {
        return ctx.finding(
            Status::Pass,
            format!("every MX of {domain} is an NHSmail host"),
            ev,
        );
    }
    let mut notes = Vec::new();
    if hosts.iter().any(|h| h.service == MailService::Microsoft365) {
        notes.push(M365_NOTE.to_owned());
    }
    if ctx.obs.accredited.is_none() {
        notes.push("no accredited-domain list was given to the agent".to_owned());
    }
    let others: Vec<String> = hosts
        .iter()
        .filter(|h| h.service != MailService::Nhsmail)
        .map(|h| format!("{} ({})", h.name, h.service.as_str()))
        .collect();
    ev.insert("notes", notes);
    ctx.finding(
        Status::Fail,
        format!(
            "{domain} is not on the accredited-domain list and not every MX is NHSmail: {}",
            others.join(", ")
        ),
        ev,
    )
}
