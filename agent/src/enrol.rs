//! `trustwatch-agent enrol TOKEN`: join a collector.
//!
//! The agent makes its own key, sends a certificate request with the
//! token's id and secret over TLS that trusts only the CA the token pins,
//! and writes what comes back: `agent.key` (0600), `agent.crt`, `ca.crt`,
//! and, when there is none yet, a minimal `agent.toml` pointing at them.
//! Renewal ([`crate::renew`]) uses the same request and answer over mutual
//! TLS.

pub mod csr;
mod files;
pub mod pin;
pub mod token;

use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use self::files::{
    write_config_if_absent, write_identity, CA_FILE, CERT_FILE, CONFIG_FILE, KEY_FILE,
};
use self::pin::{PinFailure, PinnedCa};
pub use self::token::{Token, TokenError};
use crate::https::{self, Response};
use crate::identity::{self, CertInfo};
use crate::net::Resolver;

pub const ENROL_PATH: &str = "/api/v1/enrol";
/// The most an enrolment request may take, connect to answer.
pub const ENROL_TIMEOUT: Duration = Duration::from_secs(30);

/// Why enrolment (or renewal) did not happen: one sentence each.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(
        "agent name {name:?} is not usable: use 1 to 64 letters, digits, '.', '_' or '-' (--name)"
    )]
    Name { name: String },
    #[error("cannot make the agent's key or certificate request: {0}")]
    Key(String),
    #[error("cannot reach the collector at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the server at {url} presented no certificate matching the token's CA fingerprint ({presented} certificate(s) presented): it is not the collector that made this token, or the token is for another collector")]
    PinNotPresented { url: String, presented: usize },
    #[error("the server at {url} presented the token's CA but its own certificate does not verify against it: {why}")]
    PinLeaf { url: String, why: String },
    /// The collector said no; `sentence` says why in words.
    #[error("{sentence}")]
    Refused {
        status: u16,
        reason: String,
        sentence: String,
    },
    #[error("the collector's answer cannot be used: {0}")]
    Answer(String),
    #[error("{}: cannot be written: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl EnrolError {
    /// Bad input from the person at the keyboard (exit 2), as opposed to a
    /// refusal or a failure on the way (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(self, EnrolError::Token(_) | EnrolError::Name { .. })
    }
}

/// The collector's answer to enrolment and renewal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Issued {
    pub certificate: String,
    pub ca: String,
    pub agent: String,
    pub site: String,
    pub not_after: String,
}

/// What enrolment wrote.
#[derive(Debug, Clone)]
pub struct Enrolled {
    pub agent: String,
    pub site: String,
    pub not_after: OffsetDateTime,
    pub written: Vec<PathBuf>,
    /// `agent.toml` when it was written now; `None` when one was there.
    pub config_written: Option<PathBuf>,
    pub config: PathBuf,
}

/// The sentence for a refusal, by the contract's reasons.
pub fn refusal(response: &Response) -> EnrolError {
    let reason = response.reason().unwrap_or_default();
    let status = response.status.as_u16();
    let sentence = match reason.as_str() {
        "token_invalid" => "the collector does not know this enrolment token (or its secret is wrong): ask for a new one".into(),
        "token_expired" => "this enrolment token has expired: ask for a new one (`trustwatch-collector token create`)".into(),
        "token_used_up" => "this enrolment token has been used as many times as it allows: ask for a new one".into(),
        "name_taken" => "another agent is already enrolled under this name: choose another with --name, or revoke the old agent first".into(),
        "bad_csr" => "the collector refused the agent's certificate request as malformed (a bug in the agent)".into(),
        "revoked" => "the collector has revoked this agent: enrol it again with a new token".into(),
        _ => format!(
            "the collector refused with {}: {}",
            response.status,
            response.message()
        ),
    };
    EnrolError::Refused {
        status,
        reason,
        sentence,
    }
}

/// Checks an answer against the request: the certificate is for our key,
/// the CA is the one expected (by pin, or as configured). Returns the
/// parsed certificate's facts.
pub fn check_issued(
    issued: &Issued,
    key_pem: &str,
    expected_ca: Option<&[u8; 32]>,
) -> Result<CertInfo, EnrolError> {
    let cert = csr::certificates(&issued.certificate, "certificate")?;
    let key = csr::private_key(key_pem)?;
    if !csr::matches(&cert, &key) {
        return Err(EnrolError::Answer(
            "the certificate is not for the key the agent sent".into(),
        ));
    }
    let ca = csr::certificates(&issued.ca, "CA")?;
    if let Some(pin) = expected_ca {
        if !ca.iter().any(|c| pin::fingerprint(c.as_ref()) == *pin) {
            return Err(EnrolError::Answer(
                "its CA is not the one the token pins".into(),
            ));
        }
    }
    if !identity::valid_name(&issued.agent) || !identity::valid_name(&issued.site) {
        return Err(EnrolError::Answer(format!(
            "agent {:?} or site {:?} is not a valid name",
            issued.agent, issued.site
        )));
    }
    CertInfo::of(&cert[0])
        .ok_or_else(|| EnrolError::Answer("the certificate does not parse as X.509".into()))
}

/// Enrols as `name` with `token`, writing into `dir`.
pub async fn enrol(
    token: &Token,
    name: &str,
    dir: &Path,
    resolver: &Resolver,
    timeout: Duration,
) -> Result<Enrolled, EnrolError> {
    if !identity::valid_name(name) {
        return Err(EnrolError::Name { name: name.into() });
    }
    let request = csr::make(name)?;
    let body = serde_json::json!({
        "token_id": token.token_id,
        "secret": token.secret,
        "name": name,
        "csr": request.csr_pem,
    });
    let (tls, failure) = PinnedCa::new(token.pin).client_config();
    let url = token.endpoint.url(ENROL_PATH);
    let answer = https::request(
        &token.endpoint,
        tls,
        Method::POST,
        ENROL_PATH,
        Some(body.to_string().into_bytes()),
        resolver,
        timeout,
    )
    .await;
    let response = match answer {
        Ok(r) => r,
        Err(u) => {
            let failure = failure.lock().unwrap_or_else(|e| e.into_inner()).take();
            return Err(match failure {
                Some(PinFailure::NotPresented { presented }) => {
                    EnrolError::PinNotPresented { url, presented }
                }
                Some(PinFailure::Leaf(why)) => EnrolError::PinLeaf { url, why },
                None => EnrolError::Unreachable {
                    url,
                    reason: u.reason,
                },
            });
        }
    };
    if response.status != StatusCode::CREATED {
        return Err(refusal(&response));
    }
    let issued: Issued = serde_json::from_slice(&response.body)
        .map_err(|e| EnrolError::Answer(format!("it is not an enrolment answer ({e})")))?;
    let info = check_issued(&issued, &request.key_pem, Some(&token.pin))?;
    let written = write_identity(dir, &request.key_pem, &issued.certificate, Some(&issued.ca))?;
    let config = dir.join(CONFIG_FILE);
    let config_written = write_config_if_absent(dir, &token.url)?;
    Ok(Enrolled {
        agent: issued.agent,
        site: issued.site,
        not_after: info.not_after,
        written,
        config_written,
        config,
    })
}

#[cfg(test)]
mod tests;
