//! `GET /api/v1/hosts`, `/agents`, `/summaries` and `/admin-events`: the
//! read-only lists every role may see.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{look_ahead, page, params, parse, store_error, ApiState, RawQuery};
use crate::store::Cursor;

/// `{"hosts": [...], "next_cursor": ...}`, by host name.
pub(super) async fn hosts(State(state): State<Arc<ApiState>>, query: RawQuery) -> Response {
    let mut filter = match parse(query, params::host_filter) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    let (limit, ask) = look_ahead(filter.limit);
    filter.limit = ask;
    match state.store.hosts(filter).await {
        Ok(rows) => page("hosts", rows, limit, |r| Cursor::Name(r.host.clone())),
        Err(e) => store_error(e, "hosts query"),
    }
}

/// `{"agents": [...], "next_cursor": ...}`, by name, with their state.
pub(super) async fn agents(State(state): State<Arc<ApiState>>, query: RawQuery) -> Response {
    let stale = state.stale_after_secs();
    let mut filter = match parse(query, |p| params::agent_filter(p, stale)) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    let (limit, ask) = look_ahead(filter.limit);
    filter.limit = ask;
    match state.store.agents_page(filter).await {
        Ok(rows) => page("agents", rows, limit, |r| Cursor::Name(r.name.clone())),
        Err(e) => store_error(e, "agents query"),
    }
}

/// `{"summaries": [...], "next_cursor": ...}`, oldest first.
pub(super) async fn summaries(State(state): State<Arc<ApiState>>, query: RawQuery) -> Response {
    let mut filter = match parse(query, |p| params::history_filter(p, false)) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    let (limit, ask) = look_ahead(filter.limit);
    filter.limit = ask;
    match state.store.summaries(filter).await {
        Ok(rows) => page("summaries", rows, limit, |r| Cursor::Id(r.report_id)),
        Err(e) => store_error(e, "summaries query"),
    }
}

/// `{"events": [...], "next_cursor": ...}`: who changed tokens,
/// exceptions, policy and revocations, oldest first.
pub(super) async fn admin_events(State(state): State<Arc<ApiState>>, query: RawQuery) -> Response {
    let (after, limit) = match parse(query, params::page) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let (limit, ask) = look_ahead(limit);
    match state.store.admin_events(after, ask).await {
        Ok(rows) => page("events", rows, limit, |r| Cursor::Id(r.id)),
        Err(e) => store_error(e, "admin events query"),
    }
}
