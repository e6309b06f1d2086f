//! The operator's side: `token create|list|revoke` and `agent
//! revoke|list`. Each works on the store the config names, so any collector
//! sharing that store (and an operator's shell) sees the same registers;
//! every change writes one admin_events row in the same transaction.

use time::{Duration, OffsetDateTime};

use super::token::{self, EnrolToken, MAX_USES};
use crate::ca::check_label;
use crate::config::{check_public_url, Config};
use crate::error::{Error, Result};
use crate::store::{Actor, Change, NewToken, Store};

/// What `token create` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSpec {
    pub site: String,
    pub ttl: Duration,
    pub max_uses: i64,
    /// Overrides `[ingest] public_url` and the derived URL.
    pub url: Option<String>,
}

/// A created token: `text` is shown once and never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedToken {
    pub text: String,
    pub id: String,
    pub site: String,
    pub url: String,
    pub expires_at: OffsetDateTime,
    pub max_uses: i64,
}

/// Checks `spec` (before anything is written), then stores the token;
/// `ca_sha256` is the collector CA's fingerprint the token pins.
pub async fn create_token(
    store: &Store,
    config: &Config,
    ca_sha256: &str,
    spec: TokenSpec,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<CreatedToken> {
    let url = check_spec(&spec, config)?;
    // Whole seconds: what the store keeps and what is shown.
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let (id, secret) = token::generate()?;
    let expires_at = now + spec.ttl;
    let new = NewToken {
        id: id.clone(),
        secret_sha256: hex::encode(token::secret_sha256(&secret)),
        site: spec.site.clone(),
        created_at: now.unix_timestamp(),
        expires_at: expires_at.unix_timestamp(),
        max_uses: spec.max_uses,
    };
    store.create_token(new, actor).await?;
    let text = EnrolToken {
        url: url.clone(),
        ca_sha256: ca_sha256.to_owned(),
        id: id.clone(),
        secret,
    }
    .encode();
    Ok(CreatedToken {
        text,
        id,
        site: spec.site,
        url,
        expires_at,
        max_uses: spec.max_uses,
    })
}

/// Validates the spec and returns the URL the token will carry.
pub fn check_spec(spec: &TokenSpec, config: &Config) -> Result<String> {
    check_label("site", &spec.site)?;
    if !(token::MIN_TTL..=token::MAX_TTL).contains(&spec.ttl) {
        return Err(Error::InvalidArgument {
            what: "--ttl",
            value: spec.ttl.to_string(),
            reason: "it must be between 1 minute and 30 days".into(),
        });
    }
    if !(1..=MAX_USES).contains(&spec.max_uses) {
        return Err(Error::InvalidArgument {
            what: "--max-uses",
            value: spec.max_uses.to_string(),
            reason: format!("it must be between 1 and {MAX_USES}"),
        });
    }
    match &spec.url {
        Some(url) => check_public_url(url).map_err(|reason| Error::InvalidArgument {
            what: "--url",
            value: url.clone(),
            reason,
        }),
        None => Ok(ingest_url(config)),
    }
}

/// `[ingest] public_url`, else `https://<first server name or
/// 127.0.0.1>:<ingest port>`.
pub fn ingest_url(config: &Config) -> String {
    if let Some(url) = &config.ingest.public_url {
        return url.clone();
    }
    let host = config
        .ingest
        .server_names
        .first()
        .map(String::as_str)
        .unwrap_or("127.0.0.1");
    let port = config.ingest.listen.port();
    if host.contains(':') {
        format!("https://[{host}]:{port}")
    } else {
        format!("https://{host}:{port}")
    }
}

/// Revokes an enrolment token; unknown ids are the operator's error.
/// `Done(at)` or `Already(when)`.
pub async fn revoke_token(
    store: &Store,
    id: &str,
    actor: &Actor,
) -> Result<Change<OffsetDateTime>> {
    known(
        store,
        "enrolment token",
        id,
        "`token list` shows the ids",
        store.revoke_token(id, actor).await?,
    )
}

/// Revokes an agent: its next request to any collector sharing the store
/// is refused (403 `revoked`). The same store operation as the API's
/// `POST /api/v1/agents/{name}/revoke`.
pub async fn revoke_agent(
    store: &Store,
    name: &str,
    reason: Option<&str>,
    actor: &Actor,
) -> Result<Change<OffsetDateTime>> {
    check_label("agent name", name)?;
    known(
        store,
        "agent",
        name,
        "`agent list` shows the agents it knows",
        store.revoke_agent(name, reason, actor).await?,
    )
}

fn known(
    store: &Store,
    what: &'static str,
    value: &str,
    hint: &'static str,
    outcome: Change<OffsetDateTime>,
) -> Result<Change<OffsetDateTime>> {
    match outcome {
        Change::NotFound => Err(Error::UnknownRecord {
            what,
            value: value.to_owned(),
            store: store.location().display().to_string(),
            hint,
        }),
        other => Ok(other),
    }
}
