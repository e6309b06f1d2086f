//! Certificate-level authorisation on the ingest listener, applied to every
//! request before routing, so a route added later cannot forget it:
//! - no client certificate: only `POST /api/v1/enrol` gets through; anything
//!   else is 401 `no_client_certificate`;
//! - a certificate of a revoked agent: 403 `revoked`, checked against the
//!   store on EVERY request (one primary-key lookup, no cache), so a
//!   revocation made through any collector sharing the store holds from
//!   the agent's next request, even on a connection kept alive.
//!   `/api/v1/reports` is the exception: its check happens inside the
//!   ingest transaction, where it cannot race with the write.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::http::ENROL_PATH;
use crate::identity::AgentIdentity;
use crate::ingest::REPORTS_PATH;
use crate::metrics::{AuthRefusal, Metrics};
use crate::store::Store;

/// What the check needs; cheap to clone (one per connection).
#[derive(Debug, Clone)]
pub struct Gate {
    pub store: Store,
    pub metrics: Metrics,
}

impl Gate {
    /// None: let the request through. Some: the refusal to send instead.
    pub async fn check(&self, path: &str, identity: Option<&AgentIdentity>) -> Option<Response> {
        let Some(agent) = identity else {
            if path == ENROL_PATH {
                return None;
            }
            self.metrics.refuse(AuthRefusal::NoClientCertificate);
            tracing::warn!(%path, "request without a client certificate refused");
            return Some(refusal(
                StatusCode::UNAUTHORIZED,
                AuthRefusal::NoClientCertificate.as_str(),
                "this request needs the agent's client certificate; enrol first",
            ));
        };
        if path == ENROL_PATH || path == REPORTS_PATH {
            return None;
        }
        match self.store.revoked_at(&agent.name).await {
            Ok(None) => None,
            Ok(Some(at)) => {
                self.metrics.refuse(AuthRefusal::Revoked);
                tracing::warn!(agent = %agent.name, site = %agent.site, revoked_at = at, %path,
                    "request from a revoked agent refused");
                Some(refusal(
                    StatusCode::FORBIDDEN,
                    AuthRefusal::Revoked.as_str(),
                    "this agent has been revoked",
                ))
            }
            Err(e) => {
                // Fail closed: without the store we cannot tell.
                tracing::error!(agent = %agent.name, error = %e, "revocation check failed");
                let mut response = refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the collector cannot check this agent now; retry later",
                );
                response
                    .headers_mut()
                    .insert("retry-after", HeaderValue::from_static("30"));
                Some(response)
            }
        }
    }
}

/// `{"error": message, "reason": reason}` with `status`.
pub(crate) fn refusal(status: StatusCode, reason: &str, message: &str) -> Response {
    json_response(status, &json!({ "error": message, "reason": reason }))
}

pub(crate) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    (status, Json(body)).into_response()
}
