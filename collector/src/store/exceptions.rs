//! The exceptions register: a risk the SIRO accepted for a rule on a target
//! (or every target, `*`), optionally at one site, with an owner, a
//! compensating control and an expiry. It changes how a finding is
//! reported (`reported_status`, the metrics), never the stored finding, and
//! stops applying on its own at 00:00 UTC on its expiry date.

use serde::Serialize;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, Time};
use trustwatch_rules::Catalogue;

use super::admin::{event, Actor, Change};
use super::portable::{Param, Row, Sql};
use super::query::{page_size, wrong_cursor, Cursor};
use super::{unix_to_time, Backend};
use crate::error::{Error, Result};

const DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");
/// The longest an acceptance may run before the SIRO must look again.
pub const MAX_YEARS: i32 = 3;

/// An exception as requested, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewException {
    pub site: Option<String>,
    pub rule_id: String,
    /// A finding's exact target, or `*` for every target of the rule.
    pub target: String,
    pub owner: String,
    pub siro_accepted_on: Date,
    pub compensating_control: String,
    pub reason: String,
    pub expires_on: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionState {
    Active,
    Expired,
    Withdrawn,
}

impl ExceptionState {
    pub fn parse(text: &str) -> Option<ExceptionState> {
        match text {
            "active" => Some(ExceptionState::Active),
            "expired" => Some(ExceptionState::Expired),
            "withdrawn" => Some(ExceptionState::Withdrawn),
            _ => None,
        }
    }
}

/// An exception as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exception {
    pub id: i64,
    pub site: Option<String>,
    pub rule_id: String,
    pub target: String,
    pub owner: String,
    pub siro_accepted_on: String,
    pub compensating_control: String,
    pub reason: String,
    /// `YYYY-MM-DD`: it stops applying at 00:00 UTC that day.
    pub expires: String,
    pub state: ExceptionState,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub withdrawn_at: Option<OffsetDateTime>,
}

/// Which exceptions to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExceptionQuery {
    /// Those that can apply at this site: its own and those for every site.
    pub site: Option<String>,
    pub rule_id: Option<String>,
    pub state: Option<ExceptionState>,
    pub after: Option<Cursor>,
    pub limit: Option<u32>,
}

/// `YYYY-MM-DD`, for flags and API fields.
pub fn parse_date(what: &'static str, text: &str) -> Result<Date> {
    Date::parse(text, DATE).map_err(|_| Error::InvalidArgument {
        what,
        value: text.chars().take(40).collect(),
        reason: "it is not a date written YYYY-MM-DD".into(),
    })
}

/// Unix seconds to `YYYY-MM-DD` (UTC).
pub(crate) fn date_text(unix: i64) -> String {
    unix_to_time(unix).date().format(DATE).unwrap_or_default()
}

fn midnight(date: Date) -> i64 {
    date.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp()
}

fn invalid(what: &'static str, value: &str, reason: String) -> Error {
    Error::InvalidArgument {
        what,
        value: value.chars().take(80).collect(),
        reason,
    }
}

fn text_field(what: &'static str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() || value.chars().count() > max {
        return Err(invalid(
            what,
            value,
            format!("it must be 1 to {max} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(invalid(what, value, "it holds control characters".into()));
    }
    Ok(())
}

impl NewException {
    /// Checks everything against the catalogue and `today` (UTC).
    pub fn validate(&self, catalogue: &Catalogue, today: Date) -> Result<()> {
        if catalogue.rule(&self.rule_id).is_none() {
            return Err(invalid(
                "rule",
                &self.rule_id,
                "it is not a rule of the baseline catalogue".into(),
            ));
        }
        if self.target != "*" {
            text_field("target", &self.target, 1024)?;
            if self.target.contains('\n') {
                return Err(invalid("target", &self.target, "it spans lines".into()));
            }
        }
        if let Some(site) = &self.site {
            crate::ca::check_label("site", site)?;
        }
        text_field("owner", &self.owner, 200)?;
        text_field("compensating control", &self.compensating_control, 2000)?;
        text_field("reason", &self.reason, 2000)?;
        let accepted = self.siro_accepted_on;
        let expires = self.expires_on;
        let show = |d: Date| d.format(DATE).unwrap_or_default();
        if accepted > today {
            return Err(invalid(
                "SIRO acceptance date",
                &show(accepted),
                "it is in the future".into(),
            ));
        }
        if expires <= accepted {
            return Err(invalid(
                "expiry date",
                &show(expires),
                format!("it is not after the SIRO acceptance ({})", show(accepted)),
            ));
        }
        if expires <= today {
            return Err(invalid(
                "expiry date",
                &show(expires),
                "it is not in the future".into(),
            ));
        }
        let latest = add_years(accepted, MAX_YEARS);
        if expires > latest {
            return Err(invalid(
                "expiry date",
                &show(expires),
                format!(
                    "it is more than {MAX_YEARS} years after the SIRO acceptance ({} at the latest)",
                    show(latest)
                ),
            ));
        }
        Ok(())
    }
}

/// The same day `years` later (29 February becomes 28 February).
fn add_years(date: Date, years: i32) -> Date {
    let year = date.year() + years;
    date.replace_year(year)
        .or_else(|_| date.replace_day(28).and_then(|d| d.replace_year(year)))
        .unwrap_or(date)
}

const COLUMNS: &str = "id, site, rule_id, target, owner, siro_accepted_on, compensating_control,
    reason, expires_at, created_at, created_by, withdrawn_at";

fn exception_row(r: &Row, now: i64) -> Result<Exception> {
    let expires_at = r.int(8)?;
    let withdrawn_at = r.opt_int(11)?;
    Ok(Exception {
        id: r.int(0)?,
        site: r.opt_text(1)?,
        rule_id: r.text(2)?,
        target: r.text(3)?,
        owner: r.text(4)?,
        siro_accepted_on: r.text(5)?,
        compensating_control: r.text(6)?,
        reason: r.text(7)?,
        expires: date_text(expires_at),
        state: match withdrawn_at {
            Some(_) => ExceptionState::Withdrawn,
            None if expires_at <= now => ExceptionState::Expired,
            None => ExceptionState::Active,
        },
        created_at: unix_to_time(r.int(9)?),
        created_by: r.text(10)?,
        withdrawn_at: withdrawn_at.map(unix_to_time),
    })
}

/// Stores `new` (validate it first).
pub(crate) async fn add(
    backend: &Backend,
    new: &NewException,
    actor: &Actor,
    now: i64,
) -> Result<Exception> {
    let d = backend.dialect();
    let mut insert = Sql::new(d);
    insert.push(
        "INSERT INTO exceptions (site, rule_id, target, owner, siro_accepted_on,
             compensating_control, reason, expires_at, created_at, created_by) VALUES (",
    );
    match &new.site {
        Some(site) => insert.bind(site),
        None => insert.push("NULL"),
    };
    for value in [
        Param::from(&new.rule_id),
        Param::from(&new.target),
        Param::from(&new.owner),
        Param::Text(new.siro_accepted_on.format(DATE).unwrap_or_default()),
        Param::from(&new.compensating_control),
        Param::from(&new.reason),
        Param::Int(midnight(new.expires_on)),
        Param::Int(now),
        Param::from(actor.as_str()),
    ] {
        insert.push(", ").bind(value);
    }
    insert.push(&format!(") RETURNING {COLUMNS}"));
    let detail = format!(
        "rule {} target {} site {} expires {}",
        new.rule_id,
        new.target,
        new.site.as_deref().unwrap_or("*"),
        new.expires_on.format(DATE).unwrap_or_default()
    );
    let subject = Param::Previous {
        column: 0,
        text: true,
    };
    let audit = event(d, now, actor, "exception.add", subject, detail);
    let row = backend
        .write_returned("add an exception", vec![insert, audit], "the new exception")
        .await?;
    exception_row(&row, now)
}

pub(crate) async fn list(
    backend: &Backend,
    q: &ExceptionQuery,
    now: i64,
) -> Result<Vec<Exception>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push(&format!("SELECT {COLUMNS} FROM exceptions WHERE 1 = 1"));
    if let Some(site) = &q.site {
        sql.push(" AND (site IS NULL OR site = ")
            .bind(site)
            .push(")");
    }
    if let Some(rule) = &q.rule_id {
        sql.push(" AND rule_id = ").bind(rule);
    }
    match q.state {
        None => {}
        Some(ExceptionState::Withdrawn) => {
            sql.push(" AND withdrawn_at IS NOT NULL");
        }
        Some(ExceptionState::Expired) => {
            sql.push(" AND withdrawn_at IS NULL AND expires_at <= ")
                .bind(now);
        }
        Some(ExceptionState::Active) => {
            sql.push(" AND withdrawn_at IS NULL AND expires_at > ")
                .bind(now);
        }
    }
    match &q.after {
        None => {}
        Some(Cursor::Id(id)) => {
            sql.push(" AND id > ").bind(*id);
        }
        Some(_) => return Err(wrong_cursor()),
    }
    sql.push(" ORDER BY id LIMIT ").bind(page_size(q.limit));
    let rows = backend.read("list exceptions", vec![sql]).await?;
    rows.iter()
        .flatten()
        .map(|r| exception_row(r, now))
        .collect()
}

pub(crate) async fn withdraw(
    backend: &Backend,
    id: i64,
    actor: &Actor,
    now: i64,
) -> Result<Change<Exception>> {
    let d = backend.dialect();
    let mut update = Sql::new(d);
    update
        .push("UPDATE exceptions SET withdrawn_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id)
        .push(&format!(" AND withdrawn_at IS NULL RETURNING {COLUMNS}"));
    let audit = event(d, now, actor, "exception.withdraw", id.to_string(), "")
        .only_if_previous_returned_rows();
    let done = backend
        .write_returning("withdraw an exception", vec![update, audit])
        .await?;
    if let Some(row) = done {
        return Ok(Change::Done(exception_row(&row, now)?));
    }
    let mut sql = Sql::new(d);
    sql.push(&format!("SELECT {COLUMNS} FROM exceptions WHERE id = "))
        .bind(id);
    Ok(
        match backend.read_first("withdraw an exception", sql).await? {
            Some(row) => Change::Already(exception_row(&row, now)?),
            None => Change::NotFound,
        },
    )
}

#[cfg(test)]
mod tests;
