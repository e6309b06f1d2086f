//! The spool's small state file: the next sequence number and how many
//! reports the caps have dropped. Written atomically, and always before the
//! report that takes a number, so a crash can skip a number (a gap the
//! collector records) but never hand the same number out twice.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::SpoolError;
use crate::fsio;

pub const STATE_FILE: &str = "state.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The sequence the next spooled report gets; sequences start at 1.
    pub next_sequence: u64,
    /// Reports dropped by the size and age caps since the spool was made.
    #[serde(default)]
    pub dropped: u64,
}

impl Default for State {
    fn default() -> Self {
        State {
            next_sequence: 1,
            dropped: 0,
        }
    }
}

/// What reading the state file found.
#[derive(Debug)]
pub enum Loaded {
    Found(State),
    Missing,
    /// Unreadable or not a state document: why.
    Corrupt(String),
}

pub fn load(dir: &Path) -> Result<Loaded, SpoolError> {
    let path = dir.join(STATE_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::Missing),
        Err(source) => {
            return Err(SpoolError::Io {
                action: "read",
                path,
                source,
            })
        }
    };
    Ok(match serde_json::from_slice::<State>(&bytes) {
        Ok(state) if state.next_sequence >= 1 => Loaded::Found(state),
        Ok(_) => Loaded::Corrupt("next_sequence is 0".into()),
        Err(e) => Loaded::Corrupt(e.to_string()),
    })
}

pub fn save(dir: &Path, state: &State) -> Result<(), SpoolError> {
    let path = dir.join(STATE_FILE);
    // Serialising two integers cannot fail.
    let body = serde_json::to_vec(state).unwrap_or_default();
    fsio::write_atomic(&path, &body, None).map_err(|source| SpoolError::Io {
        action: "write",
        path,
        source,
    })
}
