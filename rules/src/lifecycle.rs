//! The vendor lifecycle table OS-001 judges an operating system against:
//! for each release, when it came out, the last day of the vendor's
//! regular security support and, where one exists, a paid or community
//! extension (Ubuntu Pro ESM, Freexian ELTS, RHEL ELS, Windows ESU) that
//! counts only for a system seen to be enrolled in it.
//!
//! The table is data (`rules/data/lifecycle.toml`), embedded in the binary
//! and replaceable with `--lifecycle FILE`; its `version` and SHA-256 go
//! into every report so that a finding can be re-justified at audit time.
//!
//! Decisions:
//! - **Debian LTS is vendor support.** It is a Debian team publishing to the
//!   public security archive for everyone at no cost, so Debian's
//!   `security_until` is the end of LTS. Freexian ELTS (paid) is an
//!   extension and counts only with the `freexian-elts` enrolment tag.
//! - **Extensions need enrolment.** Ubuntu Pro ESM, RHEL ELS and Windows ESU
//!   are bought per system; the table's `extended_until` applies only when
//!   [`OsRelease::extended_support`] holds the extension's tag
//!   ([`Extension::tag`]).
//! - **Matching** (see [`Lifecycle::lookup`]): Debian and the Red Hat family
//!   by major version, Ubuntu exactly, Alpine by major.minor, Windows by
//!   build number. An OS id the table does not know is matched by the
//!   longest dotted prefix of `VERSION_ID`, so a trust's own table can add
//!   other systems. Derivatives are never matched through `ID_LIKE`: their
//!   support is their own.
//! - **Windows** client and server share build numbers (11 24H2 and Server
//!   2025 are both 10.0.26100), so they are told apart by os id; a system
//!   reported as `windows` whose edition names a server is looked up as
//!   `windows-server`. Editions with other dates (Enterprise/Education,
//!   LTSC) are `[[release.edition]]` entries; an unknown edition gets the
//!   release's own dates, which the table writes for the edition with the
//!   shortest support.

mod matching;
mod parse;

use std::path::Path;

use time::Date;

use crate::observe::{DataSource, OsRelease};

pub use self::parse::LifecycleError;

/// The table shipped with this build.
const EMBEDDED: &str = include_str!("../data/lifecycle.toml");

/// How the embedded table is named in errors and reports.
pub const EMBEDDED_NAME: &str = "(embedded) lifecycle.toml";

/// A validated lifecycle table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    /// The table's own version, e.g. `2026.11.1`.
    pub version: String,
    /// When this version of the table was published.
    pub published: Date,
    /// The public pages the dates were taken from.
    pub sources: Vec<String>,
    /// In file order.
    pub releases: Vec<Release>,
    /// The file it was read from, or [`EMBEDDED_NAME`].
    source: String,
    /// SHA-256 of the table's text, hex.
    sha256: String,
}

/// One operating-system release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The os-release `ID` (`debian`, `ubuntu`, `rhel`, `windows`,
    /// `windows-server`, …).
    pub os: String,
    /// The match key (`12`, `22.04`, `9`, `3.19`, `10.0.19045`).
    pub version: String,
    /// For people: `Debian 12 (bookworm)`.
    pub name: String,
    pub released: Date,
    /// The last day of the vendor's regular security support.
    pub security_until: Date,
    /// A paid or community extension beyond `security_until`.
    pub extended: Option<ExtendedSupport>,
    /// Editions with other dates.
    pub editions: Vec<EditionDates>,
}

/// An extension and the last day it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtendedSupport {
    pub kind: Extension,
    pub until: Date,
}

/// The extensions the table knows, each with the enrolment tag the agent
/// reports in [`OsRelease::extended_support`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Extension {
    UbuntuProEsm,
    FreexianElts,
    RhelEls,
    WindowsEsu,
}

impl Extension {
    pub const ALL: [Extension; 4] = [
        Extension::UbuntuProEsm,
        Extension::FreexianElts,
        Extension::RhelEls,
        Extension::WindowsEsu,
    ];

    /// The name written in the table's `extended` key.
    pub fn name(self) -> &'static str {
        match self {
            Extension::UbuntuProEsm => "Ubuntu Pro ESM",
            Extension::FreexianElts => "Freexian ELTS",
            Extension::RhelEls => "RHEL ELS",
            Extension::WindowsEsu => "Windows ESU",
        }
    }

    /// The enrolment tag a system carries when it is seen to be enrolled.
    pub fn tag(self) -> &'static str {
        match self {
            Extension::UbuntuProEsm => "ubuntu-pro-esm",
            Extension::FreexianElts => "freexian-elts",
            Extension::RhelEls => "rhel-els",
            Extension::WindowsEsu => "windows-esu",
        }
    }

    /// The extension with this table name, compared without regard to case.
    pub fn from_name(name: &str) -> Option<Extension> {
        Extension::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// Other dates for named editions of a release (Windows Enterprise and
/// Education, LTSC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditionDates {
    /// Edition ids (Windows `EditionID`), matched without regard to case.
    pub editions: Vec<String>,
    /// A name of their own (`Windows 10 Enterprise LTSC 2021`), else the
    /// release's.
    pub name: Option<String>,
    pub security_until: Date,
    /// `None` inherits the release's extension.
    pub extended: Option<ExtendedSupport>,
}

/// The dates that apply to one system: its release's, or its edition's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms<'a> {
    pub release: &'a Release,
    pub name: &'a str,
    /// The edition whose dates apply; `None` for the release's own dates.
    pub edition: Option<&'a str>,
    pub security_until: Date,
    pub extended: Option<ExtendedSupport>,
}

impl Release {
    /// The dates for a system of this release with `edition`.
    pub fn terms(&self, edition: Option<&str>) -> Terms<'_> {
        let wanted = edition.map(str::trim).filter(|e| !e.is_empty());
        let found = wanted.and_then(|wanted| {
            self.editions.iter().find_map(|d| {
                d.editions
                    .iter()
                    .find(|e| e.eq_ignore_ascii_case(wanted))
                    .map(|e| (d, e.as_str()))
            })
        });
        match found {
            Some((d, matched)) => Terms {
                release: self,
                name: d.name.as_deref().unwrap_or(&self.name),
                edition: Some(matched),
                security_until: d.security_until,
                extended: d.extended.or(self.extended),
            },
            None => Terms {
                release: self,
                name: &self.name,
                edition: None,
                security_until: self.security_until,
                extended: self.extended,
            },
        }
    }
}

impl Terms<'_> {
    /// The extension when the system carries its enrolment tag.
    pub fn enrolled_extension(&self, os: &OsRelease) -> Option<ExtendedSupport> {
        self.extended.filter(|ext| {
            os.extended_support
                .iter()
                .any(|tag| tag.trim().eq_ignore_ascii_case(ext.kind.tag()))
        })
    }

    /// The last day of support for `os`: the extension's when it is
    /// enrolled in it, else the regular end.
    pub fn supported_until(&self, os: &OsRelease) -> Date {
        self.enrolled_extension(os)
            .map_or(self.security_until, |ext| {
                ext.until.max(self.security_until)
            })
    }
}

impl Lifecycle {
    /// The table shipped with this build. It is checked by the tests, so an
    /// error here is a build defect.
    pub fn embedded() -> Result<Lifecycle, LifecycleError> {
        Lifecycle::from_toml(EMBEDDED, EMBEDDED_NAME)
    }

    /// Reads and validates a table file (`--lifecycle FILE`).
    pub fn load(file: &Path) -> Result<Lifecycle, LifecycleError> {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|source| LifecycleError::Read {
            file: name.clone(),
            source,
        })?;
        Lifecycle::from_toml(&text, &name)
    }

    /// Parses and validates table TOML; `source_name` names it in errors,
    /// which give the line and the key.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Lifecycle, LifecycleError> {
        let mut table = parse::parse(text, source_name)?;
        table.source = source_name.to_owned();
        table.sha256 = sha256_hex(text.as_bytes());
        Ok(table)
    }

    /// The file the table was read from, or [`EMBEDDED_NAME`].
    pub fn source(&self) -> &str {
        &self.source
    }

    /// SHA-256 of the table's text, hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The release `os` runs, or `None` when the table has no entry for it
    /// (or no `VERSION_ID` was read).
    pub fn lookup(&self, os: &OsRelease) -> Option<&Release> {
        let id = matching::table_os(os);
        let version_id = os.version_id.as_deref()?.trim();
        if let Some(key) = matching::match_key(&id, version_id) {
            return self
                .releases
                .iter()
                .find(|r| r.os == id && r.version == key);
        }
        // An OS the code has no scheme for: the longest dotted prefix.
        self.releases
            .iter()
            .filter(|r| r.os == id && matching::is_dotted_prefix(&r.version, version_id))
            .max_by_key(|r| r.version.len())
    }

    /// The table as a report's data source; `path` is what the report
    /// records as read (the `--lifecycle` file, or [`EMBEDDED_NAME`]).
    pub fn data_source(&self, path: &str) -> DataSource {
        DataSource {
            kind: "lifecycle".into(),
            path: path.to_owned(),
            version: Some(self.version.clone()),
            date: Some(self.published.to_string()),
            records: Some(self.releases.len() as u64),
            sha256: Some(self.sha256.clone()),
        }
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests;
