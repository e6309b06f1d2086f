//! Matching a system's installed packages against the index.
//!
//! Debian, Ubuntu and Alpine advisories name source packages, so installed
//! binaries are grouped by source package and the source version is
//! compared (for Debian a binNMU's binary version `2.36-9+deb12u4+b1` is
//! not what the advisory's fixed version counts against; its source version
//! `2.36-9+deb12u4` is). The Red Hat family's advisories name binary RPMs and
//! their full `epoch:version-release`.
//!
//! OSV range semantics (osv-schema, "Evaluation"): the events of an
//! `ECOSYSTEM` range are sorted in the ecosystem's order (`introduced: "0"`
//! first); a version is affected when the last event at or below it is an
//! `introduced` (so `introduced ≤ v < fixed`, or `≤ last_affected`), and not
//! when it is at or past a `limit`. A version listed in `versions` is
//! affected too (compared as text, as OSV lists them exactly).

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustwatch_rules::observe::packages::{AdvisoryMatch, AdvisorySeverity, SystemObservation};

use super::ecosystem::{ecosystems_for, EcosystemKey};
use super::index::Index;
use crate::packages::version::{compare, VersionError, VersionScheme};

/// The advisories a system's packages match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assessment {
    /// One per (advisory, package, installed version), sorted by package
    /// then advisory id.
    pub matches: Vec<AdvisoryMatch>,
    /// The ecosystem keys the system was assessed in (`Debian:12`).
    pub ecosystems: Vec<String>,
    /// One sentence per thing that could not be assessed.
    pub problems: Vec<String>,
}

/// One `affected` row with its advisory's fields.
struct Row {
    advisory: String,
    osv_ecosystem: String,
    ranges: String,
    versions: String,
    rating: Option<String>,
    cvss: Option<(f64, String)>,
    published: Option<String>,
    summary: Option<String>,
    severity: AdvisorySeverity,
    cves: String,
}

impl Index {
    /// Matches `system`'s packages against the advisories of the ecosystems
    /// that apply to it. Database errors and unreadable versions become
    /// problems; everything else is still assessed.
    pub fn assess(&self, system: &SystemObservation) -> Assessment {
        let mut out = Assessment::default();
        let target = &system.target;
        let Some(os) = &system.os else {
            out.problems.push(format!(
                "{target}: no os-release was read, so no advisory ecosystem applies"
            ));
            return out;
        };
        let keys = ecosystems_for(os);
        if keys.is_empty() {
            out.problems.push(format!(
                "{target}: no OSV ecosystem Trustwatch assesses covers {} {}",
                os.id,
                os.version_id.as_deref().unwrap_or("(no VERSION_ID)")
            ));
            return out;
        }
        let mut seen: HashSet<(String, String, String)> = HashSet::new();
        for key in &keys {
            // An index with nothing for this ecosystem would find nothing
            // and look like a clean bill of health: say so instead, so the
            // rules can call it unassessed.
            match self.holds(key) {
                Ok(true) => {}
                Ok(false) => {
                    out.problems.push(format!(
                        "{target}: the advisory data {} holds no records for {key}, so its packages were not assessed there",
                        self.path()
                    ));
                    continue;
                }
                Err(e) => {
                    out.problems.push(format!(
                        "{target}: the advisory index {} could not be read for {key}: {e}",
                        self.path()
                    ));
                    continue;
                }
            }
            out.ecosystems.push(key.to_string());
            if let Err(e) = self.assess_in(key, system, &mut seen, &mut out) {
                out.problems.push(format!(
                    "{target}: the advisory index {} could not be read for {key}: {e}",
                    self.path()
                ));
            }
        }
        out.matches.sort_by(|a, b| {
            (&a.package, &a.installed_version, &a.id).cmp(&(
                &b.package,
                &b.installed_version,
                &b.id,
            ))
        });
        out
    }

    /// True when the index has any record for `key`.
    fn holds(&self, key: &EcosystemKey) -> rusqlite::Result<bool> {
        self.conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM affected WHERE ecosystem = ?1)")?
            .query_row([key.to_string()], |r| r.get(0))
    }

    fn assess_in(
        &self,
        key: &EcosystemKey,
        system: &SystemObservation,
        seen: &mut HashSet<(String, String, String)>,
        out: &mut Assessment,
    ) -> rusqlite::Result<()> {
        let scheme = key.scheme();
        let by_source = key.names_source_packages();
        // (advisory's package name, compared version) → installed binaries.
        let mut groups: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for p in system.packages.iter().filter(|p| p.format == key.format()) {
            let group = if by_source {
                (p.source(), p.source_version())
            } else {
                (p.name.as_str(), p.version.as_str())
            };
            groups.entry(group).or_default().push(&p.name);
        }
        let key_text = key.to_string();
        // One query per package, joined to its advisories: the join costs
        // less than a second lookup for every match.
        let mut rows = self.conn.prepare_cached(
            "SELECT a.advisory, a.osv_ecosystem, a.ranges, a.versions, a.rating, a.cvss_score,
                    a.cvss_vector, v.published, v.summary, v.rating, v.cvss_score, v.cvss_vector, v.cves
             FROM affected a JOIN advisories v ON v.id = a.advisory
             WHERE a.ecosystem = ?1 AND a.package = ?2",
        )?;
        let target = &system.target;
        for ((package, version), mut binaries) in groups {
            let found: Vec<Row> = rows
                .query_map([key_text.as_str(), package], |r| {
                    Ok(Row {
                        advisory: r.get(0)?,
                        osv_ecosystem: r.get(1)?,
                        ranges: r.get(2)?,
                        versions: r.get(3)?,
                        rating: r.get(4)?,
                        cvss: match (r.get::<_, Option<f64>>(5)?, r.get::<_, Option<String>>(6)?) {
                            (Some(score), Some(vector)) => Some((score, vector)),
                            _ => None,
                        },
                        published: r.get(7)?,
                        summary: r.get(8)?,
                        severity: AdvisorySeverity {
                            rating: r.get(9)?,
                            cvss_score: r.get(10)?,
                            cvss_vector: r.get(11)?,
                        },
                        cves: r.get(12)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            if found.is_empty() {
                continue;
            }
            if let Err(e) = compare(scheme, version, version) {
                out.problems.push(format!(
                    "{target}: package {package} {version} cannot be assessed against {} advisories: {e}",
                    found.len()
                ));
                continue;
            }
            binaries.sort_unstable();
            binaries.dedup();
            for row in found {
                let ranges: Vec<Vec<String>> =
                    serde_json::from_str(&row.ranges).unwrap_or_default();
                let fixed = match affected_by(scheme, version, &ranges, || {
                    serde_json::from_str(&row.versions).unwrap_or_default()
                }) {
                    Ok(Some(fixed)) => fixed,
                    Ok(None) => continue,
                    Err(e) => {
                        out.problems.push(format!(
                            "{target}: advisory {} for {package} was not assessed: {e}",
                            row.advisory
                        ));
                        continue;
                    }
                };
                // Red Hat lists a package once per repository (appstream,
                // baseos); Ubuntu Pro repeats Ubuntu's records.
                if !seen.insert((row.advisory.clone(), package.to_owned(), version.to_owned())) {
                    continue;
                }
                // The publisher's word for this package wins over the
                // record's; the record's own vector wins over a USN's CVEs'.
                let mut severity = row.severity;
                if row.rating.is_some() {
                    severity.rating = row.rating;
                }
                if severity.cvss_score.is_none() {
                    if let Some((score, vector)) = row.cvss {
                        severity.cvss_score = Some(score);
                        severity.cvss_vector = Some(vector);
                    }
                }
                out.matches.push(AdvisoryMatch {
                    id: row.advisory,
                    cves: serde_json::from_str(&row.cves).unwrap_or_default(),
                    ecosystem: row.osv_ecosystem,
                    package: package.to_owned(),
                    binaries: binaries.iter().map(|b| b.to_string()).collect(),
                    installed_version: version.to_owned(),
                    fixed_version: fixed,
                    published: row
                        .published
                        .and_then(|p| OffsetDateTime::parse(&p, &Rfc3339).ok()),
                    severity,
                    summary: row.summary,
                });
            }
        }
        Ok(())
    }
}

/// Whether `version` is affected by one affected entry: `Some(fixed)` if
/// so, with the version that ends its range (`None` inside: no fix yet, or
/// the range ends at a `last_affected`).
/// `versions` is read only when no range contains `version` (it is the
/// longer list and rarely decides).
pub fn affected_by(
    scheme: VersionScheme,
    version: &str,
    ranges: &[Vec<String>],
    versions: impl FnOnce() -> Vec<String>,
) -> Result<Option<Option<String>>, VersionError> {
    let mut first_fix = None;
    for range in ranges {
        let events: Vec<(char, &str)> = range.iter().filter_map(|e| decode(e)).collect();
        let (affected, fixed) = in_range(scheme, version, events)?;
        if affected {
            return Ok(Some(fixed));
        }
        if first_fix.is_none() {
            first_fix = fixed;
        }
    }
    if versions().iter().any(|v| v == version) {
        return Ok(Some(first_fix));
    }
    Ok(None)
}

fn decode(event: &str) -> Option<(char, &str)> {
    let (tag, version) = event.split_once(':')?;
    let tag = tag.chars().next()?;
    Some((tag, version))
}

/// One range: whether `v` is inside, and the first fix above `v`.
fn in_range(
    scheme: VersionScheme,
    v: &str,
    mut events: Vec<(char, &str)>,
) -> Result<(bool, Option<String>), VersionError> {
    sort_events(scheme, &mut events)?;
    let mut affected = false;
    let mut closing: Option<Option<String>> = None;
    for &(tag, at) in &events {
        let zero = tag == 'i' && at == "0";
        let order = if zero {
            Ordering::Greater
        } else {
            compare(scheme, v, at)?
        };
        match tag {
            'i' if order != Ordering::Less => affected = true,
            'f' if order != Ordering::Less => affected = false,
            'l' if order == Ordering::Greater => affected = false,
            // Limits are applied to the whole range below.
            'x' => {}
            // The first event closing the interval above `v`.
            'f' if closing.is_none() => closing = Some(Some(at.to_owned())),
            'l' if closing.is_none() => closing = Some(None),
            _ => {}
        }
    }
    let limited = events
        .iter()
        .filter(|(tag, _)| *tag == 'x')
        .map(|&(_, at)| compare(scheme, v, at))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        // Nothing at or past a limit is in the range.
        .any(|o| o != Ordering::Less);
    Ok((affected && !limited, closing.flatten()))
}

/// Events in the ecosystem's order, `introduced: "0"` first; a stable
/// insertion sort because the comparison can fail.
fn sort_events(scheme: VersionScheme, events: &mut [(char, &str)]) -> Result<(), VersionError> {
    let cmp = |a: &(char, &str), b: &(char, &str)| -> Result<Ordering, VersionError> {
        let zero = |e: &(char, &str)| e.0 == 'i' && e.1 == "0";
        Ok(match (zero(a), zero(b)) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => compare(scheme, a.1, b.1)?,
        })
    };
    for i in 1..events.len() {
        let mut j = i;
        while j > 0 && cmp(&events[j - 1], &events[j])? == Ordering::Greater {
            events.swap(j - 1, j);
            j -= 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(events: &[&str]) -> Vec<String> {
        events.iter().map(|e| e.to_string()).collect()
    }

    fn dpkg(v: &str, ranges: &[Vec<String>], versions: &[&str]) -> Option<Option<String>> {
        let versions: Vec<String> = versions.iter().map(|s| s.to_string()).collect();
        affected_by(VersionScheme::Dpkg, v, ranges, || versions).unwrap()
    }

    #[test]
    fn introduced_zero_to_fixed() {
        let ranges = [r(&["i:0", "f:1.1.1n-0+deb11u4"])];
        assert_eq!(
            dpkg("1.1.1n-0+deb11u3", &ranges, &[]),
            Some(Some("1.1.1n-0+deb11u4".into()))
        );
        assert_eq!(dpkg("1.1.1n-0+deb11u4", &ranges, &[]), None);
        assert_eq!(dpkg("1.1.1n-0+deb11u5", &ranges, &[]), None);
        // Epochs: 1:8.9p1 sorts above any version without one.
        let ranges = [r(&["i:0", "f:1:8.9p1-3ubuntu0.10"])];
        assert_eq!(
            dpkg("9.9p1-1", &ranges, &[]),
            Some(Some("1:8.9p1-3ubuntu0.10".into()))
        );
    }

    #[test]
    fn no_fix_yet_last_affected_and_limit() {
        assert_eq!(dpkg("2.0-1", &[r(&["i:0"])], &[]), Some(None));
        let ranges = [r(&["i:1.0-1", "l:1.5-1"])];
        assert_eq!(dpkg("0.9-1", &ranges, &[]), None);
        assert_eq!(dpkg("1.5-1", &ranges, &[]), Some(None));
        assert_eq!(dpkg("1.5-2", &ranges, &[]), None);
        let ranges = [r(&["i:0", "x:2.0-1"])];
        assert_eq!(dpkg("1.9-1", &ranges, &[]), Some(None));
        assert_eq!(dpkg("2.0-1", &ranges, &[]), None);
    }

    #[test]
    fn events_out_of_order_and_several_intervals() {
        // Written unsorted; sorted in dpkg's order they are two intervals.
        let ranges = [r(&["f:2.0-3", "i:2.0-1", "f:1.0-3", "i:0"])];
        assert_eq!(dpkg("0.5-1", &ranges, &[]), Some(Some("1.0-3".into())));
        assert_eq!(dpkg("1.0-3", &ranges, &[]), None);
        assert_eq!(dpkg("1.5-1", &ranges, &[]), None);
        assert_eq!(dpkg("2.0-2", &ranges, &[]), Some(Some("2.0-3".into())));
        assert_eq!(dpkg("2.0-3", &ranges, &[]), None);
    }

    #[test]
    fn explicit_versions_and_rpm_epochs() {
        assert_eq!(dpkg("1.0-1", &[], &["1.0-1"]), Some(None));
        assert_eq!(dpkg("1.0-2", &[], &["1.0-1"]), None);
        let rpm = |v: &str, ranges: &[Vec<String>]| {
            affected_by(VersionScheme::Rpm, v, ranges, Vec::new).unwrap()
        };
        // Red Hat writes `0:`; an installed version without an epoch is
        // epoch 0 too.
        let ranges = [r(&["i:0", "f:0:1.9.5p2-10.el9_6.1"])];
        assert_eq!(rpm("1.9.5p2-10.el9_6.1", &ranges), None);
        assert_eq!(
            rpm("1.9.5p2-9.el9", &ranges),
            Some(Some("0:1.9.5p2-10.el9_6.1".into()))
        );
    }

    #[test]
    fn an_unreadable_version_is_an_error_not_a_verdict() {
        let ranges = [r(&["i:0", "f:1.0-"])];
        assert!(affected_by(VersionScheme::Dpkg, "0.5-1", &ranges, Vec::new).is_err());
        assert!(affected_by(
            VersionScheme::Dpkg,
            "x:1",
            &[r(&["i:0", "f:1.0-1"])],
            Vec::new
        )
        .is_err());
    }
}
