//! The exceptions register over HTTP: every role lists, analysts and
//! admins add and withdraw. Validation is the CLI's (`NewException`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use time::OffsetDateTime;

use super::auth::Caller;
use super::{
    allowed_without_query, error, json_body, look_ahead, page, params, parse, refusal, store_error,
    ApiState, RawQuery,
};
use crate::store::exceptions::parse_date;
use crate::store::{Change, Cursor, NewException, Role};

/// `{"exceptions": [...], "next_cursor": ...}`, by id.
pub(super) async fn list(State(state): State<Arc<ApiState>>, query: RawQuery) -> Response {
    let mut q = match parse(query, params::exception_query) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let (limit, ask) = look_ahead(q.limit);
    q.limit = ask;
    match state.store.exceptions(q).await {
        Ok(rows) => page("exceptions", rows, limit, |r| Cursor::Id(r.id)),
        Err(e) => store_error(e, "exceptions query"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionRequest {
    rule_id: String,
    target: String,
    #[serde(default)]
    site: Option<String>,
    owner: String,
    /// YYYY-MM-DD
    siro_accepted: String,
    compensating_control: String,
    reason: String,
    /// YYYY-MM-DD
    expires: String,
}

/// 201 with the stored exception.
pub(super) async fn create(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    query: RawQuery,
    body: Bytes,
) -> Response {
    if let Err(r) = allowed_without_query(&state, &caller, Role::Analyst, query) {
        return r.into_response();
    }
    let shape = "a JSON exception (rule_id, target, site, owner, siro_accepted, compensating_control, reason, expires)";
    let req: ExceptionRequest = match json_body(&body, shape) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    let new = match new_exception(req) {
        Ok(n) => n,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    if let Err(e) = new.validate(&state.catalogue, OffsetDateTime::now_utc().date()) {
        return error(StatusCode::BAD_REQUEST, &e.to_string());
    }
    match state.store.add_exception(&new, &caller.actor()).await {
        Ok(e) => {
            tracing::info!(id = e.id, rule = %e.rule_id, target = %e.target, token = %caller.0.id, "exception added");
            (StatusCode::CREATED, Json(e)).into_response()
        }
        Err(e) => store_error(e, "exception add"),
    }
}

fn new_exception(req: ExceptionRequest) -> crate::Result<NewException> {
    Ok(NewException {
        site: req.site,
        rule_id: req.rule_id,
        target: req.target,
        owner: req.owner,
        siro_accepted_on: parse_date("siro_accepted", &req.siro_accepted)?,
        compensating_control: req.compensating_control,
        reason: req.reason,
        expires_on: parse_date("expires", &req.expires)?,
    })
}

/// 200 with the withdrawn exception; 404 `not_found`; 409
/// `already_withdrawn`.
pub(super) async fn withdraw(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    query: RawQuery,
) -> Response {
    if let Err(r) = allowed_without_query(&state, &caller, Role::Analyst, query) {
        return r.into_response();
    }
    let Ok(id) = id.parse::<i64>() else {
        return error(
            StatusCode::BAD_REQUEST,
            &format!(
                "exception id `{}` is not a number",
                id.chars().take(40).collect::<String>()
            ),
        );
    };
    match state.store.withdraw_exception(id, &caller.actor()).await {
        Ok(Change::Done(e)) => {
            tracing::info!(id, token = %caller.0.id, "exception withdrawn");
            Json(e).into_response()
        }
        Ok(Change::Already(_)) => refusal(
            StatusCode::CONFLICT,
            &format!("exception {id} was already withdrawn"),
            "already_withdrawn",
        ),
        Ok(Change::NotFound) => refusal(
            StatusCode::NOT_FOUND,
            &format!("there is no exception {id}"),
            "not_found",
        ),
        Err(e) => store_error(e, "exception withdrawal"),
    }
}
