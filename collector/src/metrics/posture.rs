//! The posture gauges, built fresh from the store's aggregates per scrape.

use std::collections::BTreeSet;

use prometheus::{GaugeVec, IntGaugeVec, Opts, Registry};
use trustwatch_rules::{Catalogue, Severity, Status};

use super::compliance::compliance;
use super::{coverage, exceptions};
use crate::error::Result;
use crate::store::Aggregates;

pub(super) fn registry(agg: &Aggregates, catalogue: &Catalogue) -> Result<Registry> {
    let registry = Registry::new();
    let int_gauge = |name: &str, help: &str, labels: &[&str]| -> Result<IntGaugeVec> {
        let g = IntGaugeVec::new(Opts::new(name, help), labels)?;
        registry.register(Box::new(g.clone()))?;
        Ok(g)
    };

    let findings = int_gauge(
        "trustwatch_findings",
        "Current findings (latest result per agent, target and rule) by site, severity and status.",
        &["site", "severity", "status"],
    )?;
    // Every severity x status pair of a site is exported, zero included, so
    // sums and ratios in dashboards never hit an absent series.
    let sites: BTreeSet<&str> = agg.findings.iter().map(|f| f.site.as_str()).collect();
    for site in sites {
        for sev in Severity::ALL {
            for status in Status::ALL {
                findings.with_label_values(&[site, sev.as_str(), status.as_str()]);
            }
        }
    }
    for f in &agg.findings {
        findings
            .with_label_values(&[&f.site, &f.severity, &f.status])
            .add(f.count);
    }

    let failing = int_gauge(
        "trustwatch_rule_failing_targets",
        "Targets currently failing each rule, by site (one per agent observing it), not counting those under a live exception; PATCH-006 counts agents silent longer than agents.stale_after_secs.",
        &["site", "rule_id"],
    )?;
    // Only the catalogue's rules get a series: a rule id is report input,
    // and report input must not be able to mint unbounded label values.
    for f in agg
        .failing
        .iter()
        .filter(|f| catalogue.rule(&f.rule_id).is_some())
    {
        failing
            .with_label_values(&[&f.site, &f.rule_id])
            .set(f.targets);
    }
    // Silent agents are PATCH-006's failing targets, evaluated here as the
    // API evaluates them (the agents themselves cannot report it).
    for (site, silent, _) in coverage::silent(agg, catalogue) {
        if silent > 0 {
            failing
                .with_label_values(&[site, crate::store::query::COVERAGE_RULE])
                .add(silent);
        }
    }

    let ratio = GaugeVec::new(
        Opts::new(
            "trustwatch_compliance_ratio",
            "Passing share (pass / (pass + fail)) of current findings of mandated rules, by site, baseline and control family.",
        ),
        &["site", "baseline", "control_family"],
    )?;
    registry.register(Box::new(ratio.clone()))?;
    for r in compliance(&agg.controls, catalogue) {
        ratio
            .with_label_values(&[&r.site, &r.baseline, &r.family])
            .set(r.ratio());
    }

    coverage::register(&registry, agg)?;
    exceptions::register(&registry, agg, catalogue)?;

    let expiry = int_gauge(
        "trustwatch_certificate_expiry_earliest_timestamp_seconds",
        "Earliest certificate notAfter (unix time) among a site's current CERT-001 findings.",
        &["site"],
    )?;
    for e in &agg.expiry {
        expiry.with_label_values(&[&e.site]).set(e.earliest);
    }

    let info = int_gauge(
        "trustwatch_rule_info",
        "Always 1: a rule of the collector's embedded baseline catalogue, with its title and severity, for joins in queries.",
        &["rule_id", "title", "severity"],
    )?;
    for rule in catalogue.rules() {
        info.with_label_values(&[
            rule.id.as_str(),
            rule.title.as_str(),
            rule.severity.as_str(),
        ])
        .set(1);
    }

    let build = int_gauge(
        "trustwatch_build_info",
        "Always 1: the version of the running collector.",
        &["version"],
    )?;
    build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
    Ok(registry)
}
