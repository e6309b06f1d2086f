//! The one error type of this crate.
//!
//! Errors are for bad configuration, broken files and our own failures;
//! every message is one sentence naming the input at fault, because the
//! person reading it has to know which file or flag to fix.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}: cannot be read: {source}")]
    ConfigRead {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Malformed TOML, a wrong type, an unknown or a missing key.
    #[error("{file} line {line}, key `{key}`: {message}")]
    ConfigSyntax {
        file: PathBuf,
        line: usize,
        key: String,
        message: String,
    },

    /// The TOML parsed but a value is unusable.
    #[error("{file} line {line}, key `{key}`: {message}")]
    ConfigInvalid {
        file: PathBuf,
        line: usize,
        key: String,
        message: String,
    },

    /// A command-line value (agent name, site, validity days) is unusable.
    #[error("{what} `{value}` is not allowed: {reason}")]
    InvalidArgument {
        what: &'static str,
        value: String,
        reason: String,
    },

    /// A token id or agent name given on the command line that the store
    /// does not hold.
    #[error("{what} `{value}` is not in the store {store}: {hint}")]
    UnknownRecord {
        what: &'static str,
        value: String,
        store: String,
        hint: &'static str,
    },

    /// A shared (PostgreSQL) store, but no copy of its collectors' CA here.
    #[error("{dir} holds no collector CA certificate (ca.crt); collectors sharing a PostgreSQL store share one CA, so copy ca.crt from a collector's data_dir")]
    CaMissing { dir: PathBuf },

    /// The operating system's random number generator failed.
    #[error("cannot draw random bytes for the {what}")]
    Random { what: &'static str },

    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A PEM file exists but does not hold what it should.
    #[error("{path} is not a usable {what}: {reason}")]
    BadPem {
        path: PathBuf,
        what: &'static str,
        reason: String,
    },

    /// A file given to `verify` that is not an evidence pack at all.
    #[error("{path} is not a Trustwatch evidence pack: {reason}")]
    NotAPack { path: PathBuf, reason: String },

    #[error("cannot generate the {what}: {source}")]
    CertificateGeneration {
        what: &'static str,
        #[source]
        source: rcgen::Error,
    },

    #[error("cannot build the TLS configuration for the {what}: {reason}")]
    Tls { what: &'static str, reason: String },

    #[error("cannot listen on {addr} for the {what}: {source}")]
    Bind {
        what: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },

    #[error("the {what} on {addr} stopped: {source}")]
    Serve {
        what: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },

    #[error("store {path}: cannot {action}: {source}")]
    Store {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: rusqlite::Error,
    },

    /// The store would not take a report (replayed, revoked, claims another
    /// agent, lacks its stamps, or the collector is busy): the agent is told
    /// why, and nothing is wrong with the store.
    #[error(transparent)]
    Refused(#[from] crate::store::Refusal),

    /// `detail` is the server's message and SQLSTATE when it sent one
    /// (the driver's own text says only "db error").
    #[error("PostgreSQL store {database}: cannot {action}: {detail}")]
    Postgres {
        database: String,
        action: &'static str,
        detail: String,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error("PostgreSQL store {database}: no connection available to {action}: {reason}")]
    PostgresPool {
        database: String,
        action: &'static str,
        reason: String,
    },

    #[error("store {path} has schema version {found}, newer than this collector understands ({supported}); upgrade the collector")]
    StoreTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    /// A row the store returned that this build cannot read (a column of an
    /// unexpected type, JSON that does not parse): a bug or a hand-edited
    /// database, never the caller's input.
    #[error("the store returned data this collector cannot read: {reason}")]
    StoreData { reason: String },

    #[error("the embedded rule catalogue is invalid: {0}")]
    Catalogue(#[from] trustwatch_rules::CatalogueError),

    #[error("cannot encode metrics: {0}")]
    Metrics(#[from] prometheus::Error),

    /// A blocking task (store access) panicked or was cancelled.
    #[error("the {what} task failed: {reason}")]
    Task { what: &'static str, reason: String },

    #[error("cannot find the trustwatch-agent binary (looked at {searched}); build it with `cargo build --release -p trustwatch-agent` or set TRUSTWATCH_AGENT_BIN")]
    AgentBinaryMissing { searched: String },

    #[error("cannot start the agent {path}: {source}")]
    AgentSpawn {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the agent exited ({status}) before its first report reached the collector; see its output above")]
    AgentExited { status: String },

    #[error("no report reached the collector within {secs} seconds; see the agent's output above")]
    NoReport { secs: u64 },
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with the action and the path it concerned.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// True for errors in the operator's input (config, flags), which the
    /// CLI reports with exit status 2.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Error::ConfigRead { .. }
                | Error::ConfigSyntax { .. }
                | Error::ConfigInvalid { .. }
                | Error::InvalidArgument { .. }
                | Error::UnknownRecord { .. }
                | Error::CaMissing { .. }
                | Error::NotAPack { .. }
        )
    }
}
