//! `POST /api/v1/reports`: read (bounded in size and time), validate, store,
//! then answer 202. Every refusal is one JSON sentence and one counter.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use trustwatch_rules::{Report, SCHEMA_VERSION};

use super::IngestState;
use crate::error::Error;
use crate::identity::AgentIdentity;
use crate::metrics::{AuthRefusal, RejectReason};
use crate::store::{IncomingReport, Refusal, Stored};

/// Longest accepted `rule_id` and `target`: real ones are far shorter, and
/// these strings become SQL keys and API output.
const MAX_RULE_ID: usize = 64;
const MAX_TARGET: usize = 1024;

/// How far over the limit a declared body may be and still be read (and
/// thrown away) so the client gets a readable 413; beyond it the
/// connection is closed unread.
const DRAIN_EXCESS: u64 = 1024 * 1024;

pub(super) async fn post_report(
    State(state): State<Arc<IngestState>>,
    agent: Option<Extension<AgentIdentity>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let Some(Extension(agent)) = agent else {
        // Only a verified client certificate sets it.
        state.metrics.refuse(AuthRefusal::NoClientCertificate);
        tracing::warn!("report refused: no verified client certificate");
        return error_with(
            StatusCode::UNAUTHORIZED,
            AuthRefusal::NoClientCertificate.as_str(),
            "the request carries no verified client certificate",
        );
    };
    let max = state.max_report_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared.filter(|len| *len > max) {
        // A client still sending its body would not read our answer if we
        // closed now: a modest excess is read and discarded first (bounded
        // in size and time), so the agent sees 413 and its reason.
        if len <= max.saturating_add(DRAIN_EXCESS) {
            let drain = Limited::new(body, usize::try_from(len).unwrap_or(usize::MAX));
            let _ = tokio::time::timeout(state.body_read_timeout, drain.collect()).await;
        }
        return reject(
            &state,
            &agent,
            RejectReason::TooLarge,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the report is larger than the collector's limit of {max} bytes"),
        );
    }

    let limited = Limited::new(body, usize::try_from(max).unwrap_or(usize::MAX));
    let bytes = match tokio::time::timeout(state.body_read_timeout, limited.collect()).await {
        Err(_) => {
            tracing::warn!(agent = %agent.name, "report body not received in time");
            return error_with(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "the report body did not arrive in time",
            );
        }
        Ok(Err(e)) if e.is::<LengthLimitError>() => {
            return reject(
                &state,
                &agent,
                RejectReason::TooLarge,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the report is larger than the collector's limit of {max} bytes"),
            );
        }
        Ok(Err(e)) => {
            tracing::warn!(agent = %agent.name, error = %e, "report body could not be read");
            return error_with(
                StatusCode::BAD_REQUEST,
                "unreadable",
                "the report body could not be read",
            );
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };

    let report = match parse(&bytes) {
        Ok(report) => report,
        Err((reason, message)) => {
            return reject(&state, &agent, reason, StatusCode::BAD_REQUEST, message);
        }
    };
    // Admission: a report holds a slot from here until its answer. When
    // all are taken the store is behind; the agent is told to come back
    // rather than hold a connection and memory while it waits.
    let Ok(_slot) = state.queue.clone().try_acquire_owned() else {
        return busy(&state, &agent);
    };
    let incoming = IncomingReport {
        agent: agent.clone(),
        received_at: OffsetDateTime::now_utc(),
        report,
        // `parse` has checked it is UTF-8.
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    match state.store.ingest(incoming).await {
        Ok(stored) => accepted(&state, &agent, stored, started),
        Err(Error::Refused(refusal)) => refused(&state, &agent, &refusal),
        Err(e) => {
            tracing::error!(agent = %agent.name, error = %e, "report could not be stored");
            reject(
                &state,
                &agent,
                RejectReason::Storage,
                StatusCode::INTERNAL_SERVER_ERROR,
                "the collector could not store the report; retry later".into(),
            )
        }
    }
}

/// 202 for a new report, 200 for an exact retry (the first receipt).
fn accepted(
    state: &IngestState,
    agent: &AgentIdentity,
    stored: Stored,
    started: Instant,
) -> Response {
    let receipt = |status| {
        (
            status,
            Json(json!({
                "report_id": stored.report_id,
                "findings": stored.findings,
                "duplicate": stored.duplicate,
            })),
        )
            .into_response()
    };
    if stored.duplicate {
        state.metrics.ingest.duplicate();
        tracing::info!(agent = %agent.name, site = %agent.site, report_id = stored.report_id,
            "report retried; acknowledged as a duplicate");
        return receipt(StatusCode::OK);
    }
    state.metrics.reports_ingested.inc();
    state
        .metrics
        .findings_ingested
        .inc_by(stored.findings as u64);
    state
        .metrics
        .ingest_duration
        .observe(started.elapsed().as_secs_f64());
    state.stored.send_modify(|n| *n += 1);
    if let Some(gap) = stored.gap {
        state.metrics.ingest.gap(gap.missing());
        tracing::warn!(agent = %agent.name, site = %agent.site, first_missing = gap.first_missing,
            last_missing = gap.last_missing, "the agent's sequence skipped reports");
    }
    tracing::info!(agent = %agent.name, site = %agent.site, report_id = stored.report_id,
        findings = stored.findings, changes = stored.changes, "report ingested");
    receipt(StatusCode::ACCEPTED)
}

/// A report the store would not take: its status, reason and counter.
fn refused(state: &IngestState, agent: &AgentIdentity, refusal: &Refusal) -> Response {
    let (status, counted) = match refusal {
        Refusal::Missing { .. } | Refusal::BadReportId { .. } | Refusal::BadSequence { .. } => {
            return reject(
                state,
                agent,
                RejectReason::Malformed,
                StatusCode::BAD_REQUEST,
                refusal.to_string(),
            );
        }
        Refusal::Busy => return busy(state, agent),
        Refusal::IdentityMismatch { .. } => (StatusCode::FORBIDDEN, AuthRefusal::IdentityMismatch),
        Refusal::Revoked { .. } => (StatusCode::FORBIDDEN, AuthRefusal::Revoked),
        Refusal::ReportIdReused { .. } | Refusal::StaleSequence { .. } => {
            (StatusCode::CONFLICT, AuthRefusal::ReplayedReport)
        }
    };
    state.metrics.refuse(counted);
    let message = refusal.to_string();
    tracing::warn!(agent = %agent.name, site = %agent.site, reason = refusal.reason(), %message,
        "report refused");
    error_with(status, refusal.reason(), &message)
}

fn busy(state: &IngestState, agent: &AgentIdentity) -> Response {
    state.metrics.reject(RejectReason::Busy);
    let secs = retry_after_secs();
    tracing::warn!(agent = %agent.name, site = %agent.site, retry_after = secs,
        "report deferred: the collector is busy");
    let mut response = error_with(
        StatusCode::TOO_MANY_REQUESTS,
        RejectReason::Busy.as_str(),
        &format!("the collector is busy; retry in {secs} seconds"),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

/// 1 to 10 seconds, at random: agents told to wait at the same moment
/// come back spread out instead of together.
fn retry_after_secs() -> u64 {
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    // RandomState is seeded from the OS once per process; hashing a
    // counter with it gives well-spread values without a random crate.
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    1 + std::collections::hash_map::RandomState::new().hash_one(n) % 10
}

#[derive(Deserialize)]
struct Version {
    schema_version: Option<serde_json::Value>,
}

/// Validates the body. The schema version is checked on its own first, so
/// a report from a newer agent is refused for its version rather than as
/// malformed because of fields this collector does not know.
fn parse(bytes: &[u8]) -> Result<Report, (RejectReason, String)> {
    let malformed = |m: String| (RejectReason::Malformed, m);
    if std::str::from_utf8(bytes).is_err() {
        return Err(malformed("the report is not UTF-8 text".into()));
    }
    let version: Version = serde_json::from_slice(bytes)
        .map_err(|e| malformed(format!("the report is not a JSON object: {e}")))?;
    match version.schema_version {
        Some(v) if v.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {}
        Some(v) => {
            return Err((
                RejectReason::SchemaVersion,
                format!(
                "the report has schema_version {v} but this collector accepts only {SCHEMA_VERSION}"
            ),
            ))
        }
        None => return Err(malformed("the report has no schema_version".into())),
    }
    let report: Report = serde_json::from_slice(bytes).map_err(|e| {
        malformed(format!(
            "the report does not match schema version {SCHEMA_VERSION}: {e}"
        ))
    })?;
    for (i, f) in report.findings.iter().enumerate() {
        if f.rule_id.is_empty() || f.rule_id.len() > MAX_RULE_ID {
            return Err(malformed(format!(
                "finding {i} has an empty or over-long rule_id"
            )));
        }
        if f.target.is_empty() || f.target.len() > MAX_TARGET {
            return Err(malformed(format!(
                "finding {i} has an empty or over-long target"
            )));
        }
    }
    Ok(report)
}

fn reject(
    state: &IngestState,
    agent: &AgentIdentity,
    reason: RejectReason,
    status: StatusCode,
    message: String,
) -> Response {
    state.metrics.reject(reason);
    tracing::warn!(agent = %agent.name, site = %agent.site, reason = reason.as_str(), %message, "report rejected");
    error_with(status, reason.as_str(), &message)
}

/// The JSON of every refusal: one sentence and the contract's reason.
pub(crate) fn error_with(status: StatusCode, reason: &str, message: &str) -> Response {
    (status, Json(json!({ "error": message, "reason": reason }))).into_response()
}
