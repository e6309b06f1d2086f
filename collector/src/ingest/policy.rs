//! `GET /api/v1/policy` on the mutual-TLS listener: the calling agent's
//! site's central policy. The site comes from the verified certificate
//! (the `AgentIdentity` extension), never from a parameter, so an agent
//! can read only its own site's policy. The fetch is a heartbeat: it sets
//! `agents.last_contact` and records the version served.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;

use super::IngestState;
use crate::identity::AgentIdentity;
use crate::metrics::AuthRefusal;
use crate::store::AgentPolicy;

pub(super) async fn get_policy(
    State(state): State<Arc<IngestState>>,
    agent: Option<Extension<AgentIdentity>>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(Extension(agent)) = agent else {
        // Only a connection without a verified client certificate lacks it.
        state.metrics.refuse(AuthRefusal::NoClientCertificate);
        tracing::warn!(reason = "no_client_certificate", "policy fetch refused");
        return answer(
            StatusCode::FORBIDDEN,
            "the request carries no verified client certificate",
            "no_client_certificate",
        );
    };
    if query.is_some_and(|q| !q.is_empty()) {
        return answer(
            StatusCode::BAD_REQUEST,
            "GET /api/v1/policy takes no parameters: the site is the one in your certificate",
            "malformed",
        );
    }
    match state.store.policy_for_agent(&agent).await {
        Ok(AgentPolicy::Policy(policy)) => {
            tracing::debug!(agent = %agent.name, site = %agent.site, version = policy.version, "policy served");
            Json(policy.served()).into_response()
        }
        Ok(AgentPolicy::NoPolicy) => answer(
            StatusCode::NOT_FOUND,
            &format!(
                "site `{}` has no central policy; use the local configuration",
                agent.site
            ),
            "no_policy",
        ),
        Ok(AgentPolicy::Revoked) => {
            state.metrics.refuse(AuthRefusal::Revoked);
            tracing::warn!(agent = %agent.name, site = %agent.site, reason = "revoked", "policy fetch refused");
            answer(
                StatusCode::FORBIDDEN,
                &format!("agent `{}` has been revoked", agent.name),
                "revoked",
            )
        }
        Err(e) => {
            tracing::error!(agent = %agent.name, error = %e, "policy could not be read");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "the collector could not read the policy; retry later",
                "storage",
            )
        }
    }
}

fn answer(status: StatusCode, message: &str, reason: &str) -> Response {
    (status, Json(json!({ "error": message, "reason": reason }))).into_response()
}
