//! The one error type of this crate: a baseline catalogue (or the
//! approved-services register read beside it) that cannot be used.
//!
//! Every message is one sentence that names the file, the line and the key,
//! because the person reading it is editing a TOML file and needs to know
//! where to look.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("{file}: cannot be read: {source}")]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The TOML is malformed or a value has the wrong type or an unknown key.
    #[error("{file} line {line}, key `{key}`: {message}")]
    Syntax {
        file: PathBuf,
        line: usize,
        key: String,
        message: String,
    },

    /// The TOML parsed but a rule breaks a catalogue invariant.
    #[error("{file} line {line}, key `{key}` of rule {rule}: {message}")]
    Invalid {
        file: PathBuf,
        line: usize,
        rule: String,
        key: String,
        message: String,
    },

    #[error("{file} line {line}, key `id`: rule {rule} is defined twice (first in {first_file} line {first_line})")]
    DuplicateId {
        file: PathBuf,
        line: usize,
        rule: String,
        first_file: PathBuf,
        first_line: usize,
    },

    /// The approved-services register (SVC-009) is malformed or has a bad
    /// value: a host that is not an address, network or `*`, a port out of
    /// range, an unknown key.
    #[error("{file} line {line}, key `{key}`: {message}")]
    Register {
        file: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
}
