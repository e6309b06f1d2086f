//! MAIL-010: a TLS-RPT policy with a report destination.

use super::{and_list, evidence, Ctx};
use crate::finding::{Finding, Status};

pub(super) fn published(ctx: &Ctx<'_>) -> Finding {
    let obs = ctx.policy.tls_rpt;
    let mut ev = evidence(&obs.resolver, &[&obs.lookup]);
    if obs.lookup.transient_failure().is_some() {
        return ctx.lookup_error(&obs.lookup, ev);
    }
    let name = &obs.lookup.name;
    let record = match obs.records.as_slice() {
        [] => return ctx.finding(Status::Fail, format!("no v=TLSRPTv1 record at {name}"), ev),
        [record] => record,
        many => {
            ev.insert(
                "records",
                many.iter().map(|r| r.text.clone()).collect::<Vec<_>>(),
            );
            return ctx.finding(
                Status::Fail,
                format!(
                    "{} TLS-RPT records at {name}, so senders assume there is no policy",
                    many.len()
                ),
                ev,
            );
        }
    };
    ev.insert("record", record.text.as_str());
    ev.insert("rua", record.rua.clone());
    if !record.problems.is_empty() {
        ev.insert("problems", record.problems.clone());
    }
    let usable = record
        .usable_rua()
        .iter()
        .map(|u| u.to_string())
        .collect::<Vec<_>>();
    if usable.is_empty() {
        let why = if record.problems.is_empty() {
            "no usable rua".to_string()
        } else {
            record.problems.join("; ")
        };
        return ctx.finding(
            Status::Fail,
            format!("the TLS-RPT record at {name} has no report destination: {why}"),
            ev,
        );
    }
    ctx.finding(
        Status::Pass,
        format!("TLS reports go to {}", and_list(&usable)),
        ev,
    )
}
