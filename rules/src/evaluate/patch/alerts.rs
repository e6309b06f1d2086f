//! PATCH-002: none of the CVEs on the alert list (NHS England high-severity
//! alerts, CISA KEV) is present among the advisory matches.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::{opt_rfc3339, plural, Ctx};
use crate::alerts::normalise_cve;
use crate::finding::{Finding, Status};

/// At most this many CVEs are named in the summary; all are in evidence.
const SUMMARY_CVES: usize = 5;

pub(super) fn alert_cves(ctx: &Ctx<'_>) -> Finding {
    let mut ev = ctx.evidence();
    let Some(list) = ctx.scan.alerts else {
        return ctx.finding(
            Status::NotApplicable,
            "no alert list was given".into(),
            ev.with("reason", "no alert list was given (--alerts FILE)"),
        );
    };
    ev.insert(
        "alert_list",
        json!({
            "source": list.source(),
            "format": list.format().as_str(),
            "version": list.version(),
            "date": list.date(),
            "entries": list.entries().len(),
        }),
    );
    if !list.problems().is_empty() {
        ev.insert("alert_list_problems", list.problems().to_vec());
    }
    if let Some(f) = ctx.unassessed_packages(&ev) {
        return f;
    }
    // One hit per (CVE, advisory, package), in that order.
    let mut seen = BTreeSet::new();
    let mut hits: Vec<(String, Value)> = Vec::new();
    for m in ctx.scan.matches {
        let ids = m.cves.iter().chain(std::iter::once(&m.id));
        for cve in ids.filter_map(|c| normalise_cve(c)) {
            let Some(entry) = list.get(&cve) else {
                continue;
            };
            if !seen.insert((cve.clone(), m.id.clone(), m.package.clone())) {
                continue;
            }
            hits.push((
                cve.clone(),
                json!({
                    "cve": cve,
                    "alert_reference": entry.reference,
                    "advisory": m.id,
                    "ecosystem": m.ecosystem,
                    "package": m.package,
                    "binaries": m.binaries,
                    "installed": m.installed_version,
                    "fixed": m.fixed_version,
                    "published": opt_rfc3339(m.published),
                }),
            ));
        }
    }
    hits.sort_by(|a, b| a.0.cmp(&b.0));
    let cves: Vec<String> = hits
        .iter()
        .map(|h| h.0.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    ev.insert("matches_checked", ctx.scan.matches.len());
    ev.insert("present_cves", cves.clone());
    ev.insert("present", hits.into_iter().map(|h| h.1).collect::<Vec<_>>());
    if cves.is_empty() {
        return ctx.finding(
            Status::Pass,
            format!(
                "none of the {} on the alert list is present",
                plural(list.entries().len(), "CVE", "CVEs")
            ),
            ev,
        );
    }
    let mut named = cves
        .iter()
        .take(SUMMARY_CVES)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if cves.len() > SUMMARY_CVES {
        named.push_str(&format!(" and {} more", cves.len() - SUMMARY_CVES));
    }
    ctx.finding(
        Status::Fail,
        format!(
            "{} on the alert list present: {named}",
            plural(cves.len(), "vulnerability", "vulnerabilities")
        ),
        ev,
    )
}
