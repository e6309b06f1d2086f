//! What every service rule shares: the open ports grouped by host, the
//! context a rule is judged in, and how services are written into evidence.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::catalogue::Rule;
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{IdentifiedBy, ServiceDetail, ServiceObservation, Transport};
use crate::severity::Severity;

/// One host's open ports, in the order observed.
pub(super) struct Host<'a> {
    /// The address text as in the observations.
    pub name: &'a str,
    pub services: Vec<&'a ServiceObservation>,
}

impl<'a> Host<'a> {
    /// Hosts in order of first appearance.
    pub fn group(services: &'a [ServiceObservation]) -> Vec<Host<'a>> {
        let mut hosts: Vec<Host<'a>> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for obs in services {
            let i = *index.entry(obs.host.as_str()).or_insert_with(|| {
                hosts.push(Host {
                    name: obs.host.as_str(),
                    services: Vec::new(),
                });
                hosts.len() - 1
            });
            hosts[i].services.push(obs);
        }
        hosts
    }

    /// True when `port` is open on this host over `transport`.
    pub fn has_port(&self, transport: Transport, port: u16) -> bool {
        self.services
            .iter()
            .any(|s| s.transport == transport && s.port == port)
    }
}

/// One rule judged on one host.
pub(super) struct Ctx<'a> {
    pub rule: &'a Rule,
    pub host: &'a Host<'a>,
    /// The rule's severity at the scan's exposure.
    pub severity: Severity,
}

impl<'a> Ctx<'a> {
    /// A finding about the whole host.
    pub fn host_finding(&self, status: Status, summary: String, evidence: Evidence) -> Finding {
        Finding::for_rule(self.rule, self.host.name, status, summary, evidence)
            .with_severity(self.severity)
    }

    /// A finding about one service, target `host:port`.
    pub fn service_finding(
        &self,
        obs: &ServiceObservation,
        status: Status,
        summary: String,
        evidence: Evidence,
    ) -> Finding {
        Finding::for_rule(self.rule, &obs.endpoint(), status, summary, evidence)
            .with_severity(self.severity)
    }

    /// An `error` for a service whose facts the rule needs were not read.
    pub fn unassessed(&self, obs: &ServiceObservation, what: &str) -> Finding {
        let reason = unread_reason(obs, what);
        let evidence = service_evidence(obs).with("error", reason.as_str());
        self.service_finding(
            obs,
            Status::Error,
            format!("could not assess: {reason}"),
            evidence,
        )
    }

    /// The host's services `pick` selects, in order.
    pub fn services_where(
        &self,
        pick: impl Fn(&ServiceObservation) -> bool,
    ) -> Vec<&'a ServiceObservation> {
        self.host
            .services
            .iter()
            .copied()
            .filter(|s| pick(s))
            .collect()
    }
}

/// Why a protocol's facts are missing, e.g. `KEXINIT not read: timeout
/// after banner`.
pub(super) fn unread_reason(obs: &ServiceObservation, what: &str) -> String {
    match (&obs.note, obs.identified_by) {
        (Some(note), _) => format!("{what} not read: {note}"),
        (None, IdentifiedBy::Port) => {
            format!("{what} not read: identified by port only (gentle mode or no answer)")
        }
        (None, _) => format!("{what} not read"),
    }
}

/// `23/tcp`.
pub(super) fn port_text(obs: &ServiceObservation) -> String {
    format!("{}/{}", obs.port, obs.transport.as_str())
}

/// `23/tcp telnet`, or `23/tcp` when nothing was identified.
pub(super) fn port_and_name(obs: &ServiceObservation) -> String {
    match &obs.service {
        Some(name) => format!("{} {name}", port_text(obs)),
        None => port_text(obs),
    }
}

/// How a service is listed in evidence: what is listening, plus the
/// protocol facts a reader needs to re-check the finding.
pub(super) fn service_json(obs: &ServiceObservation) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("port".into(), json!(obs.port));
    m.insert("transport".into(), json!(obs.transport.as_str()));
    m.insert("service".into(), json!(obs.service));
    m.insert("product".into(), json!(obs.product));
    m.insert("version".into(), json!(obs.version));
    match &obs.detail {
        ServiceDetail::Dicom(d) => {
            m.insert("association".into(), json!(d.association));
            m.insert(
                "verification_accepted".into(),
                json!(d.verification_accepted),
            );
            m.insert("called_ae_title".into(), json!(d.called_ae_title));
            m.insert("calling_ae_title".into(), json!(d.calling_ae_title));
        }
        ServiceDetail::Http(d) => {
            if let Some(a) = &d.admin_interface {
                m.insert("admin_interface".into(), json!(a));
            }
        }
        ServiceDetail::Cleartext(d) => {
            m.insert("starttls_offered".into(), json!(d.starttls_offered));
            m.insert(
                "login_disabled_before_tls".into(),
                json!(d.login_disabled_before_tls),
            );
        }
        _ => {}
    }
    m
}

/// `service_json` with a `reason` it matched.
pub(super) fn matched_json(obs: &ServiceObservation, reason: &str) -> Value {
    let mut m = service_json(obs);
    m.insert("reason".into(), json!(reason));
    Value::Object(m)
}

/// Evidence for a per-service finding: the endpoint and what listens there.
pub(super) fn service_evidence(obs: &ServiceObservation) -> Evidence {
    let mut ev = Evidence::new().with("endpoint", obs.endpoint());
    for (k, v) in [
        ("transport", json!(obs.transport.as_str())),
        ("service", json!(obs.service)),
        ("product", json!(obs.product)),
        ("version", json!(obs.version)),
    ] {
        ev.insert(k, v);
    }
    ev
}

/// Port numbers, each once, in order.
pub(super) fn port_list(services: &[&ServiceObservation]) -> Vec<u16> {
    let mut ports: Vec<u16> = Vec::new();
    for s in services {
        if !ports.contains(&s.port) {
            ports.push(s.port);
        }
    }
    ports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_keep_their_first_appearance_order() {
        let obs = [
            ServiceObservation::open("10.0.0.2", 22, Transport::Tcp),
            ServiceObservation::open("10.0.0.1", 80, Transport::Tcp),
            ServiceObservation::open("10.0.0.2", 443, Transport::Tcp),
        ];
        let hosts = Host::group(&obs);
        let names: Vec<&str> = hosts.iter().map(|h| h.name).collect();
        assert_eq!(names, ["10.0.0.2", "10.0.0.1"]);
        assert_eq!(hosts[0].services.len(), 2);
        assert!(hosts[0].has_port(Transport::Tcp, 443));
        assert!(!hosts[0].has_port(Transport::Udp, 443));
    }

    #[test]
    fn unread_reasons_say_why() {
        let mut obs = ServiceObservation::open("10.0.0.2", 22, Transport::Tcp);
        assert_eq!(unread_reason(&obs, "KEXINIT"), "KEXINIT not read");
        obs.identified_by = IdentifiedBy::Port;
        assert!(unread_reason(&obs, "KEXINIT").contains("port only"));
        obs.note = Some("timeout after banner".into());
        assert_eq!(
            unread_reason(&obs, "KEXINIT"),
            "KEXINIT not read: timeout after banner"
        );
    }
}
