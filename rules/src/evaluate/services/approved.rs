//! SVC-009: every open port must be in the approved-services register.

use serde_json::{json, Value};

use super::host::{matched_json, port_and_name, port_list, service_json, Ctx};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::ServiceObservation;
use crate::register::{EntryMatch, ServiceRegister};

/// How one open port stands against the register.
enum Standing<'a> {
    Approved {
        note: Option<&'a str>,
    },
    /// Entries cover the port but expect other services.
    WrongService(Vec<&'a str>),
    Missing,
}

fn standing<'a>(register: &'a ServiceRegister, obs: &ServiceObservation) -> Standing<'a> {
    let mut expected = Vec::new();
    for entry in &register.approved {
        match entry.check(obs) {
            EntryMatch::Approved => {
                return Standing::Approved {
                    note: entry.note.as_deref(),
                }
            }
            EntryMatch::WrongService { expected: e } => expected.push(e),
            EntryMatch::Unrelated => {}
        }
    }
    if expected.is_empty() {
        Standing::Missing
    } else {
        Standing::WrongService(expected)
    }
}

pub(super) fn evaluate(ctx: &Ctx<'_>, register: &ServiceRegister) -> Finding {
    let host = ctx.host;
    let mut approved: Vec<Value> = Vec::new();
    let mut unapproved: Vec<(&ServiceObservation, String)> = Vec::new();
    for &obs in &host.services {
        match standing(register, obs) {
            Standing::Approved { note } => {
                let mut m = service_json(obs);
                m.insert("note".into(), json!(note));
                approved.push(Value::Object(m));
            }
            Standing::WrongService(expected) => {
                let found = obs.service.as_deref().unwrap_or("unidentified");
                unapproved.push((
                    obs,
                    format!("approved for {} only, found {found}", expected.join(" or ")),
                ));
            }
            Standing::Missing => unapproved.push((obs, "no register entry".to_owned())),
        }
    }
    let mut ev = Evidence::new()
        .with("open_ports", host.services.len())
        .with("register_entries", register.approved.len())
        .with("approved", approved);
    if unapproved.is_empty() {
        return ctx.host_finding(
            Status::Pass,
            format!(
                "all {} open port(s) are in the approved-services register",
                host.services.len()
            ),
            ev,
        );
    }
    let services: Vec<&ServiceObservation> = unapproved.iter().map(|(s, _)| *s).collect();
    ev.insert("ports", port_list(&services));
    ev.insert(
        "services",
        json!(unapproved
            .iter()
            .map(|(s, why)| matched_json(s, why))
            .collect::<Vec<_>>()),
    );
    let listed: Vec<String> = unapproved
        .iter()
        .map(|(s, why)| format!("{} ({why})", port_and_name(s)))
        .collect();
    ctx.host_finding(
        Status::Fail,
        format!(
            "{} unapproved: {}",
            if unapproved.len() == 1 {
                "1 open port".to_owned()
            } else {
                format!("{} open ports", unapproved.len())
            },
            listed.join(", ")
        ),
        ev,
    )
}
