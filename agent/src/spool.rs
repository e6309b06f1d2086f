//! The durable spool: every report the daemon makes waits here, one file a
//! report, until the collector has acknowledged it.
//!
//! Decisions:
//! - A report is stamped (agent, report id, sequence) and serialised once,
//!   when it is spooled; the bytes on disk are exactly what is sent, every
//!   time, so a retry is byte-for-byte the same and the collector can tell
//!   a duplicate from a replay.
//! - The next sequence number is persisted before the report file is
//!   written, so a crash skips a number (a gap) and never reuses one.
//! - Files are written atomically (temporary file, fsync, rename, fsync of
//!   the folder); temporary files found at start are a crash's leftovers
//!   and are removed.
//! - The caps (size and age) drop the oldest reports first: the newest say
//!   the most about the estate now. Drops are counted in the state file and
//!   logged, one event per drop.
//! - Reports the collector refuses for good, and files that cannot be read
//!   back, go to `rejected/` (bounded) for a person to look at; the spool
//!   carries on with the rest.

mod files;
mod state;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use ring::rand::SecureRandom;
use trustwatch_rules::Report;

use self::state::{Loaded, State};
use crate::fsio;

pub use self::files::{name as file_name, sequence_of};
pub use self::state::STATE_FILE;

pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;
pub const DEFAULT_MAX_AGE_DAYS: u64 = 14;
/// The folder refused and unreadable reports are moved to.
pub const REJECTED_DIR: &str = "rejected";
/// `rejected/` keeps at most this many files (and a quarter of the spool's
/// byte cap): enough to diagnose, never enough to fill a disk.
pub const REJECTED_MAX_FILES: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("spool {}: cannot {action}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the report could not be serialised for the spool: {0}")]
    Serialise(#[from] serde_json::Error),
    #[error("no random bytes for a report id: the system's random source failed")]
    Random,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpoolLimits {
    pub max_bytes: u64,
    pub max_age: Duration,
}

impl Default for SpoolLimits {
    fn default() -> Self {
        SpoolLimits {
            max_bytes: DEFAULT_MAX_BYTES,
            max_age: Duration::from_secs(DEFAULT_MAX_AGE_DAYS * 86_400),
        }
    }
}

/// A spooled report, as it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spooled {
    pub sequence: u64,
    pub report_id: String,
    pub body: Vec<u8>,
}

#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    rejected: PathBuf,
    limits: SpoolLimits,
    state: State,
}

impl Spool {
    /// Opens (creating if need be) the spool in `dir`: removes a crash's
    /// temporary files, loads or recovers the state, applies the caps.
    pub fn open(dir: &Path, limits: SpoolLimits, now: SystemTime) -> Result<Spool, SpoolError> {
        let rejected = dir.join(REJECTED_DIR);
        std::fs::create_dir_all(&rejected).map_err(|source| SpoolError::Io {
            action: "create",
            path: rejected.clone(),
            source,
        })?;
        let leftovers = files::remove_leftovers(dir)? + files::remove_leftovers(&rejected)?;
        if leftovers > 0 {
            tracing::info!(spool = %dir.display(), files = leftovers,
                "removed temporary files an interrupted write left in the spool");
        }
        // Numbers already used by a file here are never handed out again,
        // whatever the state file says.
        let used = files::highest_sequence(dir)?.max(files::highest_sequence(&rejected)?);
        let mut state = match state::load(dir)? {
            Loaded::Found(state) => state,
            Loaded::Missing if used == 0 => State::default(),
            Loaded::Missing => {
                tracing::error!(spool = %dir.display(), resume_at = used + 1,
                    "the spool's state file is missing; sequences resume after the highest one found");
                State::default()
            }
            Loaded::Corrupt(why) => {
                tracing::error!(spool = %dir.display(), problem = %why, resume_at = used + 1,
                    "the spool's state file is corrupt; sequences resume after the highest one found");
                State::default()
            }
        };
        state.next_sequence = state.next_sequence.max(used + 1);
        state::save(dir, &state)?;
        let mut spool = Spool {
            dir: dir.to_owned(),
            rejected,
            limits,
            state,
        };
        spool.enforce_caps(now)?;
        Ok(spool)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The sequence the next report will get.
    pub fn next_sequence(&self) -> u64 {
        self.state.next_sequence
    }

    /// Reports dropped by the caps, ever.
    pub fn dropped(&self) -> u64 {
        self.state.dropped
    }

    /// Reports waiting, and their bytes.
    pub fn pending(&self) -> Result<(usize, u64), SpoolError> {
        let list = files::list(&self.dir)?;
        Ok((list.len(), list.iter().map(|e| e.bytes).sum()))
    }

    /// Stamps `report` as agent `agent`'s next, writes it, then applies the
    /// caps (which may drop older reports, or this one if it alone is over
    /// the size cap).
    pub fn push(
        &mut self,
        mut report: Report,
        agent: &str,
        now: SystemTime,
    ) -> Result<Spooled, SpoolError> {
        let sequence = self.state.next_sequence;
        let next = State {
            next_sequence: sequence + 1,
            ..self.state
        };
        state::save(&self.dir, &next)?;
        self.state = next;
        let report_id = new_report_id()?;
        report.agent = Some(agent.to_owned());
        report.report_id = Some(report_id.clone());
        report.sequence = Some(sequence);
        let body = serde_json::to_vec(&report)?;
        let path = self.dir.join(files::name(sequence));
        fsio::write_atomic(&path, &body, None).map_err(|source| SpoolError::Io {
            action: "write",
            path,
            source,
        })?;
        self.enforce_caps(now)?;
        Ok(Spooled {
            sequence,
            report_id,
            body,
        })
    }

    /// The oldest report that can be read back. A file that cannot (torn by
    /// a disk fault, edited by hand) is moved to `rejected/` with one log
    /// line, and the next is tried.
    pub fn oldest(&mut self) -> Result<Option<Spooled>, SpoolError> {
        for entry in files::list(&self.dir)? {
            let path = self.dir.join(files::name(entry.sequence));
            match read_back(&path, entry.sequence) {
                Ok(spooled) => return Ok(Some(spooled)),
                Err(problem) => {
                    tracing::error!(file = %path.display(), problem = %problem,
                        "a spooled report cannot be read back; it is moved to rejected/ and not sent");
                    self.quarantine(&path, "corrupt")?;
                }
            }
        }
        Ok(None)
    }

    /// Forgets report `sequence`: the collector has it.
    pub fn remove(&mut self, sequence: u64) -> Result<(), SpoolError> {
        let path = self.dir.join(files::name(sequence));
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(SpoolError::Io {
                    action: "remove",
                    path,
                    source,
                })
            }
        }
        fsio::sync_dir(&self.dir).map_err(|source| SpoolError::Io {
            action: "sync",
            path: self.dir.clone(),
            source,
        })
    }

    /// Moves report `sequence` to `rejected/`, tagged with `reason`: the
    /// collector refused it for good, so it is never retried.
    pub fn reject(&mut self, sequence: u64, reason: &str) -> Result<PathBuf, SpoolError> {
        let path = self.dir.join(files::name(sequence));
        self.quarantine(&path, reason)
    }

    fn quarantine(&mut self, path: &Path, reason: &str) -> Result<PathBuf, SpoolError> {
        let to = files::move_to_rejected(path, &self.rejected, reason)?;
        files::trim_rejected(
            &self.rejected,
            REJECTED_MAX_FILES,
            self.limits.max_bytes / 4,
        )?;
        Ok(to)
    }

    /// Drops the oldest reports while the spool is over its size cap, and
    /// every report older than the age cap; counts and logs the drop.
    pub fn enforce_caps(&mut self, now: SystemTime) -> Result<u64, SpoolError> {
        let list = files::list(&self.dir)?;
        let mut total: u64 = list.iter().map(|e| e.bytes).sum();
        let mut dropped = Vec::new();
        for entry in &list {
            let age = now.duration_since(entry.modified).unwrap_or_default();
            if total > self.limits.max_bytes || age > self.limits.max_age {
                dropped.push(entry.sequence);
                total -= entry.bytes;
            }
        }
        if dropped.is_empty() {
            return Ok(0);
        }
        for &sequence in &dropped {
            let path = self.dir.join(files::name(sequence));
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(SpoolError::Io {
                        action: "remove",
                        path,
                        source,
                    })
                }
            }
        }
        let count = dropped.len() as u64;
        let next = State {
            dropped: self.state.dropped + count,
            ..self.state
        };
        state::save(&self.dir, &next)?;
        self.state = next;
        tracing::warn!(
            spool = %self.dir.display(),
            dropped = count,
            first_sequence = dropped[0],
            last_sequence = dropped[dropped.len() - 1],
            dropped_total = self.state.dropped,
            max_bytes = self.limits.max_bytes,
            max_age_days = self.limits.max_age.as_secs() / 86_400,
            "spool over its cap: the oldest reports were dropped unsent"
        );
        Ok(count)
    }
}

/// Reads a spooled report back and checks it is one: a report whose
/// stamps match its file name.
fn read_back(path: &Path, sequence: u64) -> Result<Spooled, String> {
    let body = std::fs::read(path).map_err(|e| format!("cannot be read: {e}"))?;
    let report: Report =
        serde_json::from_slice(&body).map_err(|e| format!("is not a report: {e}"))?;
    if report.sequence != Some(sequence) {
        return Err(format!(
            "carries sequence {:?}, not {sequence} as its name says",
            report.sequence
        ));
    }
    let report_id = report
        .report_id
        .filter(|id| id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .ok_or("has no report id of 32 lowercase hex digits")?;
    Ok(Spooled {
        sequence,
        report_id,
        body,
    })
}

/// 128 random bits as 32 lowercase hex digits.
pub fn new_report_id() -> Result<String, SpoolError> {
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| SpoolError::Random)?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests;
