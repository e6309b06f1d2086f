//! Every `/api/v1/*` request carries `Authorization: Bearer twa_…`. The
//! token is checked against the store on each request (one primary-key
//! read), so a revoked or expired token stops working at once. Refusals
//! are one JSON sentence with a reason, one tracing event and one counter:
//! 401 `api_token_invalid` (missing, unknown, expired, revoked), 403
//! `role_forbidden` (valid token, role too low).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::{refusal, ApiError, ApiState};
use crate::metrics::AuthRefusal;
use crate::store::{Actor, ApiToken, Role, TokenCheck};

/// The authenticated caller, put in the request's extensions.
#[derive(Debug, Clone)]
pub(super) struct Caller(pub(super) ApiToken);

impl Caller {
    pub(super) fn actor(&self) -> Actor {
        Actor::api(&self.0.name, &self.0.id)
    }
}

pub(super) async fn authenticate(
    State(state): State<Arc<ApiState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_owned);
    let path = req.uri().path().to_owned();
    let Some(text) = presented else {
        return unauthorized(
            &state,
            &path,
            "the request has no `Authorization: Bearer <API token>` header",
        );
    };
    match state.store.authenticate_api_token(&text).await {
        Ok(TokenCheck::Valid(token)) => {
            req.extensions_mut().insert(Caller(token));
            next.run(req).await
        }
        Ok(TokenCheck::Unknown) => unauthorized(
            &state,
            &path,
            "the API token is not one this collector issued",
        ),
        Ok(TokenCheck::Expired) => unauthorized(&state, &path, "the API token has expired"),
        Ok(TokenCheck::Revoked) => unauthorized(&state, &path, "the API token has been revoked"),
        Err(e) => {
            tracing::error!(error = %e, "API token check failed");
            super::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the store does not answer; the API token cannot be checked",
            )
        }
    }
}

fn unauthorized(state: &ApiState, path: &str, message: &str) -> Response {
    state.metrics.refuse(AuthRefusal::ApiTokenInvalid);
    tracing::warn!(%path, reason = AuthRefusal::ApiTokenInvalid.as_str(), %message, "API request refused");
    let mut response = refusal(
        StatusCode::UNAUTHORIZED,
        message,
        AuthRefusal::ApiTokenInvalid.as_str(),
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// `Err(403)` unless the caller's role is at least `needed`.
pub(super) fn require(state: &ApiState, caller: &Caller, needed: Role) -> Result<(), ApiError> {
    if caller.0.role >= needed {
        return Ok(());
    }
    state.metrics.refuse(AuthRefusal::RoleForbidden);
    let message = format!(
        "the API token `{}` has the role {}; this request needs {}",
        caller.0.name,
        caller.0.role.as_str(),
        needed.as_str()
    );
    tracing::warn!(token = %caller.0.id, reason = AuthRefusal::RoleForbidden.as_str(), %message, "API request refused");
    Err(ApiError {
        status: StatusCode::FORBIDDEN,
        message,
        reason: Some(AuthRefusal::RoleForbidden.as_str()),
    })
}
