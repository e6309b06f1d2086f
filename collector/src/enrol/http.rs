//! `POST /api/v1/enrol` (token, no client certificate) and
//! `POST /api/v1/renew` (client certificate) on the ingest listener. Both
//! answer with the same shape: the new certificate, the CA, the agent's
//! name and site, and the expiry. Every refusal is `{"error", "reason"}`,
//! one tracing event and one counter.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::gate::refusal;
use super::token::secret_sha256;
use crate::ca::{check_label, AgentCsr, Ca, IssuedCert};
use crate::identity::AgentIdentity;
use crate::metrics::{AuthRefusal, CertRequestRejection as Rejection, IssuedVia, Metrics};
use crate::store::{EnrolOutcome, EnrolRefusal, EnrolRequest, RenewOutcome, Renewal, Store};

pub const ENROL_PATH: &str = "/api/v1/enrol";
pub const RENEW_PATH: &str = "/api/v1/renew";
/// A CSR is well under 2 KiB; the rest is headroom, not an invitation.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the enrolment and renewal handlers need.
#[derive(Debug, Clone)]
pub struct EnrolState {
    pub store: Store,
    pub metrics: Metrics,
    pub ca: Arc<Ca>,
    /// `[enrol] cert_days`.
    pub cert_days: i64,
    pub body_read_timeout: Duration,
}

/// The two routes, to be merged into the ingest router.
pub fn router(state: EnrolState) -> Router {
    Router::new()
        .route(ENROL_PATH, post(enrol))
        .route(RENEW_PATH, post(renew))
        .with_state(Arc::new(state))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrolBody {
    token_id: String,
    secret: String,
    name: String,
    csr: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenewBody {
    csr: String,
}

async fn enrol(State(state): State<Arc<EnrolState>>, body: Body) -> Response {
    let req: EnrolBody = match read_json(&state, body, "enrolment").await {
        Ok(req) => req,
        Err(response) => return response,
    };
    if let Err(e) = check_label("agent name", &req.name) {
        return state.reject(Rejection::Malformed, &req.name, e.to_string());
    }
    let csr = match AgentCsr::from_pem(&req.csr) {
        Ok(csr) => csr,
        Err(e) => return state.reject(Rejection::BadCsr, &req.name, e.to_string()),
    };
    let (ca, name, days) = (state.ca.clone(), req.name.clone(), state.cert_days);
    let request = EnrolRequest {
        token_id: req.token_id.clone(),
        secret_sha256: secret_sha256(&req.secret),
        name: req.name.clone(),
        now: OffsetDateTime::now_utc().unix_timestamp(),
    };
    let outcome = state
        .store
        .enrol(
            request,
            Box::new(move |site| ca.sign_agent_csr(&csr, &name, site, days)),
        )
        .await;
    let (reason, message) = match outcome {
        Ok(EnrolOutcome::Enrolled { site, cert }) => {
            state.metrics.enrol.issue(IssuedVia::Enrol);
            tracing::info!(agent = %req.name, %site, token = %req.token_id,
                cert_sha256 = %cert.fingerprint, "agent enrolled");
            return state.issued(StatusCode::CREATED, &req.name, &site, &cert);
        }
        Ok(EnrolOutcome::Refused(EnrolRefusal::NameTaken)) => {
            return state.reject(
                Rejection::NameTaken,
                &req.name,
                format!(
                    "the agent name `{}` is already in use; choose another name",
                    req.name
                ),
            );
        }
        Ok(EnrolOutcome::Refused(EnrolRefusal::TokenInvalid)) => (
            AuthRefusal::TokenInvalid,
            "the enrolment token is not valid (unknown, revoked, or wrong secret)",
        ),
        Ok(EnrolOutcome::Refused(EnrolRefusal::TokenExpired)) => {
            (AuthRefusal::TokenExpired, "the enrolment token has expired")
        }
        Ok(EnrolOutcome::Refused(EnrolRefusal::TokenUsedUp)) => (
            AuthRefusal::TokenUsedUp,
            "the enrolment token has been used as often as it allows",
        ),
        Err(e) => {
            tracing::error!(agent = %req.name, error = %e, "enrolment could not be stored");
            state.metrics.enrol.reject(Rejection::Storage);
            return unavailable();
        }
    };
    state.metrics.refuse(reason);
    tracing::warn!(agent = %req.name, token = %req.token_id, reason = reason.as_str(),
        "enrolment refused");
    refusal(StatusCode::UNAUTHORIZED, reason.as_str(), message)
}

async fn renew(
    State(state): State<Arc<EnrolState>>,
    agent: Option<Extension<AgentIdentity>>,
    body: Body,
) -> Response {
    let Some(Extension(agent)) = agent else {
        // The listener refuses certificate-less requests before routing;
        // this is a second line, not the first.
        state.metrics.refuse(AuthRefusal::NoClientCertificate);
        return refusal(
            StatusCode::UNAUTHORIZED,
            AuthRefusal::NoClientCertificate.as_str(),
            "renewal needs the agent's current client certificate",
        );
    };
    let req: RenewBody = match read_json(&state, body, "renewal").await {
        Ok(req) => req,
        Err(response) => return response,
    };
    let csr = match AgentCsr::from_pem(&req.csr) {
        Ok(csr) => csr,
        Err(e) => return state.reject(Rejection::BadCsr, &agent.name, e.to_string()),
    };
    let cert = match state
        .ca
        .sign_agent_csr(&csr, &agent.name, &agent.site, state.cert_days)
    {
        Ok(cert) => cert,
        Err(e) => {
            tracing::error!(agent = %agent.name, error = %e, "renewal certificate not signed");
            return unavailable();
        }
    };
    let renewal = Renewal {
        name: agent.name.clone(),
        site: agent.site.clone(),
        fingerprint: cert.fingerprint.clone(),
        not_after: cert.not_after.unix_timestamp(),
        now: OffsetDateTime::now_utc().unix_timestamp(),
    };
    match state.store.renew(renewal).await {
        Ok(RenewOutcome::Renewed) => {
            state.metrics.enrol.issue(IssuedVia::Renew);
            tracing::info!(agent = %agent.name, site = %agent.site,
                cert_sha256 = %cert.fingerprint, "agent certificate renewed");
            state.issued(StatusCode::OK, &agent.name, &agent.site, &cert)
        }
        Ok(RenewOutcome::Revoked) => {
            // Revoked between the listener's check and this update.
            state.metrics.refuse(AuthRefusal::Revoked);
            tracing::warn!(agent = %agent.name, "renewal refused: the agent is revoked");
            refusal(
                StatusCode::FORBIDDEN,
                AuthRefusal::Revoked.as_str(),
                "this agent has been revoked",
            )
        }
        Err(e) => {
            tracing::error!(agent = %agent.name, error = %e, "renewal could not be stored");
            state.metrics.enrol.reject(Rejection::Storage);
            unavailable()
        }
    }
}

impl EnrolState {
    fn issued(&self, status: StatusCode, name: &str, site: &str, cert: &IssuedCert) -> Response {
        let not_after = cert
            .not_after
            .format(&Rfc3339)
            .unwrap_or_else(|_| cert.not_after.to_string());
        let body = json!({
            "certificate": cert.pem,
            "ca": self.ca.cert_pem(),
            "agent": name,
            "site": site,
            "not_after": not_after,
        });
        super::gate::json_response(status, &body)
    }

    fn reject(&self, reason: Rejection, agent: &str, message: String) -> Response {
        self.metrics.enrol.reject(reason);
        tracing::warn!(%agent, reason = reason.as_str(), %message, "certificate request refused");
        let status = match reason {
            Rejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::NameTaken => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        };
        refusal(status, reason.as_str(), &message)
    }
}

/// Reads a bounded body within the deadline and parses it strictly.
async fn read_json<T: DeserializeOwned>(
    state: &EnrolState,
    body: Body,
    what: &str,
) -> Result<T, Response> {
    let limited = Limited::new(body, MAX_BODY_BYTES);
    let bytes = match tokio::time::timeout(state.body_read_timeout, limited.collect()).await {
        Err(_) => {
            return Err(refusal(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "the request body did not arrive in time",
            ))
        }
        Ok(Err(e)) if e.is::<LengthLimitError>() => {
            return Err(state.reject(
                Rejection::TooLarge,
                "-",
                format!("the {what} request is larger than {MAX_BODY_BYTES} bytes"),
            ))
        }
        Ok(Err(_)) => {
            return Err(state.reject(
                Rejection::Malformed,
                "-",
                "the request body could not be read".into(),
            ))
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        state.reject(
            Rejection::Malformed,
            "-",
            format!("the {what} request is not the expected JSON object: {e}"),
        )
    })
}

fn unavailable() -> Response {
    let mut response = refusal(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the collector cannot complete this request now; retry later",
    );
    response
        .headers_mut()
        .insert("retry-after", axum::http::HeaderValue::from_static("30"));
    response
}
