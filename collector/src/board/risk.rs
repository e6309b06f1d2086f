//! The top failing findings as candidate risk-register entries, scored on
//! the NPSA 5×5 consequence × likelihood matrix that trust risk registers
//! and Board Assurance Frameworks use. The mapping (also on the page):
//!
//! - **Consequence** from severity: critical 5, high 4, medium 3, low 2,
//!   info 1.
//! - **Likelihood** starts at 2 (unlikely); +1 when the finding is exposed
//!   to the internet (a rule probed from outside or a DNS/mail rule, at its
//!   internet-facing severity), +1 when it has been failing for more than
//!   30 days, +1 for a vulnerability on the NHS alert / known-exploited list
//!   (PATCH-002); −1 when a live exception records a compensating control;
//!   kept within 1..=5.
//! - **Score** = consequence × likelihood; bands 1–3 low (green), 4–6
//!   moderate (yellow), 8–12 high (amber), 15–25 extreme (red).
//! - **Due**: failing since + 14 days for critical and high (the CE
//!   14-day rule), + 30 days for medium, + 90 days for low and info.
//! - **Owner**: the live exception's owner, else the site's owner from
//!   `[board.owners]`, else "unassigned".

use std::collections::{BTreeMap, BTreeSet};

use trustwatch_rules::{Catalogue, Mode, Rule, Severity};

use super::kpi::DAY;

/// One current failing finding, as read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub site: String,
    pub target: String,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    /// When it last changed to failing.
    pub failing_since: i64,
    /// The owner named by the live exception covering it, if any.
    pub exception_owner: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    Low,
    Moderate,
    High,
    Extreme,
}

impl Band {
    pub fn of(score: u8) -> Band {
        match score {
            0..=3 => Band::Low,
            4..=6 => Band::Moderate,
            7..=12 => Band::High,
            _ => Band::Extreme,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Band::Low => "Low",
            Band::Moderate => "Moderate",
            Band::High => "High",
            Band::Extreme => "Extreme",
        }
    }

    pub fn colour(self) -> &'static str {
        match self {
            Band::Low => "green",
            Band::Moderate => "yellow",
            Band::High => "amber",
            Band::Extreme => "red",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskEntry {
    pub site: String,
    /// The host or target at risk.
    pub asset: String,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub internet: bool,
    pub consequence: u8,
    pub likelihood: u8,
    pub score: u8,
    pub band: Band,
    pub owner: String,
    pub failing_since: i64,
    pub due: i64,
    pub accepted: bool,
}

pub fn consequence(severity: Severity) -> u8 {
    match severity {
        Severity::Critical => 5,
        Severity::High => 4,
        Severity::Medium => 3,
        Severity::Low => 2,
        Severity::Info => 1,
    }
}

/// Exposed to the internet: probed from outside (or a domain's public DNS
/// and mail), at the rule's internet-facing severity when the rule also
/// runs inside (internal exposure is reported one level lower).
pub fn internet_facing(rule: &Rule, severity: Severity) -> bool {
    let outside = rule
        .modes
        .iter()
        .any(|m| matches!(m, Mode::External | Mode::Dns));
    let inside = rule
        .modes
        .iter()
        .any(|m| matches!(m, Mode::Internal | Mode::Agent));
    outside && (!inside || severity >= rule.severity)
}

pub fn likelihood(internet: bool, age_days: i64, known_exploited: bool, accepted: bool) -> u8 {
    let mut l: i32 = 2;
    l += i32::from(internet);
    l += i32::from(age_days > 30);
    l += i32::from(known_exploited);
    l -= i32::from(accepted);
    l.clamp(1, 5) as u8
}

pub fn due(severity: Severity, failing_since: i64) -> i64 {
    let days = match severity {
        Severity::Critical | Severity::High => 14,
        Severity::Medium => 30,
        Severity::Low | Severity::Info => 90,
    };
    failing_since + days * DAY
}

pub fn entry(
    c: &Candidate,
    rule: Option<&Rule>,
    owners: &BTreeMap<String, String>,
    as_of: i64,
) -> RiskEntry {
    let internet = rule.is_some_and(|r| internet_facing(r, c.severity));
    let accepted = c.exception_owner.is_some();
    let age_days = (as_of - c.failing_since) / DAY;
    let consequence = consequence(c.severity);
    let likelihood = likelihood(internet, age_days, c.rule_id == "PATCH-002", accepted);
    let score = consequence * likelihood;
    let owner = c
        .exception_owner
        .clone()
        .or_else(|| owners.get(&c.site).cloned())
        .unwrap_or_else(|| "unassigned".to_owned());
    RiskEntry {
        site: c.site.clone(),
        asset: c.target.clone(),
        rule_id: c.rule_id.clone(),
        title: c.title.clone(),
        severity: c.severity,
        internet,
        consequence,
        likelihood,
        score,
        band: Band::of(score),
        owner,
        failing_since: c.failing_since,
        due: due(c.severity, c.failing_since),
        accepted,
    }
}

/// The `n` highest-scoring entries, one per (target, rule) however many
/// agents report it; ties go to the higher consequence, then the older.
pub fn top(
    candidates: &[Candidate],
    catalogue: &Catalogue,
    owners: &BTreeMap<String, String>,
    as_of: i64,
    n: usize,
) -> Vec<RiskEntry> {
    let mut entries: Vec<RiskEntry> = candidates
        .iter()
        .map(|c| entry(c, catalogue.rule(&c.rule_id), owners, as_of))
        .collect();
    entries.sort_by(|a, b| {
        (
            b.score,
            b.consequence,
            a.failing_since,
            &a.asset,
            &a.rule_id,
        )
            .cmp(&(
                a.score,
                a.consequence,
                b.failing_since,
                &b.asset,
                &b.rule_id,
            ))
    });
    let mut seen = BTreeSet::new();
    entries.retain(|e| seen.insert((e.asset.clone(), e.rule_id.clone())));
    entries.truncate(n);
    entries
}

#[cfg(test)]
#[path = "risk/tests.rs"]
mod tests;
