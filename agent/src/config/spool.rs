//! The `[spool]` table: the folder reports wait in and its caps.

use std::path::PathBuf;

use super::raw::RawSpool;
use super::Validator;
use crate::error::Result;
use crate::spool::{SpoolLimits, DEFAULT_MAX_AGE_DAYS, DEFAULT_MAX_BYTES};

/// The spool folder when `[spool] dir` is absent, beside the config file.
pub const DEFAULT_DIR: &str = "spool";
/// At least 1 MiB (a large report), at most 1 TiB.
pub const MAX_BYTES: std::ops::RangeInclusive<i64> = 1 << 20..=1 << 40;
pub const MAX_AGE_DAYS: std::ops::RangeInclusive<i64> = 1..=365;

/// A validated `[spool]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolConfig {
    pub dir: PathBuf,
    pub limits: SpoolLimits,
}

impl Validator<'_> {
    pub(super) fn spool(&self, raw: &RawSpool) -> Result<SpoolConfig> {
        let dir = match &raw.dir {
            Some(dir) if dir.get_ref().trim().is_empty() => {
                return Err(self.error(dir, "spool.dir", "must name a folder"))
            }
            Some(dir) => self.path(dir),
            None => self
                .file
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join(DEFAULT_DIR),
        };
        let max_bytes = self.range(
            raw.max_bytes.as_ref(),
            "spool.max_bytes",
            &MAX_BYTES,
            DEFAULT_MAX_BYTES as i64,
        )?;
        let days = self.range(
            raw.max_age_days.as_ref(),
            "spool.max_age_days",
            &MAX_AGE_DAYS,
            DEFAULT_MAX_AGE_DAYS as i64,
        )?;
        Ok(SpoolConfig {
            dir,
            limits: SpoolLimits {
                max_bytes,
                max_age: std::time::Duration::from_secs(days * 86_400),
            },
        })
    }
}
