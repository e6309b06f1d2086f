//! The auditor's evidence pack (issue 8): one zip holding the scope, the
//! method, per-rule per-target results mapped to CAF, Cyber Essentials and
//! DSPT, time to remediate, a seeded reproducible sample of hosts, the
//! exceptions register, and a chained hash manifest whose head is
//! recorded in the store's append-only ledger; and `verify`, which checks
//! a pack on its own and, given the store, against the ledger and the
//! report chains it cites (see `store/ledger.rs`).

pub mod csv;
mod gather;
pub mod manifest;
mod method;
mod pack;
mod register;
pub mod remediation;
pub mod results;
pub mod sample;
mod scope;
pub mod verify;

use std::path::PathBuf;

use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::error::{Error, Result};
use crate::store::exceptions::parse_date;

pub use pack::{make, Made};

/// What `report evidence` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub site: Option<String>,
    pub period: Period,
    /// (hosts, seed).
    pub sample: Option<(usize, u64)>,
    pub out: PathBuf,
}

/// `[from, until)` in unix seconds; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub from: Option<i64>,
    pub until: Option<i64>,
}

fn midnight(d: Date) -> i64 {
    d.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp()
}

impl Period {
    /// From `--from` and `--to` (`YYYY-MM-DD`, UTC, both days included).
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Period> {
        let from_date = from.map(|f| parse_date("--from", f)).transpose()?;
        let to_date = to.map(|t| parse_date("--to", t)).transpose()?;
        if let (Some(f), Some(t)) = (from_date, to_date) {
            if f > t {
                return Err(Error::InvalidArgument {
                    what: "--from",
                    value: from.unwrap_or_default().to_owned(),
                    reason: format!("it is after --to {}", to.unwrap_or_default()),
                });
            }
        }
        Ok(Period {
            from: from_date.map(midnight),
            until: to_date.map(|t| midnight(t) + Duration::DAY.whole_seconds()),
        })
    }

    pub fn contains(&self, at: i64) -> bool {
        self.from.is_none_or(|f| at >= f) && self.until.is_none_or(|u| at < u)
    }
}

/// RFC 3339 UTC, as every timestamp in the pack is written.
pub(crate) fn utc(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

pub(crate) fn utc_unix(secs: i64) -> String {
    utc(crate::store::unix_to_time(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_takes_whole_utc_days() {
        let p = Period::parse(Some("2026-01-01"), Some("2026-01-31")).unwrap();
        assert_eq!(utc_unix(p.from.unwrap()), "2026-01-01T00:00:00Z");
        assert_eq!(utc_unix(p.until.unwrap()), "2026-02-01T00:00:00Z");
        assert!(p.contains(p.from.unwrap()));
        assert!(!p.contains(p.until.unwrap()));
        assert_eq!(Period::parse(None, None).unwrap(), Period::default());
    }

    #[test]
    fn from_after_to_and_malformed_dates_are_refused_in_one_sentence() {
        let e = Period::parse(Some("2026-02-01"), Some("2026-01-01")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--from `2026-02-01` is not allowed: it is after --to 2026-01-01"
        );
        assert!(e.is_usage());
        let e = Period::parse(Some("2026-13-01"), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--from `2026-13-01` is not allowed: it is not a date written YYYY-MM-DD"
        );
    }
}
