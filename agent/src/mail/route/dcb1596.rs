//! The accredited-domain list MAIL-013 checks a domain against: a text file
//! the trust keeps in step with the DCB1596 list NHS England publishes.
//!
//! ```text
//! # DCB1596 accredited domains, checked 2026-11-20
//! example-trust.nhs.uk
//! mail.example-trust.nhs.uk   # our relay's domain
//! ```
//!
//! One domain a line, `#` comments (whole lines or after the domain),
//! blank lines ignored, compared without case or a trailing dot. A line
//! that is not a domain is a problem recorded with its line number; the
//! rest of the list still counts. A domain matches only itself: a listed
//! parent does not vouch for its subdomains, since accreditation is of a
//! mail service, and each domain's route is its own.

use std::collections::BTreeSet;
use std::path::Path;

use trustwatch_rules::observe::AccreditedLookup;

use crate::dns::answer::normalise;

/// The list could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the accredited-domain list {path}: {source}")]
pub struct ListError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// Domains accredited to DCB1596, as the trust listed them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccreditedList {
    source: String,
    domains: BTreeSet<String>,
    problems: Vec<String>,
}

impl AccreditedList {
    /// Reads and parses the list at `path`.
    pub fn load(path: &Path) -> Result<AccreditedList, ListError> {
        let text = std::fs::read_to_string(path).map_err(|source| ListError {
            path: path.display().to_string(),
            source,
        })?;
        Ok(AccreditedList::parse(&path.display().to_string(), &text))
    }

    /// Parses list text; `source` names it in evidence and problems.
    pub fn parse(source: &str, text: &str) -> AccreditedList {
        let mut list = AccreditedList {
            source: source.to_owned(),
            ..AccreditedList::default()
        };
        for (n, line) in text.lines().enumerate() {
            let entry = line.split('#').next().unwrap_or("").trim();
            if entry.is_empty() {
                continue;
            }
            let domain = normalise(entry);
            if is_domain(&domain) {
                list.domains.insert(domain);
            } else {
                list.problems.push(format!(
                    "{source} line {}: {entry:?} is not a domain name",
                    n + 1
                ));
            }
        }
        list
    }

    /// The domains listed.
    pub fn len(&self) -> usize {
        self.domains.len()
    }

    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }

    /// Lines that were not domains.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// `domain` looked up, as the observation records it.
    pub fn lookup(&self, domain: &str) -> AccreditedLookup {
        AccreditedLookup {
            source: self.source.clone(),
            entries: self.domains.len(),
            listed: self.domains.contains(&normalise(domain)),
            problems: self.problems.clone(),
        }
    }
}

/// Two or more labels of letters, digits and hyphens.
fn is_domain(name: &str) -> bool {
    name.len() <= 253
        && name.contains('.')
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_domains_comments_and_bad_lines() {
        let list = AccreditedList::parse(
            "accredited.txt",
            "# DCB1596 list\n\nExample-Trust.NHS.uk.\nmail.example.test  # relay\nnot a domain\nlocalhost\n",
        );
        assert_eq!(list.len(), 2);
        assert_eq!(
            list.problems(),
            [
                "accredited.txt line 5: \"not a domain\" is not a domain name",
                "accredited.txt line 6: \"localhost\" is not a domain name",
            ]
        );
        let hit = list.lookup("example-trust.nhs.uk");
        assert!(hit.listed);
        assert_eq!(hit.entries, 2);
        assert_eq!(hit.source, "accredited.txt");
        assert!(list.lookup("MAIL.example.test.").listed);
        assert!(
            !list.lookup("sub.example-trust.nhs.uk").listed,
            "a parent does not vouch for subdomains"
        );
    }

    #[test]
    fn load_reads_a_file_and_names_one_it_cannot_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accredited.txt");
        std::fs::write(&path, "example.test\n").unwrap();
        assert!(
            AccreditedList::load(&path)
                .unwrap()
                .lookup("example.test")
                .listed
        );
        let missing = dir.path().join("missing.txt");
        let err = AccreditedList::load(&missing).unwrap_err().to_string();
        assert!(
            err.starts_with("cannot read the accredited-domain list"),
            "{err}"
        );
        assert!(err.contains("missing.txt"), "{err}");
    }
}
