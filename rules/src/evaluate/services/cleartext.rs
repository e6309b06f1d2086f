//! SVC-002: services that carry logins in clear. FTP, POP3, IMAP and LDAP
//! are judged on the upgrade to TLS they offer; the r-services and TFTP
//! have no meaningful authentication and always fail. The reasoning is in
//! the parent module's documentation.

use serde_json::{json, Value};

use super::class::{tcp, udp, Class, NOTHING};
use super::host::{matched_json, port_and_name, port_list, unread_reason, Ctx};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{ServiceDetail, ServiceObservation};

enum Kind {
    /// A login protocol with an in-band upgrade to TLS.
    Login {
        /// The upgrade's name in this protocol.
        upgrade: &'static str,
        /// The protocol always states whether login works before TLS
        /// (IMAP's LOGINDISABLED), so a missing answer is unknown, not
        /// unobservable.
        always_states_login: bool,
    },
    /// No authentication worth the name.
    NoAuth(&'static str),
}

struct Member {
    class: Class,
    kind: Kind,
}

const fn class(services: &'static [&'static str], ports: &'static [super::class::Ports]) -> Class {
    Class {
        what: "cleartext-auth service",
        services,
        products: NOTHING,
        admin_words: NOTHING,
        ports,
        port_alone: false,
    }
}

const MEMBERS: &[Member] = &[
    Member {
        class: class(&["ftp"], &[tcp(21, 21)]),
        kind: Kind::Login {
            upgrade: "AUTH TLS",
            always_states_login: false,
        },
    },
    Member {
        class: class(&["pop3"], &[tcp(110, 110)]),
        kind: Kind::Login {
            upgrade: "STLS",
            always_states_login: false,
        },
    },
    Member {
        class: class(&["imap"], &[tcp(143, 143)]),
        kind: Kind::Login {
            upgrade: "STARTTLS",
            always_states_login: true,
        },
    },
    Member {
        class: class(&["ldap"], &[tcp(389, 389)]),
        kind: Kind::Login {
            upgrade: "StartTLS",
            always_states_login: false,
        },
    },
    Member {
        class: class(&["rexec", "rlogin", "rsh"], &[tcp(512, 514)]),
        kind: Kind::NoAuth("the r-services trust the client's address and send passwords in clear"),
    },
    Member {
        class: class(&["tftp"], &[udp(69, 69)]),
        kind: Kind::NoAuth("TFTP has no authentication"),
    },
];

enum Verdict {
    Fails(String),
    Unknown(String),
    /// The upgrade is offered; `required` says whether login before TLS is
    /// known to be refused.
    Upgraded {
        text: String,
        required: bool,
    },
}

fn judge(obs: &ServiceObservation, kind: &Kind) -> Verdict {
    let (upgrade, always_states_login) = match kind {
        Kind::NoAuth(why) => return Verdict::Fails((*why).to_owned()),
        Kind::Login {
            upgrade,
            always_states_login,
        } => (*upgrade, *always_states_login),
    };
    let detail = match &obs.detail {
        ServiceDetail::Cleartext(d) => Some(d),
        _ => None,
    };
    match detail.and_then(|d| d.starttls_offered) {
        None => Verdict::Unknown(unread_reason(obs, "capabilities")),
        Some(false) => Verdict::Fails(format!("{upgrade} not offered")),
        Some(true) => match detail.and_then(|d| d.login_disabled_before_tls) {
            Some(true) => Verdict::Upgraded {
                text: format!("{upgrade} offered, login refused before TLS"),
                required: true,
            },
            Some(false) => Verdict::Fails(format!("{upgrade} offered but login accepted before TLS")),
            None if always_states_login => {
                Verdict::Unknown(format!("{upgrade} offered; LOGINDISABLED not recorded"))
            }
            None => Verdict::Upgraded {
                text: format!(
                    "{upgrade} offered; whether it is required before login cannot be seen without a login attempt"
                ),
                required: false,
            },
        },
    }
}

fn entry(obs: &ServiceObservation, reason: &str, verdict: &str) -> Value {
    let mut v = matched_json(obs, reason);
    if let Value::Object(m) = &mut v {
        m.insert("verdict".into(), json!(verdict));
    }
    v
}

pub(super) fn evaluate(ctx: &Ctx<'_>) -> Finding {
    let host = ctx.host;
    let mut failing: Vec<(&ServiceObservation, Value, String)> = Vec::new();
    let mut unknown: Vec<(Value, String)> = Vec::new();
    let mut upgraded: Vec<(Value, String)> = Vec::new();
    for &obs in &host.services {
        let Some((member, reason)) = MEMBERS
            .iter()
            .find_map(|m| m.class.reason(obs).map(|r| (m, r)))
        else {
            continue;
        };
        let label = port_and_name(obs);
        match judge(obs, &member.kind) {
            Verdict::Fails(why) => {
                let e = entry(obs, &reason, &why);
                failing.push((obs, e, format!("{label} ({why})")));
            }
            Verdict::Unknown(why) => {
                unknown.push((entry(obs, &reason, &why), format!("{label}: {why}")));
            }
            Verdict::Upgraded { text, required } => {
                let mut e = entry(obs, &reason, &text);
                if let Value::Object(m) = &mut e {
                    let req = if required {
                        json!(true)
                    } else {
                        json!("not observable")
                    };
                    m.insert("tls_required".into(), req);
                }
                upgraded.push((e, format!("{label} ({text})")));
            }
        }
    }

    let mut ev = Evidence::new()
        .with("open_ports", host.services.len())
        .with(
            "checked_ports",
            json!(MEMBERS
                .iter()
                .flat_map(|m| m.class.checked_ports())
                .collect::<Vec<_>>()),
        )
        .with(
            "checked_services",
            json!(MEMBERS
                .iter()
                .flat_map(|m| m.class.services.iter())
                .collect::<Vec<_>>()),
        );
    let values = |list: &[(Value, String)]| json!(list.iter().map(|(v, _)| v).collect::<Vec<_>>());
    if !upgraded.is_empty() {
        ev.insert("upgraded", values(&upgraded));
    }
    if !unknown.is_empty() {
        ev.insert("unassessed", values(&unknown));
    }
    let texts = |list: &[(Value, String)]| {
        list.iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };

    if !failing.is_empty() {
        let services: Vec<&ServiceObservation> = failing.iter().map(|(s, _, _)| *s).collect();
        ev.insert("ports", port_list(&services));
        ev.insert(
            "services",
            json!(failing.iter().map(|(_, v, _)| v).collect::<Vec<_>>()),
        );
        let listed: Vec<&str> = failing.iter().map(|(_, _, t)| t.as_str()).collect();
        return ctx.host_finding(
            Status::Fail,
            format!("cleartext logins possible: {}", listed.join("; ")),
            ev,
        );
    }
    if !unknown.is_empty() {
        let reason = texts(&unknown);
        ev.insert("error", reason.as_str());
        return ctx.host_finding(Status::Error, format!("could not assess: {reason}"), ev);
    }
    let summary = if upgraded.is_empty() {
        format!(
            "no cleartext-auth service among {} open port(s)",
            host.services.len()
        )
    } else {
        texts(&upgraded)
    };
    ctx.host_finding(Status::Pass, summary, ev)
}
