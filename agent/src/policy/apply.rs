//! Merging the central policy into the local plan (rules in the parent
//! module's doc). Pure: no I/O, no logging; what the caller should log
//! comes back as [`Note`]s.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use super::{HostSet, Policy, RuleFilter};
use crate::config::{Config, INTERVAL_SECS};
use crate::discover::{DiscoveryPlan, ScopeEntry};
use crate::domains::{self, DomainInput, DomainPlan};
use crate::probe::http::HttpCheck;
use crate::probe::tls::{Anchors, TlsProbeConfig};
use crate::starttls::StarttlsChoice;
use crate::target::{Host, Target};

/// What one cycle scans (the package scan is local to the host and not
/// subject to policy, so it is not here).
#[derive(Debug, Clone)]
pub struct Plan {
    pub tls: Vec<TlsProbeConfig>,
    pub discovery: Vec<DiscoveryPlan>,
    pub domains: Option<DomainPlan>,
    pub interval: Duration,
    /// Findings of these rules are left out of the report.
    pub disabled_rules: RuleFilter,
}

impl Plan {
    /// The local config's plan, before any policy.
    pub fn from_config(config: &Config) -> Plan {
        Plan {
            tls: config.tls.clone(),
            discovery: config.discovery.clone(),
            domains: config.domains.clone(),
            interval: config.interval,
            disabled_rules: RuleFilter::default(),
        }
    }

    /// True when nothing network-facing is left to scan.
    pub fn is_empty(&self) -> bool {
        self.tls.is_empty() && self.discovery.is_empty() && self.domains.is_none()
    }
}

/// Something the caller should log about the merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// Targets left out this cycle, and why (info: policy working as
    /// meant). One note per reason, naming every target.
    Skipped {
        why: &'static str,
        targets: Vec<String>,
    },
    /// A policy entry that does not validate and is skipped (a warning).
    Invalid {
        key: &'static str,
        entry: String,
        problem: String,
    },
}

impl Note {
    pub fn is_warning(&self) -> bool {
        matches!(self, Note::Invalid { .. })
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Skipped { why, targets } => {
                write!(f, "not scanned this cycle, {why}: {}", targets.join(", "))
            }
            Note::Invalid {
                key,
                entry,
                problem,
            } => write!(
                f,
                "central policy {key} entry {entry:?} is skipped: {problem}"
            ),
        }
    }
}

const OUT_OF_SCOPE: &str = "outside the central policy's scope";
const EXCLUDED: &str = "excluded by the central policy";
const LOCALLY_EXCLUDED: &str = "excluded by this agent's own config";

#[derive(Default)]
struct Notes {
    skipped: Vec<(&'static str, String)>,
    invalid: Vec<Note>,
}

impl Notes {
    fn skip(&mut self, why: &'static str, target: impl Into<String>) {
        self.skipped.push((why, target.into()));
    }

    fn invalid(&mut self, key: &'static str, entry: &str, problem: impl Into<String>) {
        self.invalid.push(Note::Invalid {
            key,
            entry: entry.to_owned(),
            problem: problem.into(),
        });
    }

    fn finish(self) -> Vec<Note> {
        let mut out = self.invalid;
        for why in [OUT_OF_SCOPE, EXCLUDED, LOCALLY_EXCLUDED] {
            let targets: Vec<String> = self
                .skipped
                .iter()
                .filter(|(w, _)| *w == why)
                .map(|(_, t)| t.clone())
                .collect();
            if !targets.is_empty() {
                out.push(Note::Skipped { why, targets });
            }
        }
        out
    }
}

/// The plan one cycle runs: `local` as narrowed and extended by `policy`.
pub fn apply(local: &Plan, policy: &Policy) -> (Plan, Vec<Note>) {
    let mut notes = Notes::default();
    let interval = match policy.interval_secs {
        None => local.interval,
        Some(secs) if INTERVAL_SECS.contains(&secs) => Duration::from_secs(secs as u64),
        Some(secs) => {
            notes.invalid(
                "interval_secs",
                &secs.to_string(),
                format!(
                    "must be from {} to {}; the local interval stays",
                    INTERVAL_SECS.start(),
                    INTERVAL_SECS.end()
                ),
            );
            local.interval
        }
    };
    let (exclude, bad) = HostSet::parse(&policy.exclude);
    for entry in bad {
        notes.invalid(
            "exclude",
            &entry,
            "not a network, an address or a host name",
        );
    }
    let scope = (!policy.scope.is_empty()).then(|| {
        let (scope, bad) = HostSet::parse(&policy.scope);
        for entry in bad {
            notes.invalid("scope", &entry, "not a network, an address or a host name");
        }
        scope
    });
    let local_exclude = local_exclusions(&local.discovery);

    let mut tls = Vec::new();
    for probe in &local.tls {
        if keep(
            probe.target.host(),
            probe.target.as_str(),
            scope.as_ref(),
            &exclude,
            None,
            &mut notes,
        ) {
            tls.push(probe.clone());
        }
    }
    let anchors = all_anchors(&local.tls, local.domains.as_ref());
    for text in &policy.tls_targets {
        let probe = match policy_tls(text, &anchors) {
            Ok(probe) => probe,
            Err(problem) => {
                notes.invalid("tls_targets", text, problem);
                continue;
            }
        };
        if tls
            .iter()
            .chain(&local.tls)
            .any(|t| t.target.as_str() == probe.target.as_str())
        {
            continue;
        }
        if keep(
            probe.target.host(),
            probe.target.as_str(),
            scope.as_ref(),
            &exclude,
            Some(&local_exclude),
            &mut notes,
        ) {
            tls.push(probe);
        }
    }

    let mut discovery = Vec::new();
    for plan in &local.discovery {
        let mut plan = plan.clone();
        if let Some(scope) = &scope {
            let before = describe(&plan.include);
            let mut narrowed = Vec::new();
            for entry in &plan.include {
                for e in narrow(entry, scope) {
                    if !narrowed.contains(&e) {
                        narrowed.push(e);
                    }
                }
            }
            if narrowed.is_empty() {
                notes.skip(OUT_OF_SCOPE, format!("discovery of {before}"));
                continue;
            }
            plan.include = narrowed;
        }
        plan.exclude
            .extend(exclude.nets.iter().map(|n| ScopeEntry::Net(n.to_string())));
        plan.exclude.extend(
            exclude
                .names
                .iter()
                .filter_map(|n| Host::parse(n))
                .map(ScopeEntry::Name),
        );
        discovery.push(plan);
    }

    let domains = merge_domains(local.domains.as_ref(), policy, &exclude, &mut notes);

    let (disabled_rules, bad) = RuleFilter::parse(&policy.disabled_rules);
    for entry in bad {
        notes.invalid(
            "disabled_rules",
            &entry,
            "not a rule id or a prefix ending in `*` (a bare `*` would silence every rule)",
        );
    }
    let plan = Plan {
        tls,
        discovery,
        domains,
        interval,
        disabled_rules,
    };
    (plan, notes.finish())
}

/// Whether a TLS target stays: not excluded (by policy, or for policy
/// targets by the agent's own exclusions), and inside the scope if any.
fn keep(
    host: &Host,
    text: &str,
    scope: Option<&HostSet>,
    exclude: &HostSet,
    local_exclude: Option<&HostSet>,
    notes: &mut Notes,
) -> bool {
    if exclude.contains(host) {
        notes.skip(EXCLUDED, text);
        false
    } else if local_exclude.is_some_and(|l| l.contains(host)) {
        notes.skip(LOCALLY_EXCLUDED, text);
        false
    } else if scope.is_some_and(|s| !s.contains(host)) {
        notes.skip(OUT_OF_SCOPE, text);
        false
    } else {
        true
    }
}

/// A policy `tls_targets` entry, validated like a `[[tls]] target`; it is
/// judged with every trust anchor the local config names.
fn policy_tls(text: &str, anchors: &Anchors) -> Result<TlsProbeConfig, String> {
    let target = Target::parse(text).map_err(|e| match e {
        crate::Error::Target { reason, .. } => reason,
        other => other.to_string(),
    })?;
    let port = target.port();
    let starttls = StarttlsChoice::ByPort.resolve(port);
    let http = HttpCheck::for_endpoint(port, starttls.is_some(), false, None);
    Ok(TlsProbeConfig {
        target,
        sni: None,
        anchors: anchors.clone(),
        starttls,
        http,
    })
}

fn all_anchors(tls: &[TlsProbeConfig], domains: Option<&DomainPlan>) -> Anchors {
    let mut anchors = Anchors::default();
    let found = tls
        .iter()
        .map(|t| &t.anchors)
        .chain(domains.map(|d| &d.anchors));
    for a in found {
        for anchor in &a.private {
            if !anchors.private.contains(anchor) {
                anchors.private.push(anchor.clone());
            }
        }
    }
    anchors
}

fn local_exclusions(discovery: &[DiscoveryPlan]) -> HostSet {
    let mut set = HostSet::default();
    for entry in discovery.iter().flat_map(|d| &d.exclude) {
        match entry {
            ScopeEntry::Net(text) => set.nets.extend(net_of(text)),
            ScopeEntry::Name(Host::Name(n)) => set.names.push(n.as_ref().to_ascii_lowercase()),
            ScopeEntry::Name(Host::Ip(ip)) => set.nets.push(IpNet::from(*ip)),
        }
    }
    set
}

fn net_of(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .map(|n| n.trunc())
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .ok()
}

/// The part of a discovery `hosts` entry inside the scope: for networks,
/// the overlap with each scope network (of two CIDR blocks that overlap,
/// one holds the other); for names, the name if the scope names it.
fn narrow(entry: &ScopeEntry, scope: &HostSet) -> Vec<ScopeEntry> {
    match entry {
        ScopeEntry::Net(text) => {
            let Some(net) = net_of(text) else {
                return Vec::new();
            };
            scope
                .nets
                .iter()
                .filter_map(|s| {
                    if s.contains(&net) {
                        Some(net)
                    } else if net.contains(s) {
                        Some(*s)
                    } else {
                        None
                    }
                })
                .map(|n| ScopeEntry::Net(n.to_string()))
                .collect()
        }
        ScopeEntry::Name(host) => {
            if scope.contains(host) {
                vec![entry.clone()]
            } else {
                Vec::new()
            }
        }
    }
}

fn describe(entries: &[ScopeEntry]) -> String {
    entries
        .iter()
        .map(|e| match e {
            ScopeEntry::Net(n) => n.clone(),
            ScopeEntry::Name(h) => h.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn merge_domains(
    local: Option<&DomainPlan>,
    policy: &Policy,
    exclude: &HostSet,
    notes: &mut Notes,
) -> Option<DomainPlan> {
    let mut plan = local.cloned();
    if let Some(plan) = &mut plan {
        plan.domains.retain(|d| {
            let keep = !exclude.contains_name(d);
            if !keep {
                notes.skip(EXCLUDED, d.clone());
            }
            keep
        });
    }
    let mut added = Vec::new();
    for text in &policy.domains {
        let name = match domains::domain_name(text) {
            Ok(name) => name,
            Err(problem) => {
                notes.invalid("domains", text, problem);
                continue;
            }
        };
        if exclude.contains_name(&name) {
            notes.skip(EXCLUDED, name);
            continue;
        }
        let known = plan.as_ref().is_some_and(|p| p.domains.contains(&name));
        if !known && !added.contains(&name) {
            added.push(name);
        }
    }
    match &mut plan {
        Some(plan) => plan.domains.extend(added),
        None if !added.is_empty() => {
            plan = DomainPlan::from_input(DomainInput {
                domains: added,
                ..DomainInput::default()
            })
            .ok();
        }
        None => {}
    }
    plan.filter(|p| !p.domains.is_empty())
}
