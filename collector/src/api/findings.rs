//! `GET /api/v1/findings` and `GET /api/v1/findings/history`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{look_ahead, page, params, parse, store_error, ApiState, RawQuery};
use crate::store::Cursor;

/// `{"findings": [...], "next_cursor": ...}`: stored findings by (agent,
/// target, rule), then PATCH-006 for silent agents, each with its live
/// exception and `reported_status`.
pub(super) async fn list(State(state): State<Arc<ApiState>>, query: RawQuery) -> Response {
    let mut filter = match parse(query, params::finding_filter) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    let (limit, ask) = look_ahead(filter.limit);
    filter.limit = ask;
    filter.coverage = state.coverage();
    match state.store.findings(filter).await {
        Ok(rows) => page("findings", rows, limit, |r| r.cursor()),
        Err(e) => store_error(e, "findings query"),
    }
}

/// `{"changes": [...], "next_cursor": ...}`, oldest first.
pub(super) async fn history(State(state): State<Arc<ApiState>>, query: RawQuery) -> Response {
    let mut filter = match parse(query, |p| params::history_filter(p, true)) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    let (limit, ask) = look_ahead(filter.limit);
    filter.limit = ask;
    match state.store.changes(filter).await {
        Ok(rows) => page("changes", rows, limit, |r| Cursor::Id(r.id)),
        Err(e) => store_error(e, "history query"),
    }
}
