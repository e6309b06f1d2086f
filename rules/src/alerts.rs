//! The alert list PATCH-002 compares advisory matches with: CVEs named in
//! NHS England high-severity cyber alerts (a text file the trust keeps) or
//! the CISA Known Exploited Vulnerabilities catalogue (its JSON feed).
//!
//! The format is told by content: text whose first character is `{` is
//! read as the KEV JSON catalogue, anything else as the trust's text list:
//!
//! ```text
//! # NHS England high-severity alerts, reviewed 2026-11-20
//! CVE-2024-3400   CC-4485
//! CVE-2023-4966   CC-4395 Citrix Bleed
//! ```
//!
//! one CVE id per line, an optional reference after whitespace, `#`
//! comments (whole lines, or after whitespace) and blank lines.
//!
//! A bad line or KEV entry does not lose the rest: it becomes one sentence
//! in [`AlertList::problems`] naming the file and the line (or entry), and
//! every good entry is kept. Only a file that cannot be read at all, or
//! JSON that is malformed or not a KEV catalogue, is an [`AlertError`].
//! A CVE listed twice is kept once, with both references.

mod kev;
mod text;

use std::collections::HashMap;
use std::path::Path;

use crate::lifecycle::sha256_hex;
use crate::observe::DataSource;

/// A list of CVEs that must not be present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertList {
    source: String,
    format: AlertFormat,
    /// The KEV `catalogVersion`.
    version: Option<String>,
    /// The KEV `dateReleased`.
    date: Option<String>,
    entries: Vec<AlertEntry>,
    index: HashMap<String, usize>,
    problems: Vec<String>,
    sha256: String,
}

/// Which kind of list was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertFormat {
    /// The trust's text file of alert CVEs.
    Text,
    /// The CISA KEV JSON catalogue.
    Kev,
}

impl AlertFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertFormat::Text => "text",
            AlertFormat::Kev => "cisa-kev",
        }
    }
}

/// One listed CVE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEntry {
    /// Upper case: `CVE-2024-3400`.
    pub cve: String,
    /// The alert it came from (`CC-4485`), or for KEV the date it was added
    /// and the product; several joined with `; ` when listed more than once.
    pub reference: Option<String>,
}

/// An alert list that cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("{file}: cannot be read: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },

    /// The file starts like JSON but is not valid JSON.
    #[error("{file} line {line}: is not valid JSON: {message}")]
    Json {
        file: String,
        line: usize,
        message: String,
    },

    /// Valid JSON, but not a KEV catalogue.
    #[error("{file}: is not a CISA KEV catalogue: {message}")]
    NotKev { file: String, message: String },
}

impl AlertList {
    /// Reads an alert list file.
    pub fn load(file: &Path) -> Result<AlertList, AlertError> {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|source| AlertError::Read {
            file: name.clone(),
            source,
        })?;
        AlertList::from_text(&text, &name)
    }

    /// Parses a text list or a KEV catalogue, told apart by content;
    /// `source` names the file in problems, errors and reports.
    pub fn from_text(text: &str, source: &str) -> Result<AlertList, AlertError> {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut list = AlertList {
            source: source.to_owned(),
            format: AlertFormat::Text,
            version: None,
            date: None,
            entries: Vec::new(),
            index: HashMap::new(),
            problems: Vec::new(),
            sha256: sha256_hex(text.as_bytes()),
        };
        if body.trim_start().starts_with('{') {
            list.format = AlertFormat::Kev;
            kev::read(body, &mut list)?;
        } else {
            text::read(body, &mut list);
        }
        Ok(list)
    }

    /// The entry for `cve` (any case), if listed.
    pub fn get(&self, cve: &str) -> Option<&AlertEntry> {
        self.index
            .get(&cve.trim().to_ascii_uppercase())
            .map(|&i| &self.entries[i])
    }

    /// Every listed CVE, in the order first listed.
    pub fn entries(&self) -> &[AlertEntry] {
        &self.entries
    }

    /// One sentence per line or entry that could not be used.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    pub fn format(&self) -> AlertFormat {
        self.format
    }

    /// The name given to [`Self::from_text`].
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The KEV `catalogVersion`; `None` for a text list.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The KEV `dateReleased`; `None` for a text list.
    pub fn date(&self) -> Option<&str> {
        self.date.as_deref()
    }

    /// The list as a report's data source.
    pub fn data_source(&self) -> DataSource {
        DataSource {
            kind: "alerts".into(),
            path: self.source.clone(),
            version: self.version.clone(),
            date: self.date.clone(),
            records: Some(self.entries.len() as u64),
            sha256: Some(self.sha256.clone()),
        }
    }

    /// Adds a CVE, merging the reference of one already listed.
    fn add(&mut self, cve: String, reference: Option<String>) {
        match self.index.get(&cve) {
            Some(&i) => {
                let entry = &mut self.entries[i];
                match (&mut entry.reference, reference) {
                    (Some(old), Some(new)) if !old.split("; ").any(|r| r == new) => {
                        old.push_str("; ");
                        old.push_str(&new);
                    }
                    (old @ None, Some(new)) => *old = Some(new),
                    _ => {}
                }
            }
            None => {
                self.index.insert(cve.clone(), self.entries.len());
                self.entries.push(AlertEntry { cve, reference });
            }
        }
    }
}

/// `CVE-YYYY-NNNN…` in upper case, or `None` when `text` is not a CVE id.
pub fn normalise_cve(text: &str) -> Option<String> {
    let upper = text.trim().to_ascii_uppercase();
    let rest = upper.strip_prefix("CVE-")?;
    let (year, number) = rest.split_once('-')?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (year.len() == 4 && digits(year) && number.len() >= 4 && digits(number)).then_some(upper)
}

#[cfg(test)]
mod tests;
