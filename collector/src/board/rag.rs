//! The headline: a Not / Partially / Achieved rating per CAF contributing
//! outcome the scanner evidences, from the current failing findings of the
//! rules the catalogue maps to it. Technical evidence only: an outcome also
//! rests on policy and process the scanner cannot see.
//!
//! The rule (also printed on the page):
//! - **No evidence**: no rule of the outcome has a pass or fail result.
//! - **Not achieved**: a critical or high failure, failing for more than
//!   14 days, that no live exception covers.
//! - **Partially achieved**: otherwise, any medium-or-worse failure (open
//!   or accepted under an exception).
//! - **Achieved**: no medium-or-worse failure.
//!
//! Low and info findings and best-practice rules (no mandate found) are
//! reported elsewhere but never lower a rating on their own (baseline.md,
//! "Gaps" 8).

use std::collections::BTreeSet;

use trustwatch_rules::{Catalogue, Severity};

/// The outcomes the scanner evidences, with their CAF v3.2 names.
pub const OUTCOMES: [(&str, &str); 5] = [
    ("B3.b", "Data in transit"),
    ("B4.b", "Secure configuration"),
    ("B4.d", "Vulnerability management"),
    ("C1.a", "Monitoring coverage"),
    ("A3.a", "Asset management"),
];

/// How long a high or critical failure may stay open (CE 14-day rule).
pub const OVERDUE_DAYS: i64 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    NotAchieved,
    PartiallyAchieved,
    Achieved,
    NoEvidence,
}

impl Rating {
    pub fn label(self) -> &'static str {
        match self {
            Rating::NotAchieved => "Not achieved",
            Rating::PartiallyAchieved => "Partially achieved",
            Rating::Achieved => "Achieved",
            Rating::NoEvidence => "No evidence",
        }
    }

    /// The colour's name, for the stylesheet; the label is always shown
    /// too, so the rating never rests on colour alone.
    pub fn colour(self) -> &'static str {
        match self {
            Rating::NotAchieved => "red",
            Rating::PartiallyAchieved => "amber",
            Rating::Achieved => "green",
            Rating::NoEvidence => "grey",
        }
    }
}

/// Current failing findings of one rule at one severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub rule_id: String,
    pub severity: Severity,
    pub failing: i64,
    /// Failing for more than [`OVERDUE_DAYS`] and under no live exception.
    pub overdue: i64,
    /// Under a live exception.
    pub accepted: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRating {
    pub id: &'static str,
    pub name: &'static str,
    pub rating: Rating,
    /// Rules of the outcome with a pass or fail result.
    pub rules_evidenced: usize,
    /// Medium-or-worse failures under no exception.
    pub open: i64,
    /// Of those, critical/high failing for more than 14 days.
    pub overdue: i64,
    /// Medium-or-worse failures under a live exception.
    pub accepted: i64,
}

/// Rates every outcome of [`OUTCOMES`]; `evidenced` holds the rules with
/// at least one pass or fail result.
pub fn rate(
    catalogue: &Catalogue,
    tallies: &[Tally],
    evidenced: &BTreeSet<String>,
) -> Vec<OutcomeRating> {
    OUTCOMES
        .iter()
        .map(|&(id, name)| {
            let control = format!("CAF:{id}");
            let rules: Vec<_> = catalogue
                .rules()
                .iter()
                .filter(|r| r.controls.contains(&control))
                .collect();
            let rules_evidenced = rules.iter().filter(|r| evidenced.contains(&r.id)).count();
            let (mut open, mut overdue, mut accepted) = (0, 0, 0);
            for t in tallies {
                let counted = rules.iter().any(|r| r.id == t.rule_id && !r.best_practice);
                if !counted || t.severity < Severity::Medium {
                    continue;
                }
                open += t.failing - t.accepted;
                accepted += t.accepted;
                if t.severity >= Severity::High {
                    overdue += t.overdue;
                }
            }
            let rating = if rules_evidenced == 0 {
                Rating::NoEvidence
            } else if overdue > 0 {
                Rating::NotAchieved
            } else if open > 0 || accepted > 0 {
                Rating::PartiallyAchieved
            } else {
                Rating::Achieved
            };
            OutcomeRating {
                id,
                name,
                rating,
                rules_evidenced,
                open,
                overdue,
                accepted,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(rule: &str, severity: Severity, failing: i64, overdue: i64, accepted: i64) -> Tally {
        Tally {
            rule_id: rule.into(),
            severity,
            failing,
            overdue,
            accepted,
        }
    }

    fn rating(tallies: &[Tally], evidenced: &[&str], outcome: &str) -> OutcomeRating {
        let catalogue = Catalogue::embedded().unwrap();
        let evidenced = evidenced.iter().map(|s| s.to_string()).collect();
        rate(&catalogue, tallies, &evidenced)
            .into_iter()
            .find(|o| o.id == outcome)
            .unwrap()
    }

    #[test]
    fn ratings_follow_the_documented_rule() {
        let ev = ["PATCH-001", "OS-001", "TLS-002"];
        assert_eq!(rating(&[], &[], "B4.d").rating, Rating::NoEvidence);
        assert_eq!(rating(&[], &ev, "B4.d").rating, Rating::Achieved);
        // High, overdue, not excepted.
        let o = rating(&[tally("PATCH-001", Severity::High, 3, 2, 0)], &ev, "B4.d");
        assert_eq!((o.rating, o.open, o.overdue), (Rating::NotAchieved, 3, 2));
        // High but recent.
        let o = rating(&[tally("PATCH-001", Severity::High, 3, 0, 0)], &ev, "B4.d");
        assert_eq!(o.rating, Rating::PartiallyAchieved);
        // Accepted by the SIRO: partially, never achieved.
        let o = rating(&[tally("OS-001", Severity::Critical, 1, 0, 1)], &ev, "B4.d");
        assert_eq!(
            (o.rating, o.open, o.accepted),
            (Rating::PartiallyAchieved, 0, 1)
        );
        // A medium failing for months is not "not achieved".
        let o = rating(
            &[tally("PATCH-003", Severity::Medium, 4, 4, 0)],
            &ev,
            "B4.d",
        );
        assert_eq!(o.rating, Rating::PartiallyAchieved);
    }

    #[test]
    fn low_findings_best_practice_rules_and_other_outcomes_do_not_count() {
        let ev = ["TLS-002", "TLS-004", "SSH-002"];
        // TLS-004 is low; TLS-002 maps to B3.b, not B4.d.
        let t = [
            tally("TLS-004", Severity::Low, 9, 9, 0),
            tally("TLS-002", Severity::High, 1, 1, 0),
        ];
        assert_eq!(rating(&t, &ev, "B4.d").rating, Rating::NoEvidence);
        assert_eq!(rating(&t, &ev, "B3.b").rating, Rating::NotAchieved);
        let catalogue = Catalogue::embedded().unwrap();
        let bp = catalogue
            .rules()
            .iter()
            .find(|r| r.best_practice && r.controls.iter().any(|c| c == "CAF:B3.b"))
            .expect("a best-practice rule mapped to B3.b");
        let t = [tally(&bp.id, Severity::High, 5, 5, 0)];
        assert_eq!(rating(&t, &ev, "B3.b").rating, Rating::Achieved);
    }
}
