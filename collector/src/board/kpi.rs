//! The six board KPIs at any moment of the period, reconstructed from
//! history rather than read from today's state: a finding's status at `t`
//! is its last recorded change at or before `t` (`finding_changes`), an
//! exception applies at `t` between its creation and its expiry or
//! withdrawal, and an agent was in contact at `t` if it reported within the
//! staleness window before `t`. Pure functions over rows the store gave
//! (`data.rs`), so every rule below is unit-tested without a database.

use std::collections::{BTreeMap, BTreeSet};

use trustwatch_rules::Severity;

pub const DAY: i64 = 86_400;

/// A high/critical fix released more than 14 days ago and not installed
/// (software, network-device firmware): the CE 14-day rule.
pub const PATCH_RULES: [&str; 2] = ["PATCH-001", "PATCH-005"];
/// Unsupported operating system.
pub const UNSUPPORTED_RULE: &str = "OS-001";
/// Internet-exposed criticals: RDP, SMB, data stores, clinical protocols,
/// SSL 2/3, expired certificates.
pub const EXPOSED_RULES: [&str; 6] = [
    "SVC-003", "SVC-004", "SVC-005", "SVC-008", "TLS-001", "CERT-001",
];
/// A domain is fully protected when all of these pass: SPF valid and
/// strict, DMARC valid and enforcing, MX STARTTLS, MTA-STS enforcing.
pub const MAIL_RULES: [&str; 6] = [
    "MAIL-001", "MAIL-002", "MAIL-003", "MAIL-004", "MAIL-007", "MAIL-009",
];
/// Fails from 30 days before expiry (and after it, with CERT-001).
pub const NEAR_EXPIRY_RULE: &str = "CERT-002";
pub const EXPIRED_RULE: &str = "CERT-001";

/// Every rule the KPIs read, once each.
pub fn rules() -> Vec<&'static str> {
    let mut all: BTreeSet<&'static str> = BTreeSet::new();
    all.extend(PATCH_RULES);
    all.insert(UNSUPPORTED_RULE);
    all.extend(EXPOSED_RULES);
    all.extend(MAIL_RULES);
    all.insert(NEAR_EXPIRY_RULE);
    all.into_iter().collect()
}

/// A finding's status as the KPIs care about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    Pass,
    Fail,
    /// `error` or `not_applicable`: reported, but neither.
    Other,
}

impl Seen {
    /// `None` for `absent` (no longer reported).
    pub fn parse(status: &str) -> Option<Seen> {
        match status {
            "pass" => Some(Seen::Pass),
            "fail" => Some(Seen::Fail),
            "absent" => None,
            _ => Some(Seen::Other),
        }
    }
}

/// One recorded change: from `at` on, the finding is `seen` (`None`:
/// not reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub at: i64,
    pub seen: Option<Seen>,
    pub severity: Severity,
}

/// The history of one (agent, target, rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHistory {
    pub site: String,
    pub target: String,
    pub rule_id: String,
    /// The state before the first step, when retention deleted older
    /// changes (the first kept change's `from_status`); `None` when the
    /// first step is the first sighting.
    pub before: Option<(Seen, Severity)>,
    /// Oldest first.
    pub steps: Vec<Step>,
}

impl KeyHistory {
    /// The status and severity at `t`, `None` when not reported then.
    pub fn at(&self, t: i64) -> Option<(Seen, Severity)> {
        let n = self.steps.partition_point(|s| s.at <= t);
        match n.checked_sub(1).map(|i| &self.steps[i]) {
            None => self.before,
            Some(step) => step.seen.map(|seen| (seen, step.severity)),
        }
    }
}

/// An exception's lifetime: it applies from its creation until it expires
/// or is withdrawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionSpan {
    pub site: Option<String>,
    pub rule_id: String,
    /// A target, or `*` for every target.
    pub target: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub withdrawn_at: Option<i64>,
}

impl ExceptionSpan {
    pub fn live_at(&self, t: i64) -> bool {
        self.created_at <= t && t < self.expires_at && self.withdrawn_at.is_none_or(|w| t < w)
    }

    pub fn covers(&self, site: &str, rule_id: &str, target: &str, t: i64) -> bool {
        self.rule_id == rule_id
            && (self.target == target || self.target == "*")
            && self.site.as_deref().is_none_or(|s| s == site)
            && self.live_at(t)
    }
}

/// An agent's lifetime and the times it was heard from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSpan {
    pub first_seen: i64,
    pub revoked_at: Option<i64>,
    /// Ascending.
    pub contacts: Vec<i64>,
}

/// What the reconstruction reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Findings of [`rules`] only.
    pub keys: Vec<KeyHistory>,
    pub exceptions: Vec<ExceptionSpan>,
    pub agents: Vec<AgentSpan>,
    /// PATCH-006's window (`[agents] stale_after_secs`).
    pub stale_after: i64,
}

/// `good` of `of`, e.g. hosts without an overdue fix of hosts assessed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ratio {
    pub good: u64,
    pub of: u64,
}

impl Ratio {
    /// `None` when nothing was assessed: no data is not 0 % or 100 %.
    pub fn percent(self) -> Option<f64> {
        (self.of > 0).then(|| self.good as f64 * 100.0 / self.of as f64)
    }
}

/// The KPIs at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub at: i64,
    /// Hosts with a PATCH-001/005 result, and those not failing either.
    pub patched: Ratio,
    /// Hosts failing OS-001 whose every failure a live exception covers.
    pub unsupported_accepted: u64,
    pub unsupported_open: u64,
    /// Distinct (target, rule) failing an [`EXPOSED_RULES`] rule at
    /// critical severity (internal exposure is reported one level lower).
    pub exposed_critical: u64,
    /// Domains with a result for any [`MAIL_RULES`] rule, and those
    /// passing all six.
    pub mail_protected: Ratio,
    /// Targets failing CERT-002 but not CERT-001: expiring within 30 days,
    /// not yet expired.
    pub certs_expiring: u64,
    /// Agents enrolled and not revoked, and those heard from within the
    /// staleness window.
    pub coverage: Ratio,
}

/// Evenly spaced moments over `period_days` ending at `as_of`: weekly for
/// two weeks or more (13 points for 90 days), else daily; at most 53.
pub fn points(as_of: i64, period_days: i64) -> Vec<i64> {
    let step_days = if period_days >= 14 { 7 } else { 1 };
    let intervals = (period_days / step_days).clamp(1, 52);
    let span = period_days * DAY;
    (0..=intervals)
        .map(|i| as_of - span + span * i / intervals)
        .collect()
}

pub fn trend(history: &History, points: &[i64]) -> Vec<Snapshot> {
    points.iter().map(|t| snapshot(history, *t)).collect()
}

/// The host part of a target, as the store's `findings.host` column
/// computes it: `h` of `h:443`, `::1` of `[::1]:443`, else the target.
pub fn host_of(target: &str) -> &str {
    if let Some(rest) = target.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            return &rest[..end];
        }
    }
    match target.split_once(':') {
        Some((host, port)) if !port.contains(':') => host,
        _ => target,
    }
}

pub fn snapshot(h: &History, t: i64) -> Snapshot {
    // host -> overdue
    let mut patch: BTreeMap<&str, bool> = BTreeMap::new();
    // target -> every failure accepted
    let mut unsupported: BTreeMap<&str, bool> = BTreeMap::new();
    let mut exposed: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut mail: BTreeMap<&str, [Option<bool>; MAIL_RULES.len()]> = BTreeMap::new();
    let mut near_expiry: BTreeSet<&str> = BTreeSet::new();
    let mut expired: BTreeSet<&str> = BTreeSet::new();
    for k in &h.keys {
        let Some((seen, severity)) = k.at(t) else {
            continue;
        };
        let fail = seen == Seen::Fail;
        let rule = k.rule_id.as_str();
        if PATCH_RULES.contains(&rule) {
            *patch.entry(host_of(&k.target)).or_default() |= fail;
        }
        if rule == UNSUPPORTED_RULE && fail {
            let accepted = h
                .exceptions
                .iter()
                .any(|x| x.covers(&k.site, rule, &k.target, t));
            let all = unsupported.entry(&k.target).or_insert(true);
            *all &= accepted;
        }
        if EXPOSED_RULES.contains(&rule) && fail && severity == Severity::Critical {
            exposed.insert((&k.target, rule));
        }
        if let Some(i) = MAIL_RULES.iter().position(|r| *r == rule) {
            // Two agents checking one domain: both must see it pass.
            let slot = &mut mail.entry(&k.target).or_default()[i];
            *slot = Some(slot.unwrap_or(true) && seen == Seen::Pass);
        }
        if rule == NEAR_EXPIRY_RULE && fail {
            near_expiry.insert(&k.target);
        }
        if rule == EXPIRED_RULE && fail {
            expired.insert(&k.target);
        }
    }
    let count = |n: usize| n as u64;
    let mut coverage = Ratio::default();
    for a in &h.agents {
        if a.first_seen > t || a.revoked_at.is_some_and(|r| r <= t) {
            continue;
        }
        coverage.of += 1;
        let before = a.contacts.partition_point(|c| *c <= t);
        if before > 0 && a.contacts[before - 1] > t - h.stale_after {
            coverage.good += 1;
        }
    }
    Snapshot {
        at: t,
        patched: Ratio {
            good: count(patch.values().filter(|overdue| !**overdue).count()),
            of: count(patch.len()),
        },
        unsupported_accepted: count(unsupported.values().filter(|a| **a).count()),
        unsupported_open: count(unsupported.values().filter(|a| !**a).count()),
        exposed_critical: count(exposed.len()),
        mail_protected: Ratio {
            good: count(
                mail.values()
                    .filter(|r| r.iter().all(|p| *p == Some(true)))
                    .count(),
            ),
            of: count(mail.len()),
        },
        certs_expiring: count(near_expiry.difference(&expired).count()),
        coverage,
    }
}

#[cfg(test)]
#[path = "kpi/tests.rs"]
mod tests;
