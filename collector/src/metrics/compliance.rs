//! The compliance ratio: pass / (pass + fail) of current findings of
//! mandated (non-best-practice) rules, per site, baseline and control
//! family. Pure, so the arithmetic is unit-tested on its own.

use std::collections::{BTreeMap, BTreeSet};

use trustwatch_rules::Catalogue;

use crate::store::ControlGroup;

/// The family a control id is reported under: CAF and DSPT ids up to their
/// first '.' (`CAF:B4.d` → `CAF:B4`, `DSPT:9.2.3` → `DSPT:9`), every other
/// id whole (`CE:FW`, `NCSC-TLS`). `BP` marks "no mandate" and is no family.
pub fn control_family(control: &str) -> Option<&str> {
    if control == "BP" || control.is_empty() {
        return None;
    }
    if control.starts_with("CAF:") || control.starts_with("DSPT:") {
        return Some(control.split('.').next().unwrap_or(control));
    }
    Some(control)
}

#[derive(Debug, Clone, PartialEq)]
pub struct ComplianceRatio {
    pub site: String,
    pub baseline: String,
    pub family: String,
    pub pass: i64,
    pub fail: i64,
}

impl ComplianceRatio {
    pub fn ratio(&self) -> f64 {
        let total = self.pass + self.fail;
        if total == 0 {
            return 0.0;
        }
        self.pass as f64 / total as f64
    }
}

/// Ratios from grouped findings. A finding counts once per family even when
/// it maps to several controls of it (TLS-001 maps to CAF:B3.b and CAF:B4.b:
/// one finding each for CAF:B3 and CAF:B4). Rules the catalogue marks best
/// practice are left out, and so are rules it does not know: their rule id
/// and controls come from an agent's report, and letting them mint label
/// values would unbound the series count.
pub fn compliance(groups: &[ControlGroup], catalogue: &Catalogue) -> Vec<ComplianceRatio> {
    let mut totals: BTreeMap<(&str, &str, &str), (i64, i64)> = BTreeMap::new();
    let baseline_id = catalogue.baseline().id.as_str();
    for g in groups {
        let rule = match catalogue.rule(&g.rule_id) {
            Some(rule) if !rule.best_practice => rule,
            _ => continue,
        };
        // Groups read from the store's counts carry no controls or
        // baseline: a rule's controls are the catalogue's.
        let controls = if g.controls.is_empty() {
            &rule.controls
        } else {
            &g.controls
        };
        let baseline = if g.baseline.is_empty() {
            baseline_id
        } else {
            g.baseline.as_str()
        };
        let families: BTreeSet<&str> = controls.iter().filter_map(|c| control_family(c)).collect();
        for family in families {
            let entry = totals
                .entry((g.site.as_str(), baseline, family))
                .or_default();
            match g.status.as_str() {
                "pass" => entry.0 += g.count,
                "fail" => entry.1 += g.count,
                _ => {}
            }
        }
    }
    totals
        .into_iter()
        .filter(|(_, (pass, fail))| pass + fail > 0)
        .map(|((site, baseline, family), (pass, fail))| ComplianceRatio {
            site: site.to_owned(),
            baseline: baseline.to_owned(),
            family: family.to_owned(),
            pass,
            fail,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(rule: &str, controls: &[&str], status: &str, count: i64) -> ControlGroup {
        ControlGroup {
            site: "s".into(),
            baseline: "b".into(),
            rule_id: rule.into(),
            controls: controls.iter().map(|c| c.to_string()).collect(),
            status: status.into(),
            count,
        }
    }

    fn catalogue() -> Catalogue {
        Catalogue::embedded().expect("embedded catalogue")
    }

    #[test]
    fn families_cut_caf_and_dspt_at_the_first_dot() {
        assert_eq!(control_family("CAF:B4.d"), Some("CAF:B4"));
        assert_eq!(control_family("DSPT:9.2.3"), Some("DSPT:9"));
        assert_eq!(control_family("CE:FW"), Some("CE:FW"));
        assert_eq!(control_family("CE:SUM-14d"), Some("CE:SUM-14d"));
        assert_eq!(control_family("NCSC-TLS"), Some("NCSC-TLS"));
        assert_eq!(control_family("BP"), None);
    }

    #[test]
    fn ratio_is_pass_over_pass_plus_fail_counting_a_finding_once_per_family() {
        let groups = vec![
            // 3 passing, 1 failing TLS-001 (CAF:B3 and CAF:B4 and NCSC-TLS).
            group("TLS-001", &["CAF:B3.b", "CAF:B4.b", "NCSC-TLS"], "pass", 3),
            group("TLS-001", &["CAF:B3.b", "CAF:B4.b", "NCSC-TLS"], "fail", 1),
            // Two controls of one family: one count for CAF:B4.
            group("CERT-001", &["CAF:B3.b", "CAF:B4.c"], "fail", 2),
            // Best practice: ignored.
            group("TLS-004", &["NCSC-TLS", "BP"], "fail", 100),
            // Unknown to the catalogue: ignored, whatever it claims.
            group("NEW-999", &["NCSC-TLS", "X:1"], "fail", 100),
        ];
        let out = compliance(&groups, &catalogue());
        let get = |fam: &str| out.iter().find(|r| r.family == fam).unwrap();
        assert_eq!((get("CAF:B3").pass, get("CAF:B3").fail), (3, 3));
        assert_eq!((get("CAF:B4").pass, get("CAF:B4").fail), (3, 3));
        assert_eq!((get("NCSC-TLS").pass, get("NCSC-TLS").fail), (3, 1));
        assert!((get("NCSC-TLS").ratio() - 0.75).abs() < 1e-9);
        assert!((get("CAF:B3").ratio() - 0.5).abs() < 1e-9);
        assert!(out.iter().all(|r| r.family != "BP" && r.family != "X:1"));
    }

    #[test]
    fn sites_and_baselines_are_kept_apart() {
        let mut a = group("TLS-001", &["NCSC-TLS"], "pass", 1);
        a.site = "a".into();
        let mut b = group("TLS-001", &["NCSC-TLS"], "fail", 1);
        b.site = "b".into();
        let mut c = group("TLS-001", &["NCSC-TLS"], "fail", 1);
        c.baseline = "other".into();
        let out = compliance(&[a, b, c], &catalogue());
        assert_eq!(out.len(), 3);
        assert_eq!(out.iter().map(ComplianceRatio::ratio).sum::<f64>(), 1.0);
    }
}
