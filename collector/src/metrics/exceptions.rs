//! The exceptions register in numbers: failing findings carried as
//! accepted risks, and exceptions by state. Live exceptions also take
//! their targets out of `trustwatch_rule_failing_targets` (posture.rs).

use prometheus::{IntGaugeVec, Opts, Registry};
use trustwatch_rules::{Catalogue, Severity};

use super::coverage;
use crate::error::Result;
use crate::store::Aggregates;

pub(super) fn register(registry: &Registry, agg: &Aggregates, catalogue: &Catalogue) -> Result<()> {
    let accepted = IntGaugeVec::new(
        Opts::new(
            "trustwatch_findings_accepted_risk",
            "Failing findings under a live exception (an accepted risk), by site and severity; they are not counted in trustwatch_rule_failing_targets.",
        ),
        &["site", "severity"],
    )?;
    let exceptions = IntGaugeVec::new(
        Opts::new(
            "trustwatch_exceptions",
            "Exceptions in the register by site (\"*\": any site) and state (active, expired, withdrawn).",
        ),
        &["site", "state"],
    )?;
    registry.register(Box::new(accepted.clone()))?;
    registry.register(Box::new(exceptions.clone()))?;
    for a in &agg.accepted_risk {
        // Severity is report input: only the closed set becomes a label.
        if a.severity.parse::<Severity>().is_ok() {
            accepted
                .with_label_values(&[&a.site, &a.severity])
                .add(a.count);
        }
    }
    if let Some(rule) = catalogue.rule(crate::store::query::COVERAGE_RULE) {
        for (site, _, excepted) in coverage::silent(agg, catalogue) {
            if excepted > 0 {
                accepted
                    .with_label_values(&[site, rule.severity.as_str()])
                    .add(excepted);
            }
        }
    }
    let sites: std::collections::BTreeSet<&str> =
        agg.exceptions.iter().map(|e| e.site.as_str()).collect();
    for site in sites {
        for state in ["active", "expired", "withdrawn"] {
            exceptions.with_label_values(&[site, state]);
        }
    }
    for e in &agg.exceptions {
        exceptions
            .with_label_values(&[&e.site, &e.state])
            .set(e.count);
    }
    Ok(())
}
