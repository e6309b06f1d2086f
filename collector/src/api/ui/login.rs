//! `/ui/login` and `/ui/logout`. The POST is the web view's only state
//! change: it checks the token the person pasted and, if the store accepts
//! it, hands it back as the session cookie (see `cookie.rs`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::page::{self, escape, Nav};
use super::{cookie, invalid, refuse, unavailable, ApiState, LOGIN_PATH, UI_PATH};
use crate::store::TokenCheck;

#[derive(Debug, Deserialize)]
pub(super) struct Login {
    #[serde(default)]
    token: String,
}

pub(super) async fn form() -> Response {
    render(StatusCode::OK, None)
}

pub(super) async fn submit(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(login): Form<Login>,
) -> Response {
    let text = login.token.trim();
    if text.is_empty() {
        let message = "no API token was entered";
        refuse(&state, LOGIN_PATH, message);
        return render(StatusCode::UNAUTHORIZED, Some(message));
    }
    match state.store.authenticate_api_token(text).await {
        Ok(TokenCheck::Valid(token)) => {
            tracing::info!(token = %token.id, role = token.role.as_str(), "web view sign-in");
            let mut response = Redirect::to(UI_PATH).into_response();
            cookie::attach(&mut response, &cookie::set(text, cookie::secure(&headers)));
            response
        }
        Ok(check) => render(
            StatusCode::UNAUTHORIZED,
            Some(invalid(&state, LOGIN_PATH, &check)),
        ),
        Err(e) => unavailable(e),
    }
}

/// Forgets the cookie; the token itself stays valid until it is revoked.
pub(super) async fn logout(headers: HeaderMap) -> Response {
    let mut response = Redirect::to(LOGIN_PATH).into_response();
    cookie::attach(&mut response, &cookie::clear(cookie::secure(&headers)));
    response
}

/// The login page, with the reason the last attempt failed.
pub(super) fn render(status: StatusCode, failed: Option<&str>) -> Response {
    let notice = failed
        .map(|m| format!(r#"<p class="notice bad">Not signed in: {}.</p>"#, escape(m)))
        .unwrap_or_default();
    let body = format!(
        r#"<div class="login"><h1>Sign in</h1>
<p class="sub">The web view is read-only. Sign in with an API token (any role: auditor, analyst or admin).</p>
{notice}
<form method="post" action="{LOGIN_PATH}">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="off" placeholder="twa_…" required autofocus>
<button type="submit">Sign in</button>
</form>
<p class="muted">An admin issues tokens with <code>trustwatch-collector api-token create --config FILE --name NAME --role auditor</code>. The browser keeps the token in a cookie scripts cannot read, for at most eight hours.</p>
</div>"#
    );
    page::html(status, page::document("Sign in", None, Nav::None, &body))
}
