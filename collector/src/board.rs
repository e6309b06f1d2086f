//! The board report (issue 8): one printable page for a trust board or its
//! audit committee. A headline rating per CAF outcome the scanner
//! evidences, six KPIs with their trend over the period, the top findings
//! as risk-register entries and the exceptions register in brief.
//!
//! `data.rs` reads the store (one snapshot, either backend); `kpi.rs`
//! rebuilds the KPIs at past moments from history; `rag.rs`, `risk.rs` and
//! `register.rs` hold the rating, scoring and summary rules; `render.rs`,
//! `kpis.rs` and `svg.rs` make the HTML. Everything but `data.rs` is pure.

pub mod data;
pub(crate) mod html;
pub mod kpi;
mod kpis;
pub mod rag;
pub mod register;
mod render;
pub mod risk;
mod svg;

use std::path::Path;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustwatch_rules::Catalogue;

use crate::error::{Error, Result};
use crate::store::query::COVERAGE_RULE;
use crate::{Config, Store};

pub use render::Page;

/// How many risk-register entries the page lists.
pub const TOP_RISKS: usize = 5;
pub const MIN_PERIOD_DAYS: i64 = 7;
pub const MAX_PERIOD_DAYS: i64 = 730;

/// What to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRequest {
    /// One site, or the whole estate.
    pub site: Option<String>,
    pub period_days: i64,
    /// The report's "now": the trend's last point, and the moment
    /// exceptions, overdue findings and silent agents are judged at.
    pub as_of: OffsetDateTime,
}

/// `90d` or `13w`, within 7 to 730 days.
pub fn parse_period(text: &str) -> Result<i64> {
    let bad = || {
        Error::InvalidArgument {
        what: "--period",
        value: text.to_owned(),
        reason: format!(
            "it is not a number of days or weeks from {MIN_PERIOD_DAYS}d to {MAX_PERIOD_DAYS}d, such as 90d or 13w"
        ),
    }
    };
    let (number, days_per) = match (text.strip_suffix('d'), text.strip_suffix('w')) {
        (Some(n), _) => (n, 1),
        (_, Some(n)) => (n, 7),
        _ => return Err(bad()),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let days = number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(days_per))
        .ok_or_else(bad)?;
    if !(MIN_PERIOD_DAYS..=MAX_PERIOD_DAYS).contains(&days) {
        return Err(bad());
    }
    Ok(days)
}

/// An RFC 3339 time, e.g. `2026-11-22T12:00:00Z`.
pub fn parse_as_of(text: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| Error::InvalidArgument {
        what: "--as-of",
        value: text.to_owned(),
        reason: "it is not an RFC 3339 time such as 2026-11-22T12:00:00Z".into(),
    })
}

/// Reads the store and renders the page.
pub async fn build(
    store: &Store,
    config: &Config,
    catalogue: &Catalogue,
    req: &BoardRequest,
) -> Result<String> {
    let backend = store.backend();
    if let Some(site) = &req.site {
        if !data::site_exists(backend, site).await? {
            return Err(Error::UnknownRecord {
                what: "site",
                value: site.clone(),
                store: store.location().display().to_string(),
                hint: "no agent or finding belongs to it (see `agent list`)",
            });
        }
    }
    let as_of = req.as_of.unix_timestamp();
    let stale_after = i64::try_from(config.agents.stale_after.as_secs()).unwrap_or(i64::MAX / 4);
    let points = kpi::points(as_of, req.period_days);
    let start = points.first().copied().unwrap_or(as_of);
    let mut d = data::read(backend, req.site.as_deref(), start, as_of, stale_after).await?;

    // Silent agents are PATCH-006 failures the collector evaluates, never
    // stored: count them for the outcomes PATCH-006 maps to.
    if let Some(rule) = catalogue.rule(COVERAGE_RULE) {
        if !d.agents.is_empty() {
            d.evidenced.insert(COVERAGE_RULE.to_owned());
        }
        let coverage = coverage_tally(&d, rule.severity, as_of, stale_after);
        d.tallies.push(coverage);
    }
    let baseline = catalogue.baseline();
    let page = Page {
        organisation: config
            .board
            .trust_name
            .clone()
            .unwrap_or_else(|| "Trustwatch estate".to_owned()),
        site: req.site.clone(),
        period_days: req.period_days,
        as_of: req.as_of,
        generated_at: OffsetDateTime::now_utc(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        baseline: format!("{} {}", baseline.id, baseline.version),
        reported_baseline: d.reported_baseline.clone(),
        outcomes: rag::rate(catalogue, &d.tallies, &d.evidenced),
        trend: kpi::trend(&d.history, &points),
        risks: risk::top(
            &d.candidates,
            catalogue,
            &config.board.owners,
            as_of,
            TOP_RISKS,
        ),
        register: register::summarise(&d.exceptions, req.as_of),
        stale_after_days: stale_after / kpi::DAY,
    };
    Ok(render::page(&page))
}

/// Agents not revoked and silent longer than the window at `as_of`, as
/// PATCH-006 failures; a live PATCH-006 exception names the agent.
fn coverage_tally(
    d: &data::BoardData,
    severity: trustwatch_rules::Severity,
    as_of: i64,
    stale_after: i64,
) -> rag::Tally {
    let mut tally = rag::Tally {
        rule_id: COVERAGE_RULE.to_owned(),
        severity,
        failing: 0,
        overdue: 0,
        accepted: 0,
    };
    for (a, span) in d.agents.iter().zip(&d.history.agents) {
        if a.first_seen > as_of || a.revoked_at.is_some_and(|r| r <= as_of) {
            continue;
        }
        let before = span.contacts.partition_point(|c| *c <= as_of);
        let last = before.checked_sub(1).map(|i| span.contacts[i]);
        let silent_since = last.unwrap_or(a.first_seen) + stale_after;
        if silent_since > as_of {
            continue;
        }
        tally.failing += 1;
        let accepted = d.exceptions.iter().any(|x| {
            x.rule_id == COVERAGE_RULE
                && (x.target == a.name || x.target == "*")
                && x.live_at(as_of)
        });
        if accepted {
            tally.accepted += 1;
        } else if silent_since < as_of - rag::OVERDUE_DAYS * kpi::DAY {
            tally.overdue += 1;
        }
    }
    tally
}

/// Writes the page to `path`.
pub fn write(path: &Path, html: &str) -> Result<()> {
    std::fs::write(path, html).map_err(Error::io("write the board report to", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_days_or_weeks_within_bounds() {
        assert_eq!(parse_period("90d").unwrap(), 90);
        assert_eq!(parse_period("13w").unwrap(), 91);
        for bad in [
            "",
            "d",
            "90",
            "90x",
            "-7d",
            "6d",
            "731d",
            "1.5w",
            "99999999999999999999w",
            "+9d",
            "9é",
        ] {
            let e = parse_period(bad).unwrap_err().to_string();
            assert!(e.starts_with(&format!("--period `{bad}`")), "{e}");
            assert!(e.contains("such as 90d"), "{e}");
        }
    }

    #[test]
    fn as_of_is_rfc3339() {
        assert_eq!(
            parse_as_of("2026-11-22T12:00:00Z")
                .unwrap()
                .unix_timestamp(),
            1_795_348_800
        );
        let e = parse_as_of("yesterday").unwrap_err().to_string();
        assert!(
            e.contains("--as-of `yesterday`") && e.contains("RFC 3339"),
            "{e}"
        );
    }
}
