//! Central scan policy: what the collector says this agent's site should
//! scan, fetched at the start of every cycle and merged with the local
//! config into the plan the cycle runs.
//!
//! Decisions:
//! - The merge ([`apply`]) is a pure function of (local plan, policy), so
//!   every rule below is unit-tested without a collector.
//! - Policy can only narrow what the local config allows and add targets
//!   to it; the agent's own safety rules still apply to everything: local
//!   exclusions win over policy targets, discovery keeps its scope limits,
//!   gentle mode and timeouts. `scope`, when non-empty, keeps a TLS target
//!   only if its IP is inside a scope network or its name is a scope name
//!   (names are not resolved to decide, so a name must be listed by name),
//!   and narrows each discovery range to its overlap with the scope. A
//!   scope whose entries are all invalid matches nothing: it fails closed.
//! - Domain checks are not host targets: `scope` leaves them alone, an
//!   `exclude` entry naming a domain removes it.
//! - The last policy received is cached in the spool folder and used while
//!   the collector is unreachable; a 404 (`no_policy`) clears it.
//! - Entries that do not validate are skipped, one warning each naming
//!   them; the rest of the policy applies.

mod apply;
mod cache;
mod fetch;

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::target::Host;

pub use self::apply::{apply, Note, Plan};
pub use self::cache::{load_cached, remove_cached, save_cached, POLICY_FILE};
pub use self::fetch::{fetch, Fetched, POLICY_PATH};

/// The policy as the collector serves it. Unknown keys from a newer
/// collector are ignored rather than refused: an agent must keep scanning
/// through an upgrade of its collector.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub site: String,
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_secs: Option<i64>,
    #[serde(default)]
    pub scope: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub tls_targets: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub disabled_rules: Vec<String>,
}

/// Networks and names, from `scope` or `exclude`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostSet {
    pub nets: Vec<IpNet>,
    /// Lower case, without a trailing dot.
    pub names: Vec<String>,
}

impl HostSet {
    /// Parses entries; returns the set and the entries that are neither a
    /// network, an address nor a host name.
    pub fn parse(entries: &[String]) -> (HostSet, Vec<String>) {
        let mut set = HostSet::default();
        let mut invalid = Vec::new();
        for entry in entries {
            let text = entry.trim();
            if let Ok(net) = text.parse::<IpNet>() {
                set.nets.push(net.trunc());
            } else if let Ok(ip) = text.parse::<IpAddr>() {
                set.nets.push(IpNet::from(ip));
            } else if let Some(Host::Name(name)) = Host::parse(text.trim_end_matches('.')) {
                set.names.push(name.as_ref().to_ascii_lowercase());
            } else {
                invalid.push(entry.clone());
            }
        }
        (set, invalid)
    }

    pub fn contains_ip(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(&ip))
    }

    pub fn contains_name(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.');
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    pub fn contains(&self, host: &Host) -> bool {
        match host {
            Host::Ip(ip) => self.contains_ip(*ip),
            Host::Name(name) => self.contains_name(name.as_ref()),
        }
    }
}

/// `disabled_rules`: rule ids, or prefixes ending in `*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFilter {
    exact: Vec<String>,
    prefixes: Vec<String>,
}

impl RuleFilter {
    /// Parses patterns; returns the filter and the patterns refused (not a
    /// rule id, or a bare `*` that would silence every rule).
    pub fn parse(patterns: &[String]) -> (RuleFilter, Vec<String>) {
        let mut filter = RuleFilter::default();
        let mut invalid = Vec::new();
        for pattern in patterns {
            let text = pattern.trim().to_ascii_uppercase();
            let (stem, prefix) = match text.strip_suffix('*') {
                Some(stem) => (stem, true),
                None => (text.as_str(), false),
            };
            let ok = !stem.is_empty()
                && stem.len() <= 64
                && stem
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            match (ok, prefix) {
                (false, _) => invalid.push(pattern.clone()),
                (true, true) => filter.prefixes.push(stem.to_owned()),
                (true, false) => filter.exact.push(stem.to_owned()),
            }
        }
        (filter, invalid)
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.prefixes.is_empty()
    }

    /// True when findings of `rule_id` are not to be reported.
    pub fn drops(&self, rule_id: &str) -> bool {
        self.exact.iter().any(|r| r.eq_ignore_ascii_case(rule_id))
            || self.prefixes.iter().any(|p| {
                rule_id
                    .get(..p.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(p))
            })
    }
}

#[cfg(test)]
mod tests;
