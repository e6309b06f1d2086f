//! `POST /api/v1/reports`: read (bounded in size and time), validate, store,
//! then answer 202. Every refusal is one JSON sentence and one counter.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use trustwatch_rules::{Report, SCHEMA_VERSION};

use super::IngestState;
use crate::identity::AgentIdentity;
use crate::metrics::RejectReason;
use crate::store::IncomingReport;

/// Longest accepted `rule_id` and `target`: real ones are far shorter, and
/// these strings become SQL keys and API output.
const MAX_RULE_ID: usize = 64;
const MAX_TARGET: usize = 1024;

pub(super) async fn post_report(
    State(state): State<Arc<IngestState>>,
    agent: Option<Extension<AgentIdentity>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let Some(Extension(agent)) = agent else {
        // The listener always sets it; reaching here is our bug, not the
        // agent's, but the answer must still be a refusal.
        return error(
            StatusCode::FORBIDDEN,
            "the request carries no verified client certificate",
        );
    };
    let max = state.max_report_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max) {
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
            return error(
                StatusCode::REQUEST_TIMEOUT,
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
            return error(StatusCode::BAD_REQUEST, "the report body could not be read");
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };

    let report = match parse(&bytes) {
        Ok(report) => report,
        Err((reason, message)) => {
            return reject(&state, &agent, reason, StatusCode::BAD_REQUEST, message);
        }
    };
    let incoming = IncomingReport {
        agent: agent.clone(),
        received_at: OffsetDateTime::now_utc(),
        report,
        // `parse` has checked it is UTF-8.
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    match state.store.ingest(incoming).await {
        Ok(stored) => {
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
            tracing::info!(agent = %agent.name, site = %agent.site, report_id = stored.report_id,
                findings = stored.findings, duplicate = stored.duplicate, "report ingested");
            (
                StatusCode::ACCEPTED,
                Json(json!({
                    "report_id": stored.report_id,
                    "findings": stored.findings,
                })),
            )
                .into_response()
        }
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
    error(status, &message)
}

pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}
