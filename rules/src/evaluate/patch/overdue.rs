//! PATCH-001: no critical, high or unrated fix released more than 14 days
//! before the scan is still missing.

use serde_json::{json, Value};

use super::{calendar_days, opt_rfc3339, plural, utc_date, Ctx, FIX_ALLOWANCE_DAYS};
use crate::finding::{Finding, Status};
use crate::observe::{AdvisoryMatch, AdvisorySeverity};

/// Publisher ratings at or above the bar.
const HIGH_RATINGS: [&str; 3] = ["critical", "high", "important"];

/// Publisher ratings below the bar. Any other word counts as no rating.
const LOWER_RATINGS: [&str; 6] = [
    "medium",
    "moderate",
    "low",
    "negligible",
    "unimportant",
    "minor",
];

/// The CVSS base score at or above which a fix qualifies.
pub(super) const CVSS_BAR: f64 = 7.0;

/// Why a match is held to the 14 days.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Basis {
    Rating(String),
    Cvss(f64),
    Unrated,
}

impl Basis {
    fn describe(&self) -> String {
        match self {
            Basis::Rating(r) => format!("vendor rating {r}"),
            Basis::Cvss(s) => format!("CVSS {s:.1}"),
            Basis::Unrated => "unrated".into(),
        }
    }
}

/// The basis on which a severity meets the bar, or `None` below it.
pub(super) fn qualifies(sev: &AdvisorySeverity) -> Option<Basis> {
    let rating = sev
        .rating
        .as_deref()
        .map(|r| r.trim().to_ascii_lowercase())
        .filter(|r| HIGH_RATINGS.contains(&r.as_str()) || LOWER_RATINGS.contains(&r.as_str()));
    if let Some(r) = rating
        .as_ref()
        .filter(|r| HIGH_RATINGS.contains(&r.as_str()))
    {
        return Some(Basis::Rating(r.clone()));
    }
    match sev.cvss_score {
        Some(score) if score >= CVSS_BAR => Some(Basis::Cvss(score)),
        Some(_) => None,
        None if rating.is_none() => Some(Basis::Unrated),
        None => None,
    }
}

fn match_json(m: &AdvisoryMatch, basis: &Basis) -> Value {
    json!({
        "advisory": m.id,
        "cves": m.cves,
        "ecosystem": m.ecosystem,
        "package": m.package,
        "binaries": m.binaries,
        "installed": m.installed_version,
        "fixed": m.fixed_version,
        "published": opt_rfc3339(m.published),
        "severity_basis": basis.describe(),
        "rating": m.severity.rating,
        "cvss": m.severity.cvss_score,
    })
}

pub(super) fn overdue_fixes(ctx: &Ctx<'_>) -> Finding {
    let now = ctx.scan.now;
    let mut ev = ctx.evidence().with("scan_date", utc_date(now).to_string());
    if let Some(f) = ctx.unassessed_packages(&ev) {
        return f;
    }
    let mut overdue: Vec<(i64, &AdvisoryMatch, Basis)> = Vec::new();
    let mut undated: Vec<Value> = Vec::new();
    let (mut within, mut below, mut no_fix) = (0usize, 0usize, 0usize);
    for m in ctx.scan.matches {
        if m.fixed_version.is_none() {
            no_fix += 1;
            continue;
        }
        let Some(basis) = qualifies(&m.severity) else {
            below += 1;
            continue;
        };
        match m.published {
            None => undated.push(match_json(m, &basis)),
            Some(published) => {
                let days = calendar_days(published, now);
                if days > FIX_ALLOWANCE_DAYS {
                    overdue.push((days - FIX_ALLOWANCE_DAYS, m, basis));
                } else {
                    within += 1;
                }
            }
        }
    }
    overdue.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.id.cmp(&b.1.id))
            .then_with(|| a.1.package.cmp(&b.1.package))
    });
    let max_days = overdue.first().map(|o| o.0);
    let listed: Vec<Value> = overdue
        .iter()
        .map(|(days, m, basis)| {
            let mut v = match_json(m, basis);
            v["days_since_published"] = json!(days + FIX_ALLOWANCE_DAYS);
            v["days_overdue"] = json!(days);
            v
        })
        .collect();
    ev.insert("packages", ctx.system().packages.len());
    ev.insert("package_sources", ctx.system().package_sources.clone());
    ev.insert("matches", ctx.scan.matches.len());
    ev.insert("allowance_days", FIX_ALLOWANCE_DAYS);
    ev.insert("within_14_days", within);
    ev.insert("below_severity_bar", below);
    ev.insert("no_fix_yet", no_fix);
    ev.insert("overdue_count", overdue.len());
    ev.insert("max_days_overdue", max_days);
    ev.insert("overdue", listed);
    ev.insert("undated", undated.clone());
    if !ctx.system().problems.is_empty() {
        ev.insert("problems", ctx.system().problems.clone());
    }
    if let Some((days, m, _)) = overdue.first() {
        // Publishers overlap (a USN and Ubuntu's CVE record for one fix):
        // the packages are what a person has to update.
        let packages: std::collections::BTreeSet<&str> =
            overdue.iter().map(|(_, m, _)| m.package.as_str()).collect();
        let summary = format!(
            "{} for {} not installed more than 14 days after release; the oldest is {} days overdue ({} for {}, published {})",
            plural(overdue.len(), "critical, high or unrated fix", "critical, high or unrated fixes"),
            plural(packages.len(), "package", "packages"),
            days,
            m.id,
            m.package,
            m.published.map(|p| utc_date(p).to_string()).unwrap_or_default(),
        );
        return ctx.finding(Status::Fail, summary, ev);
    }
    if !undated.is_empty() {
        let reason = format!(
            "{} no publication date, so the 14 days cannot be counted",
            plural(
                undated.len(),
                "missing critical, high or unrated fix has",
                "missing critical, high or unrated fixes have"
            ),
        );
        return ctx.error(reason, ev);
    }
    ctx.finding(
        Status::Pass,
        format!(
            "no critical, high or unrated fix released more than 14 days ago is missing ({} within the 14 days)",
            plural(within, "fix", "fixes")
        ),
        ev,
    )
}
