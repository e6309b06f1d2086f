//! OSV advisories for the distributions Trustwatch assesses (Debian,
//! Ubuntu, Alpine, Red Hat Enterprise Linux, Rocky Linux, AlmaLinux):
//! imported from single records, folders or OSV zip exports into a compact
//! SQLite index, then matched against a system's installed packages in each
//! ecosystem's own version order.
//!
//! - [`osv`]: the parts of the OSV schema that are read.
//! - [`ecosystem`]: which OSV ecosystem strings are assessed and which apply
//!   to a system, from its os-release.
//! - [`import`]: reading records out of files, folders and zips, bounded.
//! - [`index`]: the SQLite index (file, in memory, or the bundled records).
//! - [`assess`]: matching a [`SystemObservation`] against the index.
//! - [`severity`]: the publisher's rating and the CVSS base score.
//!
//! Bad input never stops an import: a record that cannot be read, an entry
//! that is too large or an ecosystem that is not assessed becomes one
//! sentence in the summary's `problems`, and everything else is imported.
//!
//! [`SystemObservation`]: trustwatch_rules::observe::packages::SystemObservation

pub mod assess;
pub mod bundled;
pub mod ecosystem;
pub mod import;
pub mod index;
pub mod osv;
pub mod severity;
mod summary;

pub use assess::Assessment;
pub use ecosystem::{ecosystems_for, Distro, EcosystemKey};
pub use import::{EcosystemCounts, ImportSummary};
pub use index::Index;

/// Why an index could not be created, opened or written. Problems with the
/// advisory data itself are not errors: they are collected in
/// [`ImportSummary::problems`].
#[derive(Debug, thiserror::Error)]
pub enum AdvisoryError {
    /// The SQLite file could not be opened, read or written.
    #[error("{path}: the advisory index could not be used: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    /// A file or folder could not be read at all.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A SQLite file that is not a Trustwatch advisory index.
    #[error(
        "{path}: this SQLite file is not a Trustwatch advisory index (it has no index meta table)"
    )]
    NotAnIndex { path: String },
    /// An index written by another format version.
    #[error("{path}: the advisory index is format {found}, this build reads format {expected}; import the advisories again")]
    Format {
        path: String,
        found: String,
        expected: u32,
    },
}
