//! The last policy received, kept in the spool folder so a restart while
//! the collector is away still scans by it.

use std::path::Path;

use super::Policy;
use crate::fsio;

pub const POLICY_FILE: &str = "policy.json";

/// The cached policy; `None` if there is none or it cannot be read (then
/// said in one warning: the local config alone applies).
pub fn load_cached(dir: &Path) -> Option<Policy> {
    let path = dir.join(POLICY_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "the cached central policy cannot be read; the local config applies alone");
            return None;
        }
    };
    match serde_json::from_slice(&bytes) {
        Ok(policy) => Some(policy),
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "the cached central policy is not a policy; the local config applies alone");
            None
        }
    }
}

pub fn save_cached(dir: &Path, policy: &Policy) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let body = serde_json::to_vec_pretty(policy).map_err(std::io::Error::other)?;
    fsio::write_atomic(&dir.join(POLICY_FILE), &body, None)
}

pub fn remove_cached(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(dir.join(POLICY_FILE)) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}
