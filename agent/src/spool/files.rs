//! The spool folder's files: report names, listing them oldest first, and
//! the bounded `rejected/` folder.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::SpoolError;
use crate::fsio;

/// Digits of a report's file name: enough for any u64, so names sort as
/// their sequences do.
const WIDTH: usize = 20;
const EXT: &str = ".json";

/// The file name of report `sequence`: `00000000000000000042.json`.
pub fn name(sequence: u64) -> String {
    format!("{sequence:0WIDTH$}{EXT}")
}

/// The sequence of a report file name, or `None` for any other file.
pub fn sequence_of(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(EXT)?;
    if digits.len() != WIDTH || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A report file as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub sequence: u64,
    pub bytes: u64,
    pub modified: SystemTime,
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SpoolError + 'a {
    move |source| SpoolError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Every report file in `dir`, oldest (lowest sequence) first.
pub fn list(dir: &Path) -> Result<Vec<Entry>, SpoolError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error("list", dir))? {
        let entry = entry.map_err(io_error("list", dir))?;
        let Some(sequence) = entry.file_name().to_str().and_then(sequence_of) else {
            continue;
        };
        // A file that vanished or cannot be stat'ed is listed with what is
        // known; reading it later decides whether it is usable.
        let meta = entry.metadata().ok();
        out.push(Entry {
            sequence,
            bytes: meta.as_ref().map_or(0, |m| m.len()),
            modified: meta
                .and_then(|m| m.modified().ok())
                .unwrap_or(SystemTime::UNIX_EPOCH),
        });
    }
    out.sort_by_key(|e| e.sequence);
    Ok(out)
}

/// The highest sequence found in the names of `dir` (reports or rejected
/// copies, whose names start with it).
pub fn highest_sequence(dir: &Path) -> Result<u64, SpoolError> {
    let mut highest = 0;
    for entry in fs::read_dir(dir).map_err(io_error("list", dir))? {
        let entry = entry.map_err(io_error("list", dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let digits: String = name.chars().take(WIDTH).collect();
        if digits.len() == WIDTH && digits.bytes().all(|b| b.is_ascii_digit()) {
            highest = highest.max(digits.parse().unwrap_or(0));
        }
    }
    Ok(highest)
}

/// Removes the temporary files a crash left behind; returns how many.
pub fn remove_leftovers(dir: &Path) -> Result<usize, SpoolError> {
    let mut removed = 0;
    for entry in fs::read_dir(dir).map_err(io_error("list", dir))? {
        let entry = entry.map_err(io_error("list", dir))?;
        if entry.file_name().to_str().is_some_and(fsio::is_tmp) {
            let path = entry.path();
            fs::remove_file(&path).map_err(io_error("remove", &path))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Keeps a reason safe to put in a file name.
fn tag(reason: &str) -> String {
    let tag: String = reason
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    if tag.is_empty() {
        "refused".into()
    } else {
        tag
    }
}

/// Moves `from` (a file in the spool) into `rejected` as
/// `<its name without .json>.<reason>.json`; returns the new path.
pub fn move_to_rejected(from: &Path, rejected: &Path, reason: &str) -> Result<PathBuf, SpoolError> {
    let stem = from
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.strip_suffix(EXT).unwrap_or(n).to_owned())
        .unwrap_or_default();
    let to = rejected.join(format!("{stem}.{}{EXT}", tag(reason)));
    fs::rename(from, &to).map_err(io_error("move", from))?;
    for dir in [rejected, from.parent().unwrap_or(Path::new("."))] {
        fsio::sync_dir(dir).map_err(io_error("sync", dir))?;
    }
    Ok(to)
}

/// Keeps `rejected` within `max_files` and `max_bytes`, removing the oldest
/// first; returns how many were removed. What is there is kept for a person
/// to look at, not for the agent, so losing the oldest is acceptable.
pub fn trim_rejected(
    rejected: &Path,
    max_files: usize,
    max_bytes: u64,
) -> Result<usize, SpoolError> {
    let mut files = Vec::new();
    for entry in fs::read_dir(rejected).map_err(io_error("list", rejected))? {
        let entry = entry.map_err(io_error("list", rejected))?;
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_file() {
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            files.push((modified, entry.file_name(), meta.len()));
        }
    }
    files.sort();
    let mut total: u64 = files.iter().map(|f| f.2).sum();
    let mut count = files.len();
    let mut removed = 0;
    for (_, name, bytes) in files {
        if count <= max_files && total <= max_bytes {
            break;
        }
        let path = rejected.join(&name);
        fs::remove_file(&path).map_err(io_error("remove", &path))?;
        total -= bytes;
        count -= 1;
        removed += 1;
    }
    Ok(removed)
}
