//! A discovery scan's settings, from the command line or the agent's
//! config, validated into a [`DiscoveryPlan`] before any socket opens.
//!
//! Both front ends fill in a [`DiscoveryInput`]; a [`PlanError`] names the
//! [`Field`] at fault, and each front end says it its own way (`--ports` on
//! the command line, `discovery.ports` and a line number in a config).

use std::net::IpAddr;
use std::time::Duration;

use trustwatch_rules::evaluate::Exposure;
use trustwatch_rules::observe::ServiceRegister;

use super::identify::IdentifyOptions;
use super::ports::PortList;
use super::sweep::{SweepConfig, SweepConfigError};
use crate::scope::{Scope, ScopeError, ScopeLimits, DEFAULT_MAX_ADDRESSES};
use crate::target::Host;

/// What a person or a config asked for, before validation.
#[derive(Debug, Clone, Default)]
pub struct DiscoveryInput {
    /// Networks, addresses or host names to scan.
    pub hosts: Vec<String>,
    /// Networks, addresses or host names never to touch.
    pub exclude: Vec<String>,
    /// A port list (`baseline` when absent).
    pub ports: Option<String>,
    pub exclude_ports: Option<String>,
    /// New connections per second, overall (`None`: the default).
    pub rate: Option<Rate>,
    /// New connections per second to one host (`None`: the default).
    pub host_rate: Option<Rate>,
    pub gentle: bool,
    pub allow_public: bool,
    pub max_addresses: Option<u64>,
    pub probe_printers: bool,
    pub exposure: Exposure,
    pub register: Option<ServiceRegister>,
    /// The longest wait for one identification step.
    pub timeout: Option<Duration>,
    /// The longest wait for one connect in the sweep.
    pub connect_timeout: Option<Duration>,
    pub dicom_ae_titles: Vec<String>,
    pub snmp_communities: Vec<String>,
}

/// A connection rate: so many a second, or no limit (only for a range the
/// operator knows can take it, and for benchmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    PerSecond(u32),
    Unlimited,
}

impl std::str::FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Rate, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("unlimited") {
            return Ok(Rate::Unlimited);
        }
        match s.parse::<u32>() {
            Ok(n) if (1..=1_000_000).contains(&n) => Ok(Rate::PerSecond(n)),
            _ => Err(format!(
                "{s:?} is not a rate: give connections per second from 1 to 1000000, or `unlimited`"
            )),
        }
    }
}

impl Rate {
    fn limit(self) -> Option<u32> {
        match self {
            Rate::PerSecond(n) => Some(n),
            Rate::Unlimited => None,
        }
    }
}

/// The setting a [`PlanError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Hosts,
    Exclude,
    Ports,
    ExcludePorts,
    Rate,
    HostRate,
    MaxAddresses,
    ConnectTimeout,
    DicomAeTitle,
    SnmpCommunity,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct PlanError {
    pub field: Field,
    pub problem: String,
}

impl PlanError {
    fn new(field: Field, problem: impl Into<String>) -> PlanError {
        PlanError {
            field,
            problem: problem.into(),
        }
    }
}

/// One `hosts`/`exclude` entry: a network or address, or a name resolved
/// when the scan starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeEntry {
    Net(String),
    Name(Host),
}

/// A validated discovery scan.
#[derive(Debug, Clone)]
pub struct DiscoveryPlan {
    pub include: Vec<ScopeEntry>,
    pub exclude: Vec<ScopeEntry>,
    pub limits: ScopeLimits,
    pub ports: PortList,
    pub sweep: SweepConfig,
    pub identify: IdentifyOptions,
    pub exposure: Exposure,
    pub register: Option<ServiceRegister>,
}

impl DiscoveryPlan {
    pub fn from_input(input: DiscoveryInput) -> Result<DiscoveryPlan, PlanError> {
        if input.hosts.is_empty() {
            return Err(PlanError::new(
                Field::Hosts,
                "give at least one network, address or host name to scan",
            ));
        }
        let include = entries(&input.hosts, Field::Hosts)?;
        let exclude = entries(&input.exclude, Field::Exclude)?;
        let limits = ScopeLimits {
            max_addresses: input
                .max_addresses
                .map(u128::from)
                .unwrap_or(DEFAULT_MAX_ADDRESSES),
            allow_public: input.allow_public,
        };
        if limits.max_addresses == 0 {
            return Err(PlanError::new(Field::MaxAddresses, "must be at least 1"));
        }
        // Literal networks are checked now, so a bad scope fails before
        // any lookup; names are checked again with their addresses at start.
        let literal = |list: &[ScopeEntry]| -> Vec<String> {
            list.iter()
                .filter_map(|e| match e {
                    ScopeEntry::Net(n) => Some(n.clone()),
                    ScopeEntry::Name(_) => None,
                })
                .collect()
        };
        let (inc, exc) = (literal(&include), literal(&exclude));
        if inc.len() == include.len() {
            build_scope(&inc, &exc, limits)
                .map_err(|e| PlanError::new(Field::Hosts, e.to_string()))?;
        }

        let mut ports = match input.ports.as_deref() {
            None => PortList::baseline(),
            Some(spec) => {
                PortList::parse(spec).map_err(|e| PlanError::new(Field::Ports, e.to_string()))?
            }
        };
        if let Some(spec) = input.exclude_ports.as_deref() {
            let without = PortList::parse(spec)
                .map_err(|e| PlanError::new(Field::ExcludePorts, e.to_string()))?;
            ports = ports.without(&without);
        }
        if ports.is_empty() {
            return Err(PlanError::new(
                Field::Ports,
                "no port is left to scan after the exclusions",
            ));
        }

        let mut sweep = SweepConfig::default();
        if let Some(rate) = input.rate {
            sweep.rate = rate.limit();
        }
        if let Some(rate) = input.host_rate {
            sweep.host_rate = rate.limit();
        }
        if let Some(t) = input.connect_timeout {
            sweep.max_timeout = t;
        }
        if input.gentle {
            sweep = sweep.into_gentle();
        }
        sweep.validate().map_err(|e| {
            let field = match &e {
                SweepConfigError::Zero { field } if field.contains("host") => Field::HostRate,
                SweepConfigError::Zero { .. } => Field::Rate,
                _ => Field::ConnectTimeout,
            };
            PlanError::new(field, e.to_string())
        })?;

        let mut identify = IdentifyOptions {
            gentle: input.gentle,
            probe_printers: input.probe_printers,
            ..IdentifyOptions::default()
        };
        if let Some(t) = input.timeout {
            identify.io_timeout = t;
        }
        if !input.dicom_ae_titles.is_empty() {
            for title in &input.dicom_ae_titles {
                check_ae_title(title)?;
            }
            identify.dicom_called_ae_titles = input.dicom_ae_titles.clone();
        }
        if !input.snmp_communities.is_empty() {
            for c in &input.snmp_communities {
                if c.is_empty() || c.len() > 64 || !c.is_ascii() {
                    return Err(PlanError::new(
                        Field::SnmpCommunity,
                        format!("{c:?} is not a community string of 1 to 64 ASCII characters"),
                    ));
                }
            }
            identify.snmp_communities = input.snmp_communities.clone();
        }
        Ok(DiscoveryPlan {
            include,
            exclude,
            limits,
            ports,
            sweep,
            identify,
            exposure: input.exposure,
            register: input.register,
        })
    }
}

/// PS3.8 §9.3.2: 1 to 16 characters of the default repertoire, not all
/// spaces, no backslash or control characters.
fn check_ae_title(title: &str) -> Result<(), PlanError> {
    let ok = !title.trim().is_empty()
        && title.len() <= 16
        && title
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'\\');
    if ok {
        Ok(())
    } else {
        Err(PlanError::new(
            Field::DicomAeTitle,
            format!("{title:?} is not an AE title (1 to 16 printable characters, no backslash)"),
        ))
    }
}

fn entries(list: &[String], field: Field) -> Result<Vec<ScopeEntry>, PlanError> {
    list.iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|text| {
            if text.parse::<IpAddr>().is_ok() || text.parse::<ipnet::IpNet>().is_ok() {
                return Ok(ScopeEntry::Net(text.to_owned()));
            }
            if text.contains('/') {
                return Err(PlanError::new(
                    field,
                    format!("{text:?} is not a network in CIDR form"),
                ));
            }
            match Host::parse(text) {
                Some(host @ Host::Name(_)) => Ok(ScopeEntry::Name(host)),
                Some(Host::Ip(ip)) => Ok(ScopeEntry::Net(ip.to_string())),
                None => Err(PlanError::new(
                    field,
                    format!("{text:?} is not a network, an address or a host name"),
                )),
            }
        })
        .collect()
}

/// The scope from literal entries (names already replaced by addresses).
pub(crate) fn build_scope(
    include: &[String],
    exclude: &[String],
    limits: ScopeLimits,
) -> Result<Scope, ScopeError> {
    let inc: Vec<&str> = include.iter().map(String::as_str).collect();
    let exc: Vec<&str> = exclude.iter().map(String::as_str).collect();
    Scope::new(&inc, &exc, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(hosts: &[&str]) -> DiscoveryInput {
        DiscoveryInput {
            hosts: hosts.iter().map(|s| s.to_string()).collect(),
            ..DiscoveryInput::default()
        }
    }

    #[test]
    fn public_and_empty_scopes_are_refused_up_front() {
        let e = DiscoveryPlan::from_input(input(&["8.8.8.0/24"])).unwrap_err();
        assert_eq!(e.field, Field::Hosts);
        assert!(e.problem.contains("public"), "{e}");
        let e = DiscoveryPlan::from_input(input(&[])).unwrap_err();
        assert_eq!(e.field, Field::Hosts);
        let mut ok = input(&["8.8.8.0/24"]);
        ok.allow_public = true;
        assert!(DiscoveryPlan::from_input(ok).is_ok());
    }

    #[test]
    fn names_and_lists_are_accepted() {
        let plan = DiscoveryPlan::from_input(input(&["127.0.0.1,localhost", "::1"])).unwrap();
        assert_eq!(plan.include.len(), 3);
        assert!(matches!(plan.include[1], ScopeEntry::Name(_)));
        let e = DiscoveryPlan::from_input(input(&["10.0.0.0/40"])).unwrap_err();
        assert!(e.problem.contains("10.0.0.0/40"), "{e}");
    }

    #[test]
    fn bad_numbers_name_their_field() {
        assert!("0".parse::<Rate>().is_err());
        assert_eq!("unlimited".parse::<Rate>(), Ok(Rate::Unlimited));
        let mut i = input(&["127.0.0.1"]);
        i.connect_timeout = Some(Duration::from_millis(5));
        assert_eq!(
            DiscoveryPlan::from_input(i).unwrap_err().field,
            Field::ConnectTimeout
        );
        let mut i = input(&["127.0.0.1"]);
        i.ports = Some("22,70000".into());
        let e = DiscoveryPlan::from_input(i).unwrap_err();
        assert_eq!(e.field, Field::Ports);
        assert!(e.problem.contains("70000"), "{e}");
        let mut i = input(&["127.0.0.1"]);
        i.ports = Some("22".into());
        i.exclude_ports = Some("1-100".into());
        assert_eq!(
            DiscoveryPlan::from_input(i).unwrap_err().field,
            Field::Ports
        );
        let mut i = input(&["127.0.0.1"]);
        i.dicom_ae_titles = vec!["A\\B".into()];
        assert_eq!(
            DiscoveryPlan::from_input(i).unwrap_err().field,
            Field::DicomAeTitle
        );
    }

    #[test]
    fn gentle_turns_identification_to_banners_only() {
        let mut i = input(&["127.0.0.1"]);
        i.gentle = true;
        let plan = DiscoveryPlan::from_input(i).unwrap();
        assert!(plan.identify.gentle);
        assert_eq!(plan.sweep.per_host_window, 1);
    }
}
