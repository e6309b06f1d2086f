//! What only some roles may do: policy (read: every role; set: admin),
//! agent revocation and API tokens (admin). Each change is recorded in
//! `admin_events` by the store, with the token as the actor.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::auth::{require, Caller};
use super::{
    allowed_without_query, error, json_body, params, parse, refusal, store_error, ApiState,
    RawQuery,
};
use crate::store::{Change, Role};

/// `GET /api/v1/policy?site=S`: the site's policy, or 404 `no_policy`.
pub(super) async fn get_policy(State(state): State<Arc<ApiState>>, query: RawQuery) -> Response {
    let site = match parse(query, params::site) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    match state.store.policy(&site).await {
        Ok(Some(p)) => Json(p.view()).into_response(),
        Ok(None) => refusal(
            StatusCode::NOT_FOUND,
            &format!("site `{site}` has no central policy"),
            "no_policy",
        ),
        Err(e) => store_error(e, "policy read"),
    }
}

/// `PUT /api/v1/policy?site=S` with the policy's JSON (admin).
pub(super) async fn put_policy(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    query: RawQuery,
    body: Bytes,
) -> Response {
    if let Err(r) = require(&state, &caller, Role::Admin) {
        return r.into_response();
    }
    let site = match parse(query, params::site) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    if let Err(e) = crate::ca::check_label("site", &site) {
        return error(StatusCode::BAD_REQUEST, &e.to_string());
    }
    let policy = match crate::policy::parse_json(&body, &state.catalogue) {
        Ok(p) => p,
        Err(m) => return error(StatusCode::BAD_REQUEST, &m),
    };
    match state
        .store
        .set_policy(&site, &policy, &caller.actor())
        .await
    {
        Ok(p) => {
            tracing::info!(%site, version = p.version, token = %caller.0.id, "policy set");
            Json(p.view()).into_response()
        }
        Err(e) => store_error(e, "policy update"),
    }
}

/// `{"policies": [...]}`, by site.
pub(super) async fn list_policies(State(state): State<Arc<ApiState>>, query: RawQuery) -> Response {
    if let Err(r) = parse(query, params::none) {
        return r.into_response();
    }
    match state.store.policies().await {
        Ok(list) => {
            let views: Vec<_> = list.iter().map(|p| p.view()).collect();
            Json(json!({ "policies": views })).into_response()
        }
        Err(e) => store_error(e, "policy list"),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    reason: Option<String>,
}

/// `POST /api/v1/agents/{name}/revoke` (admin), body optionally
/// `{"reason": "..."}`: sets `agents.revoked_at`, so the agent's next
/// request is refused.
pub(super) async fn revoke_agent(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    query: RawQuery,
    body: Bytes,
) -> Response {
    if let Err(r) = allowed_without_query(&state, &caller, Role::Admin, query) {
        return r.into_response();
    }
    let req: RevokeRequest = if body.is_empty() {
        RevokeRequest::default()
    } else {
        match json_body(&body, r#"{"reason": "..."}"#) {
            Ok(r) => r,
            Err(r) => return r.into_response(),
        }
    };
    let reason = req
        .reason
        .unwrap_or_else(|| "revoked through the API".into());
    if reason.is_empty() || reason.chars().count() > 500 {
        return error(
            StatusCode::BAD_REQUEST,
            "the reason must be 1 to 500 characters",
        );
    }
    match state
        .store
        .revoke_agent(&name, Some(&reason), &caller.actor())
        .await
    {
        Ok(Change::Done(at)) => {
            tracing::warn!(agent = %name, %reason, token = %caller.0.id, "agent revoked");
            revoked_view(&name, at, false)
        }
        Ok(Change::Already(at)) => revoked_view(&name, at, true),
        Ok(Change::NotFound) => refusal(
            StatusCode::NOT_FOUND,
            &format!(
                "there is no agent `{}`",
                name.chars().take(64).collect::<String>()
            ),
            "not_found",
        ),
        Err(e) => store_error(e, "agent revocation"),
    }
}

fn revoked_view(name: &str, at: OffsetDateTime, already: bool) -> Response {
    let at = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    Json(json!({ "agent": name, "revoked_at": at, "already_revoked": already })).into_response()
}

/// `{"tokens": [...]}` (admin): never the secrets.
pub(super) async fn list_tokens(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    query: RawQuery,
) -> Response {
    if let Err(r) = allowed_without_query(&state, &caller, Role::Admin, query) {
        return r.into_response();
    }
    match state.store.api_tokens().await {
        Ok(tokens) => Json(json!({ "tokens": tokens })).into_response(),
        Err(e) => store_error(e, "API token list"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    name: String,
    role: String,
    ttl_secs: Option<u64>,
}

/// `POST /api/v1/tokens` (admin), `{"name", "role", "ttl_secs"?}`: 201
/// with the token's text, shown this once.
pub(super) async fn create_token(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    query: RawQuery,
    body: Bytes,
) -> Response {
    if let Err(r) = allowed_without_query(&state, &caller, Role::Admin, query) {
        return r.into_response();
    }
    let req: TokenRequest = match json_body(&body, r#"{"name", "role", "ttl_secs"}"#) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    let Some(role) = Role::parse(&req.role) else {
        return error(
            StatusCode::BAD_REQUEST,
            &format!(
                "role `{}` is not one of admin, analyst, auditor",
                req.role.chars().take(40).collect::<String>()
            ),
        );
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let expires_at = match req.ttl_secs.map(i64::try_from) {
        None => None,
        Some(Ok(ttl)) if ttl > 0 => Some(now.saturating_add(ttl)),
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "ttl_secs must be a positive number of seconds",
            )
        }
    };
    match state
        .store
        .create_api_token(&req.name, role, expires_at, &caller.actor())
        .await
    {
        Ok(issued) => {
            tracing::info!(id = %issued.token.id, role = role.as_str(), token = %caller.0.id, "API token created");
            (
                StatusCode::CREATED,
                Json(json!({ "token": issued.text, "details": issued.token })),
            )
                .into_response()
        }
        Err(e) => store_error(e, "API token creation"),
    }
}

/// `POST /api/v1/tokens/{id}/revoke` (admin).
pub(super) async fn revoke_token(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    query: RawQuery,
) -> Response {
    if let Err(r) = allowed_without_query(&state, &caller, Role::Admin, query) {
        return r.into_response();
    }
    let shown: String = id.chars().take(40).collect();
    match state.store.revoke_api_token(&id, &caller.actor()).await {
        Ok(Change::Done(t)) => {
            tracing::info!(id = %t.id, token = %caller.0.id, "API token revoked");
            Json(t).into_response()
        }
        Ok(Change::Already(_)) => refusal(
            StatusCode::CONFLICT,
            &format!("API token `{shown}` was already revoked"),
            "already_revoked",
        ),
        Ok(Change::NotFound) => refusal(
            StatusCode::NOT_FOUND,
            &format!("there is no API token `{shown}`"),
            "not_found",
        ),
        Err(e) => store_error(e, "API token revocation"),
    }
}
