//! The plain-HTTP listener: `/metrics` and `/healthz`, open, and the query
//! API under `/api/v1/`, which needs an API token with a role (auditor,
//! analyst, admin; see `auth.rs`). It binds to loopback by default: the
//! data is the trust's weak spots, so exposing it is the operator's choice.
//!
//! The read-only web view lives under `/ui/` (`ui.rs`), behind the same
//! tokens and roles, carried in a cookie.
//!
//! `/metrics` and `/healthz` stay unauthenticated on purpose: Prometheus
//! and load balancers scrape them without credentials, and they carry only
//! bounded aggregates (no host, target or agent names). Put the listener
//! behind a reverse proxy, or keep it on loopback, where that matters.

mod admin;
mod auth;
mod exceptions;
mod findings;
mod listings;
mod params;
mod ui;

pub use ui::UI_PATH;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;
use trustwatch_rules::Catalogue;

use crate::config::Config;
use crate::error::Error;
use crate::metrics::{Metrics, CONTENT_TYPE};
use crate::store::{Coverage, Cursor, Store};

pub const METRICS_PATH: &str = "/metrics";
pub const HEALTH_PATH: &str = "/healthz";
pub const FINDINGS_PATH: &str = "/api/v1/findings";
pub const HISTORY_PATH: &str = "/api/v1/findings/history";
pub const HOSTS_PATH: &str = "/api/v1/hosts";
pub const AGENTS_PATH: &str = "/api/v1/agents";
pub const SUMMARIES_PATH: &str = "/api/v1/summaries";
pub const EXCEPTIONS_PATH: &str = "/api/v1/exceptions";
pub const POLICY_PATH: &str = "/api/v1/policy";
pub const POLICIES_PATH: &str = "/api/v1/policies";
pub const TOKENS_PATH: &str = "/api/v1/tokens";
pub const ADMIN_EVENTS_PATH: &str = "/api/v1/admin-events";

#[derive(Debug, Clone)]
pub struct ApiState {
    pub store: Store,
    pub metrics: Metrics,
    pub catalogue: Arc<Catalogue>,
    pub stale_after: Duration,
    /// For the board report the web view renders on demand.
    pub config: Arc<Config>,
}

pub fn router(state: ApiState) -> Router {
    let state = Arc::new(state);
    let v1 = Router::new()
        .route("/findings", get(findings::list))
        .route("/findings/history", get(findings::history))
        .route("/hosts", get(listings::hosts))
        .route("/agents", get(listings::agents))
        .route("/agents/{name}/revoke", post(admin::revoke_agent))
        .route("/summaries", get(listings::summaries))
        .route(
            "/exceptions",
            get(exceptions::list).post(exceptions::create),
        )
        .route("/exceptions/{id}/withdraw", post(exceptions::withdraw))
        .route("/policy", get(admin::get_policy).put(admin::put_policy))
        .route("/policies", get(admin::list_policies))
        .route("/tokens", get(admin::list_tokens).post(admin::create_token))
        .route("/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/admin-events", get(listings::admin_events))
        // Unknown paths under /api/v1 are authenticated too, then 404.
        .fallback(|| async { error(StatusCode::NOT_FOUND, "there is no such API endpoint") })
        .layer(from_fn_with_state(state.clone(), auth::authenticate));
    Router::new()
        .route(METRICS_PATH, get(metrics))
        .route(HEALTH_PATH, get(health))
        .nest("/api/v1", v1)
        .merge(ui::router(state.clone()))
        .with_state(state)
}

impl ApiState {
    fn stale_after_secs(&self) -> i64 {
        i64::try_from(self.stale_after.as_secs()).unwrap_or(i64::MAX / 2)
    }

    /// Unix time before which an agent's last contact makes it stale.
    fn stale_before(&self) -> i64 {
        OffsetDateTime::now_utc()
            .unix_timestamp()
            .saturating_sub(self.stale_after_secs())
    }

    /// PATCH-006 as the collector evaluates it.
    fn coverage(&self) -> Option<Coverage> {
        Coverage::from_catalogue(&self.catalogue, self.stale_after_secs())
    }
}

async fn metrics(State(state): State<Arc<ApiState>>) -> Response {
    let started = Instant::now();
    // The store's health is itself a metric: a failed ping or aggregate
    // read still answers 200 with store_up 0, so Prometheus can alert on it.
    let aggregates = match state.store.ping().await {
        Ok(()) => match state.store.aggregates(state.stale_before()).await {
            Ok(agg) => Some(agg),
            Err(e) => {
                tracing::error!(error = %e, "metrics aggregates could not be read");
                None
            }
        },
        Err(e) => {
            tracing::error!(error = %e, "store ping failed during a scrape");
            None
        }
    };
    match state
        .metrics
        .render(aggregates.as_ref(), &state.catalogue, started)
    {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "metrics scrape failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the metrics could not be encoded",
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

/// The query string as pairs, or a 400.
type RawQuery = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// A refusal on its way to becoming a response: small enough to return in
/// a `Result`, unlike a `Response`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
    reason: Option<&'static str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.reason {
            Some(reason) => refusal(self.status, &self.message, reason),
            None => error(self.status, &self.message),
        }
    }
}

/// Parses the query string with `f`; any fault is a one-sentence 400.
fn parse<T>(
    query: RawQuery,
    f: impl FnOnce(&[(String, String)]) -> Result<T, String>,
) -> Result<T, ApiError> {
    query
        .map_err(|e| e.body_text())
        .and_then(|Query(p)| f(&p))
        .map_err(|message| ApiError {
            status: StatusCode::BAD_REQUEST,
            message,
            reason: None,
        })
}

/// A request that takes no query parameters and needs the role `needed`:
/// the role is checked first, so a caller without it learns nothing else.
fn allowed_without_query(
    state: &ApiState,
    caller: &auth::Caller,
    needed: crate::store::Role,
    query: RawQuery,
) -> Result<(), ApiError> {
    auth::require(state, caller, needed)?;
    parse(query, params::none)
}

/// The request body as JSON `T`; otherwise a 400 saying it is not `shape`.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8], shape: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError {
        status: StatusCode::BAD_REQUEST,
        message: format!("the body is not {shape}: {e}"),
        reason: None,
    })
}

/// The store reads `limit + 1` rows; the extra one only says whether a next
/// page exists, and the last row shown becomes the cursor.
fn look_ahead(limit: Option<u32>) -> (u32, Option<u32>) {
    let limit = limit.unwrap_or(crate::store::query::DEFAULT_PAGE);
    (limit, Some(limit + 1))
}

fn page<T: Serialize>(
    key: &str,
    mut rows: Vec<T>,
    limit: u32,
    cursor: impl Fn(&T) -> Cursor,
) -> Response {
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| cursor(r).encode())
    } else {
        None
    };
    let mut body = serde_json::Map::new();
    body.insert(key.to_owned(), json!(rows));
    body.insert("next_cursor".into(), json!(next));
    Json(body).into_response()
}

/// A store failure: the caller's fault (a cursor for another list) is a
/// 400, anything else a logged 500.
fn store_error(e: Error, what: &str) -> Response {
    match e {
        Error::InvalidArgument { .. } => error(StatusCode::BAD_REQUEST, &e.to_string()),
        e => {
            tracing::error!(error = %e, "{what} failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("the {what} could not be completed; see the collector's log"),
            )
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// An error with a machine-readable reason.
fn refusal(status: StatusCode, message: &str, reason: &str) -> Response {
    (status, Json(json!({ "error": message, "reason": reason }))).into_response()
}
