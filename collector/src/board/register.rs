//! The exceptions register in three numbers for the board: how many risks
//! are accepted now, the oldest acceptance, and how many lapse before the
//! quarter ends (each needs the SIRO again, or a fix).

use time::{Date, Month, OffsetDateTime};

/// One exception as read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionRow {
    pub id: i64,
    pub site: Option<String>,
    pub rule_id: String,
    pub target: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub siro_accepted_on: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub withdrawn_at: Option<i64>,
}

impl ExceptionRow {
    pub fn live_at(&self, t: i64) -> bool {
        self.created_at <= t && t < self.expires_at && self.withdrawn_at.is_none_or(|w| t < w)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterSummary {
    pub live: usize,
    /// The live exception the SIRO accepted first.
    pub oldest: Option<ExceptionRow>,
    /// Live now, expiring before `quarter_end`.
    pub expiring_this_quarter: usize,
    /// The first day of the next calendar quarter (NHS financial quarters
    /// start on the same days).
    pub quarter_end: Date,
    /// Lapsed without withdrawal, and withdrawn, for context.
    pub expired: usize,
    pub withdrawn: usize,
}

pub fn quarter_end(at: OffsetDateTime) -> Date {
    let month = at.month() as u8;
    let next = (month - 1) / 3 * 3 + 4;
    let (year, month) = if next > 12 {
        (at.year() + 1, next - 12)
    } else {
        (at.year(), next)
    };
    let month = Month::try_from(month).unwrap_or(Month::January);
    Date::from_calendar_date(year, month, 1).unwrap_or(at.date())
}

pub fn summarise(rows: &[ExceptionRow], as_of: OffsetDateTime) -> RegisterSummary {
    let t = as_of.unix_timestamp();
    let quarter_end = quarter_end(as_of);
    let end = quarter_end.midnight().assume_utc().unix_timestamp();
    let live: Vec<&ExceptionRow> = rows.iter().filter(|r| r.live_at(t)).collect();
    let oldest = live
        .iter()
        .min_by(|a, b| (&a.siro_accepted_on, a.id).cmp(&(&b.siro_accepted_on, b.id)))
        .map(|r| (*r).clone());
    RegisterSummary {
        live: live.len(),
        expiring_this_quarter: live.iter().filter(|r| r.expires_at < end).count(),
        oldest,
        quarter_end,
        expired: rows
            .iter()
            .filter(|r| r.created_at <= t && r.withdrawn_at.is_none() && r.expires_at <= t)
            .count(),
        withdrawn: rows
            .iter()
            .filter(|r| r.withdrawn_at.is_some_and(|w| w <= t))
            .count(),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    fn row(
        id: i64,
        accepted: &str,
        created: i64,
        expires: i64,
        withdrawn: Option<i64>,
    ) -> ExceptionRow {
        ExceptionRow {
            id,
            site: None,
            rule_id: "OS-001".into(),
            target: format!("host-{id}"),
            owner: "SIRO".into(),
            siro_accepted_on: accepted.into(),
            created_at: created,
            expires_at: expires,
            withdrawn_at: withdrawn,
        }
    }

    #[test]
    fn quarters_end_on_the_first_of_january_april_july_october() {
        assert_eq!(
            quarter_end(datetime!(2026-11-22 12:00 UTC)),
            date!(2027 - 01 - 01)
        );
        assert_eq!(
            quarter_end(datetime!(2026-01-01 00:00 UTC)),
            date!(2026 - 04 - 01)
        );
        assert_eq!(
            quarter_end(datetime!(2026-06-30 23:59 UTC)),
            date!(2026 - 07 - 01)
        );
        assert_eq!(
            quarter_end(datetime!(2026-07-01 00:00 UTC)),
            date!(2026 - 10 - 01)
        );
    }

    #[test]
    fn summary_counts_live_oldest_and_expiring_this_quarter() {
        let as_of = datetime!(2026-11-22 12:00 UTC);
        let t = as_of.unix_timestamp();
        let day = 86_400;
        let rows = [
            // Live, lapses in December.
            row(1, "2026-03-01", t - 200 * day, t + 20 * day, None),
            // Live, lapses next year; accepted first.
            row(2, "2025-12-01", t - 300 * day, t + 200 * day, None),
            // Withdrawn.
            row(3, "2024-01-01", t - 400 * day, t + 200 * day, Some(t - day)),
            // Lapsed.
            row(4, "2024-06-01", t - 500 * day, t - 10 * day, None),
            // Not yet created at the report time.
            row(5, "2020-01-01", t + day, t + 50 * day, None),
        ];
        let s = summarise(&rows, as_of);
        assert_eq!(s.live, 2);
        assert_eq!(s.oldest.map(|r| r.id), Some(2));
        assert_eq!(s.expiring_this_quarter, 1);
        assert_eq!((s.expired, s.withdrawn), (1, 1));
    }
}
