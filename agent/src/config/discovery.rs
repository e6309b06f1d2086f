//! `[[discovery]]` tables: validated into the same [`DiscoveryPlan`] as
//! `scan --hosts`, with errors that name the line and the key.

use std::time::Duration;

use toml::Spanned;
use trustwatch_rules::evaluate::Exposure;
use trustwatch_rules::observe::ServiceRegister;

use super::raw::RawDiscovery;
use super::Validator;
use crate::discover::{DiscoveryInput, DiscoveryPlan, Field, Rate};
use crate::error::{Error, Result};

impl Validator<'_> {
    pub(super) fn discovery(&self, i: usize, raw: &RawDiscovery) -> Result<DiscoveryPlan> {
        let key = |name: &str| format!("discovery[{i}].{name}");
        let number = |v: &Option<Spanned<i64>>, name: &str, max: i64| -> Result<Option<u64>> {
            match v {
                None => Ok(None),
                Some(n) if (1..=max).contains(n.get_ref()) => Ok(Some(*n.get_ref() as u64)),
                Some(n) => Err(self.error(
                    n,
                    key(name),
                    format!("must be from 1 to {max}, not {}", n.get_ref()),
                )),
            }
        };
        let rate = number(&raw.rate, "rate", 1_000_000)?;
        let host_rate = number(&raw.host_rate, "host_rate", 1_000_000)?;
        let max_addresses = number(&raw.max_addresses, "max_addresses", i64::MAX)?;
        let connect_ms = number(&raw.connect_timeout_ms, "connect_timeout_ms", 30_000)?;
        let timeout = number(&raw.timeout_secs, "timeout_secs", 120)?;
        let exposure = match &raw.exposure {
            None => Exposure::default(),
            Some(text) => text
                .get_ref()
                .parse::<Exposure>()
                .map_err(|e| self.error(text, key("exposure"), e.to_string()))?,
        };
        let register = match &raw.approved {
            None => None,
            Some(file) => {
                let path = self.path(file);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    self.error(
                        file,
                        key("approved"),
                        format!("{}: cannot be read: {e}", path.display()),
                    )
                })?;
                Some(
                    ServiceRegister::from_toml_str(&text, path.display().to_string())
                        .map_err(|e| self.error(file, key("approved"), e.to_string()))?,
                )
            }
        };
        let list = |v: &Option<Spanned<Vec<String>>>| -> Vec<String> {
            v.as_ref().map(|s| s.get_ref().clone()).unwrap_or_default()
        };
        let input = DiscoveryInput {
            hosts: raw.hosts.get_ref().clone(),
            exclude: list(&raw.exclude),
            ports: raw.ports.as_ref().map(|p| p.get_ref().clone()),
            exclude_ports: raw.exclude_ports.as_ref().map(|p| p.get_ref().clone()),
            rate: rate.map(|r| Rate::PerSecond(r as u32)),
            host_rate: host_rate.map(|r| Rate::PerSecond(r as u32)),
            gentle: raw.gentle,
            allow_public: raw.allow_public,
            max_addresses,
            probe_printers: raw.probe_printers,
            exposure,
            register,
            timeout: Some(Duration::from_secs(timeout.unwrap_or(5))),
            connect_timeout: connect_ms.map(Duration::from_millis),
            dicom_ae_titles: list(&raw.dicom_ae_titles),
            snmp_communities: list(&raw.snmp_communities),
        };
        DiscoveryPlan::from_input(input).map_err(|e| {
            // Point at the key the problem is about.
            let (name, line_of): (&str, Option<usize>) = match e.field {
                Field::Hosts => ("hosts", Some(raw.hosts.span().start)),
                Field::Exclude => ("exclude", raw.exclude.as_ref().map(|s| s.span().start)),
                Field::Ports => ("ports", raw.ports.as_ref().map(|s| s.span().start)),
                Field::ExcludePorts => (
                    "exclude_ports",
                    raw.exclude_ports.as_ref().map(|s| s.span().start),
                ),
                Field::Rate => ("rate", raw.rate.as_ref().map(|s| s.span().start)),
                Field::HostRate => ("host_rate", raw.host_rate.as_ref().map(|s| s.span().start)),
                Field::MaxAddresses => (
                    "max_addresses",
                    raw.max_addresses.as_ref().map(|s| s.span().start),
                ),
                Field::ConnectTimeout => (
                    "connect_timeout_ms",
                    raw.connect_timeout_ms.as_ref().map(|s| s.span().start),
                ),
                Field::DicomAeTitle => (
                    "dicom_ae_titles",
                    raw.dicom_ae_titles.as_ref().map(|s| s.span().start),
                ),
                Field::SnmpCommunity => (
                    "snmp_communities",
                    raw.snmp_communities.as_ref().map(|s| s.span().start),
                ),
            };
            let at = line_of.unwrap_or(raw.hosts.span().start);
            Error::Config {
                file: self.file.to_owned(),
                line: trustwatch_rules::toml_location::line_of(self.text, at),
                key: key(name),
                problem: e.problem,
            }
        })
    }
}
