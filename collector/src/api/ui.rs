//! The read-only web view (issue 8): server-rendered HTML under `/ui/`
//! for a person at a browser: the estate overview, findings with filters,
//! a page per host, and the reports. No scripts at all (the pages forbid
//! them in their Content-Security-Policy) and no external assets.
//!
//! Access uses the same API tokens and roles as `/api/v1/`. A browser
//! cannot send a bearer header when it follows a link, so `/ui/login`
//! takes the token once (a POST) and keeps it in a cookie that is
//! HttpOnly (no page script can read it) and SameSite=Strict (no other
//! site can make the browser send it). Every request checks the cookie's
//! token against the store exactly as a bearer token is checked, so a
//! revoked or expired token stops working at once and a bad one is refused
//! and counted (`api_token_invalid`).
//!
//! SameSite=Strict is also the CSRF defence: every page is a GET that
//! changes nothing, and the only state change, the login POST, needs the
//! token itself in its body, which a forging site does not have.

mod cookie;
mod findings;
mod host;
mod login;
mod overview;
mod page;
mod reports;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{from_fn_with_state, map_response, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use super::auth::{self, Caller};
use super::ApiState;
use crate::metrics::AuthRefusal;
use crate::store::{Role, TokenCheck};

pub const UI_PATH: &str = "/ui/";
pub const LOGIN_PATH: &str = "/ui/login";

/// Pages that need a token, and the login, logout and style sheet, which
/// do not.
pub(super) fn router(state: Arc<ApiState>) -> Router<Arc<ApiState>> {
    let private = Router::new()
        .route(UI_PATH, get(overview::page))
        .route("/ui/findings", get(findings::page))
        .route("/ui/hosts/{host}", get(host::page))
        .route("/ui/reports", get(reports::index))
        .route("/ui/reports/board", get(reports::board))
        .route_layer(from_fn_with_state(state, authenticate));
    Router::new()
        .route("/ui", get(|| async { Redirect::to(UI_PATH) }))
        .route(LOGIN_PATH, get(login::form).post(login::submit))
        .route("/ui/logout", get(login::logout))
        .route(page::STYLE_PATH, get(style))
        .merge(private)
        .layer(map_response(protect))
}

/// The cookie's token, checked as `auth::authenticate` checks a bearer
/// token; no cookie sends the browser to the login page.
async fn authenticate(
    State(state): State<Arc<ApiState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(text) = cookie::token(req.headers()) else {
        return Redirect::to(LOGIN_PATH).into_response();
    };
    let secure = cookie::secure(req.headers());
    let path = req.uri().path().to_owned();
    match state.store.authenticate_api_token(&text).await {
        Ok(TokenCheck::Valid(token)) => {
            let caller = Caller(token);
            // Every role may read every page; the check stays so the web
            // view refuses exactly as the API would if that ever changes.
            if let Err(e) = auth::require(&state, &caller, Role::Auditor) {
                return page::problem(StatusCode::FORBIDDEN, "Not allowed", &e.message, None);
            }
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Ok(check) => {
            let message = invalid(&state, &path, &check);
            let mut response = login::render(StatusCode::UNAUTHORIZED, Some(message));
            cookie::attach(&mut response, &cookie::clear(secure));
            response
        }
        Err(e) => unavailable(e),
    }
}

/// Counts and logs a refused token; the sentence to show.
fn invalid(state: &ApiState, path: &str, check: &TokenCheck) -> &'static str {
    let message = match check {
        TokenCheck::Valid(_) => "the API token is valid",
        TokenCheck::Unknown => "the API token is not one this collector issued",
        TokenCheck::Expired => "the API token has expired",
        TokenCheck::Revoked => "the API token has been revoked",
    };
    refuse(state, path, message);
    message
}

fn refuse(state: &ApiState, path: &str, message: &str) {
    state.metrics.refuse(AuthRefusal::ApiTokenInvalid);
    tracing::warn!(%path, reason = AuthRefusal::ApiTokenInvalid.as_str(), %message, "web view request refused");
}

fn unavailable(e: crate::error::Error) -> Response {
    tracing::error!(error = %e, "API token check failed");
    page::problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "The store does not answer",
        "the API token cannot be checked; see the collector's log",
        None,
    )
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        page::STYLE,
    )
        .into_response()
}

/// Headers every web view answer carries unless the handler chose its
/// own: no scripts, frames or foreign resources; nothing cached, since the
/// pages show the trust's weak spots.
async fn protect(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let defaults = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}
