//! The one error type of the agent crate.
//!
//! Errors are for bad input and our own failures, never for what a probe
//! observed: "port closed" or "certificate expired" are findings. Every
//! message is one sentence that names the input at fault, because it is
//! printed as-is to the person who typed the command or wrote the config.

use std::path::PathBuf;

use trustwatch_rules::CatalogueError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scan target that is not `HOST:PORT`.
    #[error("target {input:?}: {reason}")]
    Target { input: String, reason: String },

    /// A command-line value that cannot be used, e.g. `--ca /x/ca.pem: no
    /// PEM certificate found in the file`.
    #[error("{flag} {value}: {problem}")]
    Arg {
        flag: &'static str,
        value: String,
        problem: String,
    },

    /// A value that fails validation; the caller knows where it came from
    /// and says so (config line and key, or command-line flag).
    #[error("{what}: {problem}")]
    Invalid { what: &'static str, problem: String },

    /// A PEM file (CA, certificate or key) that cannot be used.
    #[error("{}: {problem}", path.display())]
    Pem { path: PathBuf, problem: String },

    #[error("{}: cannot be read: {source}", file.display())]
    ConfigRead {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The daemon config parsed badly or failed validation.
    #[error("{} line {line}, key `{key}`: {problem}", file.display())]
    Config {
        file: PathBuf,
        line: usize,
        key: String,
        problem: String,
    },

    /// A line of a `--targets` file that cannot be used.
    #[error("{} line {line}: {problem}", file.display())]
    TargetsFile {
        file: PathBuf,
        line: usize,
        problem: String,
    },

    /// The baseline catalogue could not be loaded; its message already names
    /// the file, line and key.
    #[error(transparent)]
    Catalogue(Box<CatalogueError>),

    /// A `--baseline` folder that cannot be loaded.
    #[error("--baseline {}: {source}", dir.display())]
    BaselineDir {
        dir: PathBuf,
        #[source]
        source: Box<CatalogueError>,
    },

    /// There is nothing to scan.
    #[error("nothing to scan: {hint}")]
    NothingToScan { hint: &'static str },

    /// The report could not be delivered to the collector.
    #[error("upload to {url} failed: {problem}")]
    Upload { url: String, problem: String },

    /// The spool folder cannot be used; the message names the file.
    #[error(transparent)]
    Spool(crate::spool::SpoolError),

    /// Rendering the report failed (a serialiser bug, not bad input).
    #[error("the report could not be serialised: {0}")]
    Render(#[from] serde_json::Error),
}

// Catalogue errors are boxed: they are large and rare, and every `Result`
// of this crate would otherwise carry their size.
impl From<CatalogueError> for Error {
    fn from(e: CatalogueError) -> Self {
        Error::Catalogue(Box::new(e))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
