//! The approved-services register that SVC-009 compares a scan with: the
//! ports a trust has approved, per host or network, optionally with the
//! service expected on them.
//!
//! ```toml
//! [[approved]]
//! host = "10.20.0.0/24"      # an address, a CIDR network, or "*" for any host
//! port = 22
//! transport = "tcp"          # optional, tcp by default
//! service = "ssh"            # optional: when set, the observed service must match
//! note = "Jump hosts, change CHG-1234"   # optional
//! ```
//!
//! Parsed with `deny_unknown_fields`, then validated: every error names the
//! file, the line and the key (`approved[2].host`). A CIDR with host bits set
//! (`10.20.0.5/24`) is refused rather than truncated: in an approval list,
//! the difference between one host and its whole network matters.

use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::CatalogueError;
use crate::observe::{ServiceObservation, Transport};
use crate::toml_location;

/// A trust's approved listening services.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRegister {
    #[serde(default)]
    pub approved: Vec<ApprovedService>,
}

/// One approved port on a host, a network or every host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovedService {
    /// An IP address, a CIDR network, or `*` for any host.
    pub host: String,
    pub port: u16,
    #[serde(default = "tcp")]
    pub transport: Transport,
    /// When set, the service identified on the port must be this one
    /// (compared without regard to case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Why it is approved: owner, change reference, review date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn tcp() -> Transport {
    Transport::Tcp
}

/// Which hosts an entry covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostPattern {
    Any,
    Addr(IpAddr),
    Net(IpNet),
}

impl HostPattern {
    /// `*`, an address, or a CIDR network without host bits.
    pub fn parse(text: &str) -> Result<HostPattern, String> {
        let text = text.trim();
        if text == "*" {
            return Ok(HostPattern::Any);
        }
        if let Ok(addr) = text.parse::<IpAddr>() {
            return Ok(HostPattern::Addr(addr));
        }
        match text.parse::<IpNet>() {
            Ok(net) if net.trunc() == net => Ok(HostPattern::Net(net)),
            Ok(net) => Err(format!(
                "`{text}` has host bits set: write `{}` for the network or `{}` for one host",
                net.trunc(),
                net.addr()
            )),
            Err(_) => Err(format!(
                "`{text}` is not an IP address, a CIDR network or `*`"
            )),
        }
    }

    /// True when `host` (an observation's address text) is covered. A host
    /// that is not an address (a name) is covered only by `*`.
    pub fn covers(&self, host: &str) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Addr(a) => host.parse::<IpAddr>().is_ok_and(|h| h == *a),
            HostPattern::Net(n) => host.parse::<IpAddr>().is_ok_and(|h| n.contains(&h)),
        }
    }
}

/// How an entry relates to an observed open port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryMatch<'a> {
    /// Host, port, transport and (if named) service all match.
    Approved,
    /// Host, port and transport match but the entry expects another service.
    WrongService { expected: &'a str },
    /// The entry is about another host, port or transport.
    Unrelated,
}

impl ApprovedService {
    /// Compares this entry with one open port. An entry whose host does not
    /// parse (never the case after validation) matches nothing.
    pub fn check(&self, obs: &ServiceObservation) -> EntryMatch<'_> {
        let host_ok = HostPattern::parse(&self.host).is_ok_and(|p| p.covers(&obs.host));
        if !host_ok || self.port != obs.port || self.transport != obs.transport {
            return EntryMatch::Unrelated;
        }
        match self.service.as_deref() {
            Some(expected)
                if !obs
                    .service
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(expected.trim())) =>
            {
                EntryMatch::WrongService { expected }
            }
            _ => EntryMatch::Approved,
        }
    }

    /// The first problem with this entry, as (key, message).
    fn problem(&self) -> Option<(&'static str, String)> {
        if let Err(message) = HostPattern::parse(&self.host) {
            return Some(("host", message));
        }
        if self.port == 0 {
            return Some(("port", port_message(0)));
        }
        if let Some(message) = self.service.as_deref().and_then(service_problem) {
            return Some(("service", message));
        }
        None
    }
}

/// A problem found by [`ServiceRegister::validate`]: the entry's index and
/// key, for callers that embed the register in their own config and know
/// where each entry starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("approved[{index}].{key}: {message}")]
pub struct RegisterProblem {
    pub index: usize,
    pub key: &'static str,
    pub message: String,
}

impl ServiceRegister {
    /// Reads and validates a register file.
    pub fn load(file: &Path) -> Result<ServiceRegister, CatalogueError> {
        let text = std::fs::read_to_string(file).map_err(|source| CatalogueError::Read {
            file: file.to_owned(),
            source,
        })?;
        ServiceRegister::from_toml_str(&text, file)
    }

    /// Parses and validates register TOML; `file` names it in errors.
    pub fn from_toml_str(
        text: &str,
        file: impl AsRef<Path>,
    ) -> Result<ServiceRegister, CatalogueError> {
        let file = file.as_ref();
        let error = |line: usize, key: String, message: String| CatalogueError::Register {
            file: file.to_owned(),
            line,
            key,
            message,
        };
        let raw: RawRegister = toml::from_str(text).map_err(|e| {
            let (line, key) = toml_location::of_error(text, &e);
            error(line, key, e.message().trim().replace('\n', " "))
        })?;
        let mut approved = Vec::with_capacity(raw.approved.len());
        for (i, entry) in raw.approved.into_iter().enumerate() {
            let at = |span: std::ops::Range<usize>, key: &str, message: String| {
                error(
                    toml_location::line_of(text, span.start),
                    format!("approved[{i}].{key}"),
                    message,
                )
            };
            HostPattern::parse(entry.host.get_ref())
                .map_err(|m| at(entry.host.span(), "host", m))?;
            let port = match u16::try_from(*entry.port.get_ref()) {
                Ok(p) if p != 0 => p,
                _ => {
                    return Err(at(
                        entry.port.span(),
                        "port",
                        port_message(*entry.port.get_ref()),
                    ))
                }
            };
            if let Some(service) = &entry.service {
                if let Some(m) = service_problem(service.get_ref()) {
                    return Err(at(service.span(), "service", m));
                }
            }
            approved.push(ApprovedService {
                host: entry.host.get_ref().trim().to_owned(),
                port,
                transport: entry.transport,
                service: entry.service.map(|s| s.into_inner().trim().to_owned()),
                note: entry.note,
            });
        }
        Ok(ServiceRegister { approved })
    }

    /// Checks a register built or deserialised elsewhere (e.g. inside the
    /// agent's config) against the same rules as [`Self::from_toml_str`].
    pub fn validate(&self) -> Result<(), RegisterProblem> {
        for (index, entry) in self.approved.iter().enumerate() {
            if let Some((key, message)) = entry.problem() {
                return Err(RegisterProblem {
                    index,
                    key,
                    message,
                });
            }
        }
        Ok(())
    }
}

fn port_message(port: i64) -> String {
    format!("must be a port from 1 to 65535, not {port}")
}

fn service_problem(service: &str) -> Option<String> {
    service
        .trim()
        .is_empty()
        .then(|| "must name a service (e.g. `ssh`) or be left out".to_owned())
}

/// The register as written, with spans so that errors can name lines.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegister {
    #[serde(default)]
    approved: Vec<RawEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    host: Spanned<String>,
    port: Spanned<i64>,
    #[serde(default = "tcp")]
    transport: Transport,
    service: Option<Spanned<String>>,
    note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_patterns() {
        assert_eq!(HostPattern::parse("*"), Ok(HostPattern::Any));
        let net = HostPattern::parse("10.20.0.0/24").unwrap();
        assert!(net.covers("10.20.0.9"));
        assert!(!net.covers("10.20.1.9"));
        assert!(!net.covers("fd00::1"));
        assert!(!net.covers("host.example"));
        let one = HostPattern::parse(" fd00::5 ").unwrap();
        assert!(one.covers("fd00::5"));
        assert!(one.covers("fd00:0::5"));
        assert!(!one.covers("fd00::6"));
        assert!(HostPattern::Any.covers("host.example"));
        let err = HostPattern::parse("10.20.0.5/24").unwrap_err();
        assert!(
            err.contains("10.20.0.0/24") && err.contains("10.20.0.5"),
            "{err}"
        );
        assert!(HostPattern::parse("10.20.0.0/33").is_err());
        assert!(HostPattern::parse("").is_err());
        assert!(HostPattern::parse("ten").is_err());
    }

    #[test]
    fn entries_match_host_port_transport_and_service() {
        let entry = ApprovedService {
            host: "10.0.0.0/8".into(),
            port: 22,
            transport: Transport::Tcp,
            service: Some("SSH".into()),
            note: None,
        };
        let mut obs = ServiceObservation::open("10.1.2.3", 22, Transport::Tcp);
        assert_eq!(
            entry.check(&obs),
            EntryMatch::WrongService { expected: "SSH" }
        );
        obs.service = Some("ssh".into());
        assert_eq!(entry.check(&obs), EntryMatch::Approved);
        obs.transport = Transport::Udp;
        assert_eq!(entry.check(&obs), EntryMatch::Unrelated);
        let obs = ServiceObservation::open("10.1.2.3", 23, Transport::Tcp);
        assert_eq!(entry.check(&obs), EntryMatch::Unrelated);
    }

    #[test]
    fn validate_finds_what_from_toml_str_refuses() {
        let mut reg = ServiceRegister {
            approved: vec![ApprovedService {
                host: "*".into(),
                port: 22,
                transport: Transport::Tcp,
                service: None,
                note: None,
            }],
        };
        assert_eq!(reg.validate(), Ok(()));
        reg.approved[0].port = 0;
        assert_eq!(reg.validate().unwrap_err().key, "port");
        reg.approved[0].host = "x".into();
        assert_eq!(
            reg.validate().unwrap_err().to_string().split(':').next(),
            Some("approved[0].host")
        );
    }
}
