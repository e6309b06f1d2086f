//! The parts of the OSV schema (<https://ossf.github.io/osv-schema/>) that
//! Trustwatch reads. Unknown fields are ignored, and a `null` where a list
//! is expected reads as an empty list: publishers write both.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// One OSV record.
#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    pub id: String,
    #[serde(default)]
    pub modified: Option<String>,
    #[serde(default)]
    pub published: Option<String>,
    /// Set when the publisher withdrew the record; such records are skipped.
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub aliases: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    pub upstream: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    pub related: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// Read but never stored in the index: it is the bulk of most records
    /// and no rule needs it.
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub severity: Vec<Severity>,
    #[serde(default, deserialize_with = "list")]
    pub affected: Vec<Affected>,
    #[serde(default)]
    pub database_specific: Option<Value>,
}

/// A `severity` entry: `CVSS_V3`/`CVSS_V4` with a vector, or a publisher's
/// own type (`Ubuntu` with `low`…`critical`).
#[derive(Debug, Clone, Deserialize)]
pub struct Severity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

/// One affected package in one ecosystem.
#[derive(Debug, Clone, Deserialize)]
pub struct Affected {
    #[serde(default)]
    pub package: Option<Package>,
    #[serde(default, deserialize_with = "list")]
    pub ranges: Vec<Range>,
    #[serde(default, deserialize_with = "list")]
    pub versions: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    pub severity: Vec<Severity>,
    #[serde(default)]
    pub ecosystem_specific: Option<Value>,
    #[serde(default)]
    pub database_specific: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Package {
    pub ecosystem: String,
    pub name: String,
    #[serde(default)]
    pub purl: Option<String>,
}

/// A range of affected versions: `ECOSYSTEM` ranges are in the ecosystem's
/// own order; `SEMVER` and `GIT` ranges do not occur for distribution
/// packages and are not read.
#[derive(Debug, Clone, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, deserialize_with = "list")]
    pub events: Vec<Event>,
}

/// One range event; OSV sets exactly one of the four.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Event {
    #[serde(default)]
    pub introduced: Option<String>,
    #[serde(default)]
    pub fixed: Option<String>,
    #[serde(default)]
    pub last_affected: Option<String>,
    #[serde(default)]
    pub limit: Option<String>,
}

/// A list that may be absent or `null`.
fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

impl Record {
    /// Parses one record from JSON text.
    pub fn from_slice(bytes: &[u8]) -> Result<Record, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The CVE ids the record covers: its own id when it is one, and the
    /// `CVE-` ids among `aliases`, `upstream` and `related` (AlmaLinux and
    /// Ubuntu's CVE records name the CVE only in `related`). Distribution ids
    /// that embed a CVE (`DEBIAN-CVE-2024-1234`, `UBUNTU-CVE-…`,
    /// `ALPINE-CVE-…`) give the CVE too.
    pub fn cves(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut push = |text: &str| {
            if let Some(cve) = cve_in(text) {
                if !out.iter().any(|c| c == cve) {
                    out.push(cve.to_owned());
                }
            }
        };
        push(&self.id);
        for id in self
            .aliases
            .iter()
            .chain(&self.upstream)
            .chain(&self.related)
        {
            push(id);
        }
        out
    }
}

/// `CVE-YYYY-N…` itself, or the CVE a distribution id ends with.
fn cve_in(id: &str) -> Option<&str> {
    let start = id.find("CVE-")?;
    let cve = &id[start..];
    let well_formed = |rest: &str| {
        let mut parts = rest.splitn(2, '-');
        let year = parts.next().unwrap_or_default();
        let number = parts.next().unwrap_or_default();
        year.len() == 4
            && year.bytes().all(|b| b.is_ascii_digit())
            && number.len() >= 4
            && number.bytes().all(|b| b.is_ascii_digit())
    };
    // Only a prefix that is a distribution tag (`DEBIAN-`) or nothing.
    let prefix_ok = start == 0 || id[..start].ends_with('-');
    (prefix_ok && well_formed(&cve[4..])).then_some(cve)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nulls_and_ignores_unknown_fields() {
        let r = Record::from_slice(
            br#"{"id":"X-1","aliases":null,"schema_version":"1.6.0","credits":[{"name":"n"}],
                 "affected":[{"package":{"ecosystem":"Debian:12","name":"p"},"ranges":null,
                 "versions":["1"],"new_field":1}]}"#,
        )
        .unwrap();
        assert!(r.aliases.is_empty());
        assert_eq!(r.affected.len(), 1);
        assert!(r.affected[0].ranges.is_empty());
        assert_eq!(r.affected[0].versions, ["1"]);
    }

    #[test]
    fn a_record_without_an_id_or_truncated_is_an_error() {
        let err = Record::from_slice(br#"{"affected":[]}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `id`"), "{err}");
        let err = Record::from_slice(br#"{"id":"DSA-1-1","affected":[{"package""#).unwrap_err();
        assert!(err.is_eof(), "{err}");
    }

    #[test]
    fn cves_from_id_aliases_upstream_and_related() {
        let r = Record::from_slice(
            br#"{"id":"UBUNTU-CVE-2024-6387","related":["CVE-2024-6387","USN-6859-1"],
                 "upstream":["CVE-2006-5051"],"aliases":["GHSA-xxxx"]}"#,
        )
        .unwrap();
        assert_eq!(r.cves(), ["CVE-2024-6387", "CVE-2006-5051"]);
        let r = Record::from_slice(
            br#"{"id":"DSA-5514-1","upstream":["CVE-2023-4911","DEBIAN-CVE-2023-4911"]}"#,
        )
        .unwrap();
        assert_eq!(r.cves(), ["CVE-2023-4911"]);
        assert_eq!(cve_in("XCVE-2024-1234"), None);
        assert_eq!(cve_in("CVE-24-1"), None);
    }
}
