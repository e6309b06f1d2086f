//! An advisory's severity: the publisher's own rating, wherever that
//! publisher puts it, and the CVSS base score computed from the record's
//! vector (RustSec's `cvss` crate, which implements the v3.0/v3.1 and v4.0
//! specifications' base formulas).
//!
//! Where publishers put their rating, seen in their records:
//! - Ubuntu: `severity: [{"type": "Ubuntu", "score": "high"}]` on its CVE
//!   records, `affected[].ecosystem_specific.ubuntu_priority` in older ones,
//!   and on a USN `affected[].database_specific.cves_map.cves[].severity`
//!   for each CVE it fixes (the USN then takes its worst CVE's rating and
//!   CVSS score).
//! - Debian: `affected[].ecosystem_specific.urgency` (the security tracker's
//!   urgency; `not yet assigned` is no rating).
//! - Red Hat, Rocky, AlmaLinux: the summary's prefix (`Important: openssh
//!   security update`), or `database_specific.severity` / `ecosystem_specific.severity`.
//! - Alpine and others: `database_specific.severity` when present.

use std::str::FromStr;

use serde_json::Value;
use trustwatch_rules::observe::packages::AdvisorySeverity;

use super::osv::{Affected, Record};

/// The record-level severity: rating (if the record has one at its top
/// level) and the CVSS score of its vector, v3 preferred over v4 because the
/// baseline's threshold (CVSS ≥ 7) is written against v3.
pub fn record_severity(record: &Record) -> AdvisorySeverity {
    let vector = |kind: &str| {
        record
            .severity
            .iter()
            .find(|s| s.kind == kind)
            .map(|s| s.score.clone())
    };
    let (cvss_vector, cvss_score) = match vector("CVSS_V3").or_else(|| vector("CVSS_V4")) {
        Some(v) => {
            let score = cvss_score(&v);
            (Some(v), score)
        }
        None => (None, None),
    };
    let rating = record
        .severity
        .iter()
        .find(|s| s.kind == "Ubuntu")
        .and_then(|s| word(&s.score))
        .or_else(|| record.database_specific.as_ref().and_then(rating_in))
        .or_else(|| summary_prefix(record.summary.as_deref()));
    AdvisorySeverity {
        rating,
        cvss_score,
        cvss_vector,
    }
}

/// A rating given for one affected package (Debian's urgency, Ubuntu's
/// priority, a per-package severity), which wins over the record's.
pub fn affected_rating(affected: &Affected) -> Option<String> {
    let specific = affected.ecosystem_specific.as_ref();
    specific
        .and_then(|v| v.get("ubuntu_priority"))
        .and_then(Value::as_str)
        .and_then(word)
        .or_else(|| specific.and_then(rating_in))
        .or_else(|| {
            specific
                .and_then(|v| v.get("urgency"))
                .and_then(Value::as_str)
                .and_then(word)
        })
        .or_else(|| affected.database_specific.as_ref().and_then(rating_in))
        .or_else(|| {
            affected
                .severity
                .iter()
                .find(|s| s.kind == "Ubuntu")
                .and_then(|s| word(&s.score))
        })
        .or_else(|| {
            cves_map(affected)
                .filter(|s| s.get("type").and_then(Value::as_str) == Some("Ubuntu"))
                .filter_map(|s| s.get("score").and_then(Value::as_str).and_then(word))
                .max_by_key(|w| rank(w))
        })
}

/// The highest CVSS score (and its vector) given for one affected package:
/// its own `severity`, or a USN's `cves_map`.
pub fn affected_cvss(affected: &Affected) -> Option<(f64, String)> {
    let own = affected
        .severity
        .iter()
        .filter(|s| s.kind.starts_with("CVSS_V"))
        .map(|s| s.score.as_str());
    let mapped = cves_map(affected)
        .filter(|s| {
            s.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with("CVSS_V"))
        })
        .filter_map(|s| s.get("score").and_then(Value::as_str));
    own.chain(mapped)
        .filter_map(|v| cvss_score(v).map(|score| (score, v.to_owned())))
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// The `severity` entries of a USN's `database_specific.cves_map.cves[]`.
fn cves_map(affected: &Affected) -> impl Iterator<Item = &Value> {
    affected
        .database_specific
        .as_ref()
        .and_then(|d| d.pointer("/cves_map/cves"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|cve| cve.get("severity").and_then(Value::as_array))
        .flatten()
}

/// Orders Ubuntu's priority words.
fn rank(word: &str) -> u8 {
    match word {
        "critical" => 5,
        "high" => 4,
        "medium" => 3,
        "low" => 2,
        "negligible" => 1,
        _ => 0,
    }
}

/// The CVSS base score of a `CVSS:3.x/…` or `CVSS:4.0/…` vector; `None`
/// when the vector cannot be read (a broken vector costs only its score).
pub fn cvss_score(vector: &str) -> Option<f64> {
    cvss::Cvss::from_str(vector.trim()).ok().map(|c| c.score())
}

/// `severity` in a `database_specific`/`ecosystem_specific` object.
fn rating_in(value: &Value) -> Option<String> {
    value.get("severity").and_then(Value::as_str).and_then(word)
}

/// The Red Hat family's convention: `Important: openssh security update`.
fn summary_prefix(summary: Option<&str>) -> Option<String> {
    let (prefix, _) = summary?.split_once(':')?;
    let prefix = prefix.trim().to_ascii_lowercase();
    matches!(
        prefix.as_str(),
        "critical" | "important" | "moderate" | "low"
    )
    .then_some(prefix)
}

/// A rating word, lower case; placeholders (`not yet assigned`, `unknown`)
/// are no rating.
fn word(text: &str) -> Option<String> {
    let w = text.trim().to_ascii_lowercase();
    match w.as_str() {
        "" | "not yet assigned" | "unknown" | "none" | "n/a" => None,
        _ => Some(w),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_base_scores_match_published_ones() {
        // Scores as NVD publishes them for these vectors.
        // CVE-2024-6387 (regreSSHion): 8.1.
        assert_eq!(
            cvss_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(8.1)
        );
        // CVE-2021-44228 (Log4Shell): 10.0, scope changed.
        assert_eq!(
            cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),
            Some(10.0)
        );
        // CVE-2023-4911 (Looney Tunables): 7.8.
        assert_eq!(
            cvss_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"),
            Some(7.8)
        );
        // CVE-2014-0160 (Heartbleed), a v3.0 vector: 7.5.
        assert_eq!(
            cvss_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
            Some(7.5)
        );
        // v4.0: all high, network, no privileges: 9.3 (FIRST's calculator).
        assert_eq!(
            cvss_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            Some(9.3)
        );
        assert_eq!(cvss_score("CVSS:3.1/AV:X"), None);
        assert_eq!(cvss_score("high"), None);
    }

    fn record(json: &str) -> Record {
        Record::from_slice(json.as_bytes()).unwrap()
    }

    #[test]
    fn ratings_where_each_publisher_puts_them() {
        let r = record(
            r#"{"id":"UBUNTU-CVE-1","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"},{"type":"Ubuntu","score":"High"}]}"#,
        );
        let s = record_severity(&r);
        assert_eq!(s.rating.as_deref(), Some("high"));
        assert_eq!(s.cvss_score, Some(8.1));
        let r = record(r#"{"id":"ALSA-1","summary":"Important: openssh security update"}"#);
        assert_eq!(record_severity(&r).rating.as_deref(), Some("important"));
        let r = record(
            r#"{"id":"X","summary":"openssh: a flaw","database_specific":{"severity":"MODERATE"}}"#,
        );
        assert_eq!(record_severity(&r).rating.as_deref(), Some("moderate"));
        let r = record(r#"{"id":"X","summary":"curl: a flaw"}"#);
        assert_eq!(record_severity(&r), AdvisorySeverity::default());

        let a = record(
            r#"{"id":"D","affected":[
                {"ecosystem_specific":{"urgency":"not yet assigned"}},
                {"ecosystem_specific":{"urgency":"low"}},
                {"ecosystem_specific":{"ubuntu_priority":"medium","severity":"x"}}]}"#,
        );
        let ratings: Vec<_> = a.affected.iter().map(affected_rating).collect();
        assert_eq!(ratings, [None, Some("low".into()), Some("medium".into())]);
    }
}
