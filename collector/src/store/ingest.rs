//! What both backends do with a report before and around the SQL: check
//! its stamps (agent, report_id, sequence), turn its findings into rows
//! ready to bind, and decide from the agent's state whether it is new, a
//! retry, a replay or late. Pure, so it is tested without a database.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustwatch_rules::{Finding, Severity, Status};

use super::write::{IncomingReport, Refusal, SequenceGap};
use crate::identity::AgentIdentity;

/// A report checked and flattened for the writer: everything the SQL
/// binds, computed before the report reaches the (single) writer.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub agent: AgentIdentity,
    pub report_uid: String,
    pub sequence: i64,
    pub received: i64,
    pub scanned: i64,
    /// When the findings were observed: the scan time, but never later
    /// than the arrival (an agent whose clock runs ahead would otherwise
    /// date a finding in the future and, through the freshness guard,
    /// freeze it until then).
    pub observed: i64,
    pub baseline_id: String,
    pub baseline_version: String,
    pub vantage: Option<String>,
    pub body: String,
    pub body_sha256: String,
    /// One row per (target, rule_id), sorted; a rule reported twice for a
    /// target keeps its last result, as the agent listed it.
    pub rows: Vec<Row>,
    /// How many findings the report listed (the receipt's `findings`).
    pub reported: usize,
    pub summary: Summary,
}

/// One finding as the store binds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub target: String,
    pub rule_id: String,
    pub status: Status,
    pub severity: Severity,
    pub title: String,
    pub summary: String,
    pub evidence: String,
    pub controls: String,
    pub cert_not_after: Option<i64>,
}

/// The `scan_summaries` row of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub targets: i64,
    pub pass: i64,
    pub fail: i64,
    pub error: i64,
    pub not_applicable: i64,
    pub fail_critical: i64,
    pub fail_high: i64,
    pub fail_medium: i64,
    pub fail_low: i64,
}

/// Checks the stamps and flattens the findings. The identity check is
/// here, not in the SQL, because it needs nothing but the certificate.
pub(crate) fn prepare(incoming: IncomingReport) -> Result<Prepared, Refusal> {
    let IncomingReport {
        agent,
        received_at,
        report,
        body,
    } = incoming;
    let claimed = report.agent.ok_or(Refusal::Missing { field: "agent" })?;
    let report_uid = report
        .report_id
        .ok_or(Refusal::Missing { field: "report_id" })?;
    let sequence = report
        .sequence
        .ok_or(Refusal::Missing { field: "sequence" })?;
    if !is_report_uid(&report_uid) {
        // Bounded: the message must stay one line whatever was sent.
        let shown: String = report_uid.chars().take(64).collect();
        return Err(Refusal::BadReportId { report_id: shown });
    }
    let sequence = i64::try_from(sequence)
        .ok()
        .filter(|s| *s >= 1)
        .ok_or(Refusal::BadSequence { sequence })?;
    if claimed != agent.name {
        return Err(Refusal::IdentityMismatch {
            claimed: claimed.chars().take(64).collect(),
            certificate: agent.name,
        });
    }
    let received = received_at.unix_timestamp();
    let scanned = report.scanned_at.unix_timestamp();
    let reported = report.findings.len();
    let mut by_key: BTreeMap<(String, String), Row> = BTreeMap::new();
    for f in report.findings {
        let row = row(f);
        by_key.insert((row.target.clone(), row.rule_id.clone()), row);
    }
    let rows: Vec<Row> = by_key.into_values().collect();
    let summary = summarise(&rows);
    Ok(Prepared {
        agent,
        report_uid,
        sequence,
        received,
        scanned,
        observed: scanned.min(received),
        baseline_id: report.baseline.id,
        baseline_version: report.baseline.version,
        vantage: report.vantage,
        body_sha256: hex::encode(Sha256::digest(body.as_bytes())),
        body,
        rows,
        reported,
        summary,
    })
}

/// 32 lowercase hex characters: 128 random bits, as the agent makes them.
fn is_report_uid(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn row(f: Finding) -> Row {
    let cert_not_after = cert_not_after(&f);
    Row {
        evidence: to_json(&f.evidence),
        controls: to_json(&f.controls),
        cert_not_after,
        target: f.target,
        rule_id: f.rule_id,
        status: f.status,
        severity: f.severity,
        title: f.title,
        summary: f.summary,
    }
}

fn summarise(rows: &[Row]) -> Summary {
    let mut s = Summary::default();
    let mut last_target: Option<&str> = None;
    for r in rows {
        // Rows are sorted by target, so a new target is a change of value.
        if last_target != Some(r.target.as_str()) {
            s.targets += 1;
            last_target = Some(&r.target);
        }
        match r.status {
            Status::Pass => s.pass += 1,
            Status::Fail => {
                s.fail += 1;
                match r.severity {
                    Severity::Critical => s.fail_critical += 1,
                    Severity::High => s.fail_high += 1,
                    Severity::Medium => s.fail_medium += 1,
                    Severity::Low => s.fail_low += 1,
                    Severity::Info => {}
                }
            }
            Status::Error => s.error += 1,
            Status::NotApplicable => s.not_applicable += 1,
        }
    }
    s
}

fn to_json(value: &impl serde::Serialize) -> String {
    // Evidence and controls came from JSON moments ago; re-serialising
    // plain maps, strings and arrays cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// `evidence.not_after` (RFC 3339) as unix seconds, when present.
fn cert_not_after(f: &Finding) -> Option<i64> {
    let text = f.evidence.get("not_after")?.as_str()?;
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// The agent's row as the writer found it (locked, on PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AgentState {
    pub revoked: bool,
    pub last_sequence: i64,
}

/// An earlier report from the same agent with the same report_id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Earlier<'a> {
    pub report_id: i64,
    pub body_sha256: &'a str,
}

/// What to do with a report, given the agent's state and any earlier
/// report with its report_id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Store { gap: Option<SequenceGap> },
    Duplicate { report_id: i64 },
    Refuse(Refusal),
}

/// Revocation first (it takes effect on the next request, retries
/// included), then the report_id (an exact retry is acknowledged whatever
/// came after it), then the sequence.
pub(crate) fn decide(p: &Prepared, agent: AgentState, earlier: Option<Earlier<'_>>) -> Decision {
    if agent.revoked {
        return Decision::Refuse(Refusal::Revoked {
            agent: p.agent.name.clone(),
        });
    }
    if let Some(e) = earlier {
        return if e.body_sha256 == p.body_sha256 {
            Decision::Duplicate {
                report_id: e.report_id,
            }
        } else {
            Decision::Refuse(Refusal::ReportIdReused {
                report_id: p.report_uid.clone(),
            })
        };
    }
    if p.sequence <= agent.last_sequence {
        return Decision::Refuse(Refusal::StaleSequence {
            sequence: p.sequence,
            last: agent.last_sequence,
        });
    }
    let gap = (p.sequence > agent.last_sequence + 1).then_some(SequenceGap {
        first_missing: agent.last_sequence + 1,
        last_missing: p.sequence - 1,
    });
    Decision::Store { gap }
}

#[cfg(test)]
mod tests;
