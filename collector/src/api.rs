//! The plain-HTTP listener: `/metrics`, `/healthz`, `/api/v1/findings`,
//! `/api/v1/agents`. It binds to loopback by default: the data is the
//! trust's weak spots, so exposing it is the operator's explicit choice.

mod params;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;
use trustwatch_rules::Catalogue;

use crate::metrics::{Metrics, CONTENT_TYPE};
use crate::store::{AgentRow, Store};

pub const METRICS_PATH: &str = "/metrics";
pub const FINDINGS_PATH: &str = "/api/v1/findings";
pub const AGENTS_PATH: &str = "/api/v1/agents";
pub const HEALTH_PATH: &str = "/healthz";

#[derive(Debug, Clone)]
pub struct ApiState {
    pub store: Store,
    pub metrics: Metrics,
    pub catalogue: Arc<Catalogue>,
    pub stale_after: Duration,
}

pub fn router(state: ApiState) -> Router {
    Router::new()
        .route(METRICS_PATH, get(metrics))
        .route(HEALTH_PATH, get(health))
        .route(FINDINGS_PATH, get(findings))
        .route(AGENTS_PATH, get(agents))
        .with_state(Arc::new(state))
}

impl ApiState {
    /// Unix time before which an agent's last report makes it stale.
    fn stale_before(&self) -> i64 {
        let stale = i64::try_from(self.stale_after.as_secs()).unwrap_or(i64::MAX);
        OffsetDateTime::now_utc()
            .unix_timestamp()
            .saturating_sub(stale)
    }
}

async fn metrics(State(state): State<Arc<ApiState>>) -> Response {
    let started = Instant::now();
    let rendered = match state.store.aggregates(state.stale_before()).await {
        Ok(agg) => state.metrics.render(&agg, &state.catalogue, started),
        Err(e) => Err(e),
    };
    match rendered {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "metrics scrape failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the metrics could not be computed from the store",
            )
        }
    }
}

async fn health(State(state): State<Arc<ApiState>>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            error(StatusCode::SERVICE_UNAVAILABLE, "the store does not answer")
        }
    }
}

async fn findings(
    State(state): State<Arc<ApiState>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let filter = match query
        .map_err(|e| e.body_text())
        .and_then(|Query(pairs)| params::finding_filter(&pairs))
    {
        Ok(filter) => filter,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    match state.store.findings(filter).await {
        Ok(rows) => Json(rows).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "findings query failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the findings could not be read from the store",
            )
        }
    }
}

/// An agent with its state judged against `agents.stale_after_secs`.
#[derive(Serialize)]
struct AgentView {
    #[serde(flatten)]
    agent: AgentRow,
    state: &'static str,
}

async fn agents(State(state): State<Arc<ApiState>>) -> Response {
    let stale_before = state.stale_before();
    match state.store.agents().await {
        Ok(rows) => {
            let views: Vec<AgentView> = rows
                .into_iter()
                .map(|agent| AgentView {
                    state: if agent.last_seen.unix_timestamp() < stale_before {
                        "stale"
                    } else {
                        "active"
                    },
                    agent,
                })
                .collect();
            Json(views).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "agents query failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the agents could not be read from the store",
            )
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}
