//! Time to remediate, from the history of status changes: a failing
//! episode starts when a finding turns `fail` and ends when it turns
//! `pass` (remediated), or when it is no longer reported or no longer
//! applies (closed, not shown fixed). `error` (could not check) neither
//! starts nor ends one. Episodes still failing at the end of the period
//! are open, with their age then.

use std::collections::BTreeMap;

use serde::Serialize;

use super::csv;
use crate::store::ChangeRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Episode {
    pub agent: String,
    pub site: String,
    pub target: String,
    pub rule_id: String,
    pub severity: String,
    /// Unix seconds.
    #[serde(skip)]
    pub failing_since: i64,
    pub failing_since_utc: String,
    #[serde(skip)]
    pub ended_at: Option<i64>,
    pub ended_at_utc: Option<String>,
    /// `remediated`, `closed_absent`, `closed_not_applicable` or `open`.
    pub outcome: &'static str,
    /// To the end of the episode, or to the period's end while open.
    pub seconds: i64,
}

/// The episodes of `changes` (oldest first, any keys mixed) that overlap
/// `[from, until)`; `until` is also the time open ages are measured to.
pub fn episodes(changes: &[ChangeRow], from: Option<i64>, until: i64) -> Vec<Episode> {
    let mut open: BTreeMap<(&str, &str, &str), Episode> = BTreeMap::new();
    let mut done = Vec::new();
    for c in changes {
        let at = c.at.unix_timestamp();
        let key = (c.agent.as_str(), c.target.as_str(), c.rule_id.as_str());
        match c.to_status.as_str() {
            "fail" => {
                open.entry(key).or_insert_with(|| Episode {
                    agent: c.agent.clone(),
                    site: c.site.clone(),
                    target: c.target.clone(),
                    rule_id: c.rule_id.clone(),
                    severity: c.severity.clone(),
                    failing_since: at,
                    failing_since_utc: super::utc_unix(at),
                    ended_at: None,
                    ended_at_utc: None,
                    outcome: "open",
                    seconds: 0,
                });
            }
            to @ ("pass" | "absent" | "not_applicable") => {
                if let Some(mut e) = open.remove(&key) {
                    e.outcome = match to {
                        "pass" => "remediated",
                        "absent" => "closed_absent",
                        _ => "closed_not_applicable",
                    };
                    e.ended_at = Some(at);
                    e.ended_at_utc = Some(super::utc_unix(at));
                    e.seconds = at - e.failing_since;
                    done.push(e);
                }
            }
            _ => {}
        }
    }
    for (_, mut e) in open {
        e.seconds = until - e.failing_since;
        done.push(e);
    }
    done.retain(|e| {
        e.failing_since < until && e.ended_at.is_none_or(|end| from.is_none_or(|f| end >= f))
    });
    done.sort_by(|a, b| {
        (a.failing_since, &a.agent, &a.target, &a.rule_id).cmp(&(
            b.failing_since,
            &b.agent,
            &b.target,
            &b.rule_id,
        ))
    });
    done
}

/// Counts and the median for the method statement's reader.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub remediated: usize,
    pub median_days_to_remediate: Option<f64>,
    pub closed_without_fix: usize,
    pub open: usize,
    pub oldest_open_days: Option<f64>,
}

fn days(seconds: i64) -> f64 {
    (seconds as f64 / 86_400.0 * 10.0).round() / 10.0
}

pub fn totals(episodes: &[Episode]) -> Totals {
    let mut fixed: Vec<i64> = episodes
        .iter()
        .filter(|e| e.outcome == "remediated")
        .map(|e| e.seconds)
        .collect();
    fixed.sort_unstable();
    let median = match fixed.len() {
        0 => None,
        n if n % 2 == 1 => Some(days(fixed[n / 2])),
        n => Some(days((fixed[n / 2 - 1] + fixed[n / 2]) / 2)),
    };
    let open: Vec<i64> = episodes
        .iter()
        .filter(|e| e.outcome == "open")
        .map(|e| e.seconds)
        .collect();
    Totals {
        remediated: fixed.len(),
        median_days_to_remediate: median,
        closed_without_fix: episodes
            .iter()
            .filter(|e| e.outcome.starts_with("closed"))
            .count(),
        open: open.len(),
        oldest_open_days: open.iter().max().map(|s| days(*s)),
    }
}

pub fn csv(episodes: &[Episode]) -> Vec<u8> {
    let rows: Vec<Vec<String>> = episodes
        .iter()
        .map(|e| {
            vec![
                e.agent.clone(),
                e.site.clone(),
                e.target.clone(),
                e.rule_id.clone(),
                e.severity.clone(),
                e.failing_since_utc.clone(),
                e.ended_at_utc.clone().unwrap_or_default(),
                e.outcome.to_owned(),
                e.seconds.to_string(),
                format!("{:.1}", days(e.seconds)),
            ]
        })
        .collect();
    csv::table(
        &[
            "agent",
            "site",
            "target",
            "rule_id",
            "severity",
            "failing_since_utc",
            "ended_at_utc",
            "outcome",
            "seconds",
            "days",
        ],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(id: i64, target: &str, from: Option<&str>, to: &str, at: i64) -> ChangeRow {
        ChangeRow {
            id,
            agent: "a1".into(),
            site: "north".into(),
            target: target.into(),
            rule_id: "TLS-002".into(),
            severity: "high".into(),
            from_status: from.map(str::to_owned),
            to_status: to.into(),
            at: crate::store::unix_to_time(at),
            report_id: id,
        }
    }

    const DAY: i64 = 86_400;

    #[test]
    fn failing_then_passing_is_remediated_and_still_failing_is_open() {
        let changes = [
            change(1, "h1:443", None, "fail", 10 * DAY),
            change(2, "h2:443", None, "fail", 11 * DAY),
            change(3, "h1:443", Some("fail"), "error", 12 * DAY),
            change(4, "h1:443", Some("error"), "pass", 14 * DAY),
            change(5, "h3:443", None, "fail", 15 * DAY),
            change(6, "h3:443", Some("fail"), "absent", 16 * DAY),
        ];
        let e = episodes(&changes, None, 20 * DAY);
        assert_eq!(e.len(), 3);
        assert_eq!(
            (e[0].target.as_str(), e[0].outcome, e[0].seconds),
            ("h1:443", "remediated", 4 * DAY)
        );
        assert_eq!(
            (e[1].target.as_str(), e[1].outcome, e[1].seconds),
            ("h2:443", "open", 9 * DAY)
        );
        assert_eq!(
            (e[2].target.as_str(), e[2].outcome),
            ("h3:443", "closed_absent")
        );
        let t = totals(&e);
        assert_eq!(t.remediated, 1);
        assert_eq!(t.median_days_to_remediate, Some(4.0));
        assert_eq!(t.open, 1);
        assert_eq!(t.oldest_open_days, Some(9.0));
        assert_eq!(t.closed_without_fix, 1);
    }

    #[test]
    fn episodes_outside_the_period_are_left_out() {
        let changes = [
            change(1, "h1:443", None, "fail", DAY),
            change(2, "h1:443", Some("fail"), "pass", 2 * DAY),
            change(3, "h2:443", None, "fail", 30 * DAY),
        ];
        // Period [5, 20): h1 ended before it, h2 started after it.
        assert!(episodes(&changes, Some(5 * DAY), 20 * DAY).is_empty());
        assert_eq!(episodes(&changes, Some(DAY), 20 * DAY).len(), 1);
    }
}
