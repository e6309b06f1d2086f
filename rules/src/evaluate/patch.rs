//! Rules for one system's software and patch state: OS-001 and
//! PATCH-001…PATCH-004, from what the agent read of a root filesystem
//! ([`SystemObservation`]) and the advisories its packages match.
//!
//! # Decisions
//!
//! - **One finding per rule per system**, target `system.target`, in
//!   catalogue order; a rule is evaluated when the catalogue has it with
//!   mode `agent`. The severity is the rule's own: these are local checks,
//!   with no exposure to lower it.
//! - **Days.** PATCH-001 counts whole UTC calendar days from the fix's
//!   publication date: a fix published on day D is overdue from day D+15,
//!   and `days_overdue` is the days since publication minus 14, so the
//!   first overdue day shows 1. OS-001 compares UTC calendar dates and the
//!   end date is the last supported day. PATCH-003 and PATCH-004 compare
//!   timestamps exactly (more than 14 × 24 hours, more than 7 × 24 hours),
//!   since markers and stamps carry a time. Evidence records the scan time
//!   and every date used.
//! - **OS-001.** No os-release is an `error`; an OS the lifecycle table has
//!   no entry for is an `error` naming the table's version, never a pass.
//!   Support runs to the release's (or the system's edition's)
//!   `security_until`, or to `extended_until` when the system carries the
//!   extension's enrolment tag (see `lifecycle.rs`). The evidence says
//!   which dates applied, whether an extension was applied, and the days
//!   left or past the end.
//! - **PATCH-001.** A match qualifies when it has a fixed version and the
//!   publisher rates it critical, high or important, or it scores CVSS
//!   7.0 or more, or it is unrated (no rating word the rule knows and no
//!   score), as Cyber Essentials counts unrated fixes. A rating word that
//!   is not one of critical, high, important, medium, moderate, low,
//!   negligible, unimportant or minor counts as no rating. A qualifying fix
//!   published more than 14 days before the scan fails the rule; the
//!   failure lists each one, most overdue first. A qualifying fix with no
//!   publication date cannot be timed: it is listed under `undated` and,
//!   when nothing else fails, makes the finding an `error` rather than a
//!   pass. The counts of matches within the 14 days, below the severity
//!   bar and without a fix yet are always recorded. Advisories not
//!   assessed, or no installed packages read, is an `error`.
//! - **PATCH-002.** Without an alert list the rule is `not_applicable`
//!   ("no alert list was given"): it means nothing without one, and an
//!   `error` would stand on every report of a trust that has not set one
//!   up. With a list, any listed CVE among any match's CVEs fails, whether
//!   or not a fix exists yet or is 14 days old: alert-listed flaws are
//!   exploited now. Problems in the list are recorded in the evidence.
//! - **PATCH-003.** Pending means a reboot marker is present or a newer
//!   kernel is installed than the one running. It is dated by the marker's
//!   `since` and, when a newer kernel waits, by that kernel's install time
//!   (`newest_installed_at`, which is what dates it on the Red Hat family,
//!   where there is no marker): the older of the two. Pending for more
//!   than 14 days fails, less passes with `pending_days`. Something pending
//!   that cannot be dated at all fails as "pending for an unknown time": the
//!   14 days cannot be shown to hold. Nothing pending passes, unless
//!   neither markers nor the kernel were looked at, which is an `error`.
//! - **PATCH-004** fails when no automatic-update tool is installed, when
//!   it is not set to install updates, when it has no record of success, or
//!   when its last success is more than 7 days before the scan. The
//!   configuration lines that decided it are in the evidence.

mod alerts;
mod autoupdate;
mod os;
mod overdue;
mod reboot;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, UtcOffset};

use crate::alerts::AlertList;
use crate::catalogue::{Catalogue, Mode, Rule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Status};
use crate::lifecycle::Lifecycle;
use crate::observe::{AdvisoryMatch, SystemObservation};

/// Every rule this evaluator can produce, in catalogue order.
pub const PACKAGE_RULES: &[&str] = &["OS-001", "PATCH-001", "PATCH-002", "PATCH-003", "PATCH-004"];

/// The Cyber Essentials allowance for installing a fix, and for a reboot.
pub const FIX_ALLOWANCE_DAYS: i64 = 14;

/// How stale an automatic-update tool's last success may be.
pub const AUTO_UPDATE_MAX_AGE_DAYS: i64 = 7;

/// What one package scan of a system found, and what it is judged against.
#[derive(Debug, Clone, Copy)]
pub struct PackageScan<'a> {
    pub system: &'a SystemObservation,
    /// Advisories whose affected range holds an installed version.
    pub matches: &'a [AdvisoryMatch],
    pub lifecycle: &'a Lifecycle,
    /// The alert CVE list (NHS England alerts or CISA KEV); PATCH-002 is
    /// `not_applicable` without one.
    pub alerts: Option<&'a AlertList>,
    /// False when no advisory data covered this system's packages (no
    /// index, or none for its ecosystem): PATCH-001/002 are then `error`.
    pub advisories_assessed: bool,
    pub now: OffsetDateTime,
}

pub(super) fn findings(catalogue: &Catalogue, scan: &PackageScan<'_>) -> Vec<Finding> {
    crate::evaluate::each_rule(catalogue, PACKAGE_RULES, Some(Mode::Agent), |rule| {
        let ctx = Ctx { rule, scan };
        match rule.id.as_str() {
            "OS-001" => Some(os::supported(&ctx)),
            "PATCH-001" => Some(overdue::overdue_fixes(&ctx)),
            "PATCH-002" => Some(alerts::alert_cves(&ctx)),
            "PATCH-003" => Some(reboot::pending(&ctx)),
            "PATCH-004" => Some(autoupdate::automatic_updates(&ctx)),
            _ => None,
        }
    })
}

/// One rule judged on the scanned system.
struct Ctx<'a> {
    rule: &'a Rule,
    scan: &'a PackageScan<'a>,
}

impl Ctx<'_> {
    fn system(&self) -> &SystemObservation {
        self.scan.system
    }

    fn finding(&self, status: Status, summary: String, evidence: Evidence) -> Finding {
        Finding::for_rule(
            self.rule,
            &self.scan.system.target,
            status,
            summary,
            evidence,
        )
    }

    /// Evidence every finding starts with: the scan time.
    fn evidence(&self) -> Evidence {
        Evidence::new().with("scan_time", rfc3339(self.scan.now))
    }

    /// An `error` finding with the reason.
    fn error(&self, reason: String, evidence: Evidence) -> Finding {
        let evidence = evidence.with("error", reason.as_str());
        self.finding(
            Status::Error,
            format!("could not assess: {reason}"),
            evidence,
        )
    }

    /// The `error` for PATCH-001/002 when matches cannot be trusted to be
    /// complete, or `None` when they can.
    fn unassessed_packages(&self, evidence: &Evidence) -> Option<Finding> {
        let system = self.system();
        let reason = if !self.scan.advisories_assessed {
            "no advisory data covered this system's packages"
        } else if system.packages.is_empty() {
            "no installed packages were read"
        } else {
            return None;
        };
        let mut ev = evidence
            .clone()
            .with("package_sources", system.package_sources.clone());
        if !system.problems.is_empty() {
            ev.insert("problems", system.problems.clone());
        }
        Some(self.error(reason.into(), ev))
    }
}

/// The UTC calendar date of a moment.
fn utc_date(t: OffsetDateTime) -> Date {
    t.to_offset(UtcOffset::UTC).date()
}

/// Whole UTC calendar days from `from` to `to` (negative when `from` is
/// later).
fn calendar_days(from: OffsetDateTime, to: OffsetDateTime) -> i64 {
    (utc_date(to) - utc_date(from)).whole_days()
}

/// True when more than `days` × 24 hours passed from `since` to `now`.
fn older_than(since: OffsetDateTime, now: OffsetDateTime, days: i64) -> bool {
    now - since > Duration::days(days)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

fn opt_rfc3339(t: Option<OffsetDateTime>) -> Value {
    t.map_or(Value::Null, |t| json!(rfc3339(t)))
}

/// `1 fix` / `3 fixes`.
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests;
