//! SVC-001 and SVC-003…SVC-008: a class of service that must not be
//! reachable (from the internet, or at all for Telnet), found by the name
//! identified on any port, by product, by management-page fingerprint, or
//! by its well-known ports.

use serde_json::json;

use super::host::{matched_json, port_and_name, port_list, Ctx};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::observe::{IdentifiedBy, ServiceDetail, ServiceObservation, Transport};

/// Ports a class is known by: `first..=last` over one transport.
pub(super) struct Ports {
    pub transport: Transport,
    pub first: u16,
    pub last: u16,
}

pub(super) const fn tcp(first: u16, last: u16) -> Ports {
    Ports {
        transport: Transport::Tcp,
        first,
        last,
    }
}

pub(super) const fn udp(first: u16, last: u16) -> Ports {
    Ports {
        transport: Transport::Udp,
        first,
        last,
    }
}

impl Ports {
    fn contains(&self, obs: &ServiceObservation) -> bool {
        obs.transport == self.transport && (self.first..=self.last).contains(&obs.port)
    }

    fn text(&self) -> String {
        let t = self.transport.as_str();
        if self.first == self.last {
            format!("{}/{t}", self.first)
        } else {
            format!("{}-{}/{t}", self.first, self.last)
        }
    }
}

/// A kind of service one rule is about.
pub(super) struct Class {
    /// How a summary names it, e.g. `data store`.
    pub what: &'static str,
    /// Service names (lower case) that belong to the class on any port.
    pub services: &'static [&'static str],
    /// Lower-case fragments of product names that belong to the class.
    pub products: &'static [&'static str],
    /// Lower-case words of an HTTP management-page fingerprint
    /// (`HttpDetail::admin_interface`) that belong to the class.
    pub admin_words: &'static [&'static str],
    pub ports: &'static [Ports],
    /// The port alone fails the rule, whatever answers on it: the pass
    /// condition is written about the port.
    pub port_alone: bool,
}

pub(super) const NOTHING: &[&str] = &[];

pub(super) const TELNET: Class = Class {
    what: "Telnet",
    services: &["telnet"],
    products: NOTHING,
    admin_words: NOTHING,
    ports: &[tcp(23, 23)],
    port_alone: true,
};

pub(super) const RDP: Class = Class {
    what: "RDP",
    services: &["rdp"],
    products: NOTHING,
    admin_words: NOTHING,
    ports: &[tcp(3389, 3389)],
    port_alone: false,
};

pub(super) const SMB: Class = Class {
    what: "SMB/NetBIOS",
    services: &["smb", "netbios-ssn", "netbios-ns"],
    products: NOTHING,
    admin_words: NOTHING,
    ports: &[tcp(445, 445), tcp(139, 139), udp(137, 137)],
    port_alone: true,
};

pub(super) const DATA_STORE: Class = Class {
    what: "data store",
    services: &[
        "mssql",
        "oracle",
        "oracle-tns",
        "mysql",
        "postgresql",
        "redis",
        "elasticsearch",
        "mongodb",
        "couchdb",
        "memcached",
    ],
    products: &[
        "sql server",
        "mysql",
        "mariadb",
        "postgresql",
        "redis",
        "elasticsearch",
        "opensearch",
        "mongodb",
        "couchdb",
        "memcached",
    ],
    admin_words: NOTHING,
    ports: &[
        tcp(1433, 1433),
        tcp(1521, 1521),
        tcp(3306, 3306),
        tcp(5432, 5432),
        tcp(6379, 6379),
        tcp(9200, 9200),
        tcp(27017, 27017),
        tcp(5984, 5984),
        tcp(11211, 11211),
        udp(11211, 11211),
    ],
    port_alone: false,
};

pub(super) const REMOTE_CONTROL: Class = Class {
    what: "remote-control service",
    services: &["vnc", "x11"],
    products: NOTHING,
    admin_words: NOTHING,
    ports: &[tcp(5900, 5903), tcp(6000, 6010)],
    port_alone: false,
};

pub(super) const OUT_OF_BAND: Class = Class {
    what: "out-of-band management",
    services: &["ipmi", "asf-rmcp", "amt", "intel-amt"],
    products: &[
        "active management technology",
        "integrated lights-out",
        "idrac",
    ],
    admin_words: &[
        "ilo", "idrac", "imm", "xclarity", "cimc", "bmc", "ipmi", "amt", "openbmc", "megarac",
    ],
    ports: &[udp(623, 623), tcp(16992, 16995)],
    port_alone: false,
};

pub(super) const CLINICAL: Class = Class {
    what: "clinical protocol endpoint",
    services: &["dicom", "hl7-mllp", "hl7"],
    products: NOTHING,
    admin_words: NOTHING,
    ports: &[tcp(104, 104), tcp(11112, 11112), tcp(2575, 2575)],
    port_alone: false,
};

/// Names that say how a port talks, not what it is: they do not rule out
/// the port's usual service (AMT, Elasticsearch and CouchDB speak HTTP).
const CARRIERS: &[&str] = &["http", "https", "tls"];

impl Class {
    /// Why `obs` belongs to the class, if it does.
    pub fn reason(&self, obs: &ServiceObservation) -> Option<String> {
        let name = obs.service.as_deref().map(str::to_ascii_lowercase);
        if let Some(name) = &name {
            if self.services.contains(&name.as_str()) {
                return Some(format!("identified as {name}"));
            }
        }
        if let Some(product) = &obs.product {
            let lower = product.to_ascii_lowercase();
            if self.products.iter().any(|p| lower.contains(p)) {
                return Some(format!("product {product}"));
            }
        }
        if let ServiceDetail::Http(http) = &obs.detail {
            if let Some(admin) = &http.admin_interface {
                let lower = admin.to_ascii_lowercase();
                if lower
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| self.admin_words.contains(&w))
                {
                    return Some(format!("management interface {admin}"));
                }
            }
        }
        let positively_other = matches!(
            obs.identified_by,
            IdentifiedBy::Banner | IdentifiedBy::Probe
        ) && name.as_deref().is_some_and(|n| !CARRIERS.contains(&n));
        let port = self.ports.iter().find(|p| p.contains(obs))?;
        (self.port_alone || !positively_other).then(|| format!("port {} open", port.text()))
    }

    pub fn checked_ports(&self) -> Vec<String> {
        self.ports.iter().map(Ports::text).collect()
    }
}

/// One finding for the host: fail with every member of the class found.
pub(super) fn evaluate(ctx: &Ctx<'_>, class: &Class) -> Finding {
    let host = ctx.host;
    let matched: Vec<(&ServiceObservation, String)> = host
        .services
        .iter()
        .filter_map(|&s| class.reason(s).map(|r| (s, r)))
        .collect();
    let mut ev = Evidence::new()
        .with("open_ports", host.services.len())
        .with("checked_ports", class.checked_ports())
        .with("checked_services", class.services);
    if matched.is_empty() {
        return ctx.host_finding(
            Status::Pass,
            format!(
                "no {} among {} open port(s)",
                class.what,
                host.services.len()
            ),
            ev,
        );
    }
    let services: Vec<&ServiceObservation> = matched.iter().map(|(s, _)| *s).collect();
    ev.insert("ports", port_list(&services));
    ev.insert(
        "services",
        json!(matched
            .iter()
            .map(|(s, r)| matched_json(s, r))
            .collect::<Vec<_>>()),
    );
    let listed: Vec<String> = services.iter().map(|s| port_and_name(s)).collect();
    ctx.host_finding(
        Status::Fail,
        format!("{} reachable: {}", class.what, listed.join(", ")),
        ev,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::HttpDetail;

    fn obs(port: u16, service: Option<&str>, by: IdentifiedBy) -> ServiceObservation {
        let mut o = ServiceObservation::open("10.0.0.1", port, Transport::Tcp);
        o.service = service.map(Into::into);
        o.identified_by = by;
        o
    }

    #[test]
    fn a_port_counts_unless_something_else_was_identified_there() {
        let unknown = obs(3306, None, IdentifiedBy::Unknown);
        assert_eq!(
            DATA_STORE.reason(&unknown).as_deref(),
            Some("port 3306/tcp open")
        );
        let guessed = obs(3306, Some("ssh"), IdentifiedBy::Port);
        assert!(DATA_STORE.reason(&guessed).is_some());
        let ssh = obs(3306, Some("ssh"), IdentifiedBy::Banner);
        assert_eq!(DATA_STORE.reason(&ssh), None);
        let es = obs(9200, Some("http"), IdentifiedBy::Probe);
        assert!(DATA_STORE.reason(&es).is_some());
        let elsewhere = obs(8080, Some("redis"), IdentifiedBy::Probe);
        assert_eq!(
            DATA_STORE.reason(&elsewhere).as_deref(),
            Some("identified as redis")
        );
        // Port 23 fails SVC-001 whatever answers there.
        let ssh23 = obs(23, Some("ssh"), IdentifiedBy::Banner);
        assert!(TELNET.reason(&ssh23).is_some());
        // UDP 23 is not Telnet.
        let mut udp23 = obs(23, None, IdentifiedBy::Unknown);
        udp23.transport = Transport::Udp;
        assert_eq!(TELNET.reason(&udp23), None);
    }

    #[test]
    fn bmc_pages_and_products_belong_to_out_of_band() {
        let mut ilo = obs(443, Some("https"), IdentifiedBy::Probe);
        ilo.detail = ServiceDetail::Http(HttpDetail {
            admin_interface: Some("HPE iLO 5".into()),
            ..HttpDetail::default()
        });
        assert_eq!(
            OUT_OF_BAND.reason(&ilo).as_deref(),
            Some("management interface HPE iLO 5")
        );
        let mut tomcat = ilo.clone();
        tomcat.detail = ServiceDetail::Http(HttpDetail {
            admin_interface: Some("Tomcat Manager".into()),
            ..HttpDetail::default()
        });
        assert_eq!(OUT_OF_BAND.reason(&tomcat), None);
        let mut amt = obs(8080, Some("http"), IdentifiedBy::Probe);
        amt.product = Some("Intel(R) Active Management Technology".into());
        assert!(OUT_OF_BAND.reason(&amt).is_some());
    }

    #[test]
    fn checked_ports_read_as_ranges() {
        assert_eq!(
            REMOTE_CONTROL.checked_ports(),
            ["5900-5903/tcp", "6000-6010/tcp"]
        );
        assert_eq!(SMB.checked_ports(), ["445/tcp", "139/tcp", "137/udp"]);
    }
}
