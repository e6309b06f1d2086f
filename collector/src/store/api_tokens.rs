//! API tokens: `twa_<id>.<secret>`, shown once when created; the store
//! keeps only the SHA-256 of the secret. Checking one is a primary-key read
//! per request (so a revocation takes effect on the very next request),
//! plus a write of `last_used` at most once a minute per token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::admin::{event, Actor, Change};
use super::portable::{Row, Sql};
use super::{unix_to_time, Backend};
use crate::error::{Error, Result};

pub const TOKEN_PREFIX: &str = "twa_";
/// `last_used` is written at most this often per token.
const TOUCH_EVERY_SECS: i64 = 60;

/// What a token may do; each role includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read everything: findings, hosts, agents, history, exceptions, policy.
    Auditor,
    /// Auditor, plus create and withdraw exceptions.
    Analyst,
    /// Analyst, plus set policy, revoke agents and manage API tokens.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Auditor, Role::Analyst, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Auditor => "auditor",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// A token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used: Option<OffsetDateTime>,
}

/// A new token and its text, which exists only in this value.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: ApiToken,
    pub text: String,
}

/// The outcome of checking a presented token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCheck {
    Valid(ApiToken),
    /// Not a token's text, no such id, or the wrong secret.
    Unknown,
    Expired,
    Revoked,
}

/// A token name: 1-64 printable characters, for people to recognise.
pub fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(Error::InvalidArgument {
            what: "API token name",
            value: name.chars().take(80).collect(),
            reason: "it must be 1 to 64 printable characters".into(),
        });
    }
    Ok(())
}

/// A lifetime such as `90d`, `12h`, `30m` or `3600s` (or bare seconds), in
/// seconds.
pub fn parse_ttl(text: &str) -> Result<i64> {
    let bad = |reason: &str| Error::InvalidArgument {
        what: "lifetime",
        value: text.chars().take(40).collect(),
        reason: reason.into(),
    };
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: i64 = digits
        .parse()
        .map_err(|_| bad("write a number and a unit: 90d, 12h, 30m or 3600s"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad("the unit must be s, m, h or d")),
    };
    match n.checked_mul(scale) {
        Some(secs) if secs > 0 && secs <= 10 * 366 * 86_400 => Ok(secs),
        _ => Err(bad("it must be more than zero and at most ten years")),
    }
}

/// Splits `twa_<id>.<secret>`; `None` when it is not shaped like one.
pub fn parse_text(text: &str) -> Option<(&str, &str)> {
    let (id, secret) = text.strip_prefix(TOKEN_PREFIX)?.split_once('.')?;
    let id_ok = id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit());
    let secret_ok = (20..=100).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (id_ok && secret_ok).then_some((id, secret))
}

fn secret_sha256(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random(bytes: &mut [u8]) -> Result<()> {
    SystemRandom::new()
        .fill(bytes)
        .map_err(|_| Error::Random { what: "API token" })
}

const COLUMNS: &str = "id, name, role, created_at, expires_at, revoked_at, last_used";

fn token_row(r: &Row) -> Result<ApiToken> {
    let role = r.text(2)?;
    Ok(ApiToken {
        id: r.text(0)?,
        name: r.text(1)?,
        role: Role::parse(&role).ok_or_else(|| Error::StoreData {
            reason: format!("an API token has the unknown role `{role}`"),
        })?,
        created_at: unix_to_time(r.int(3)?),
        expires_at: r.opt_int(4)?.map(unix_to_time),
        revoked_at: r.opt_int(5)?.map(unix_to_time),
        last_used: r.opt_int(6)?.map(unix_to_time),
    })
}

pub(crate) async fn create(
    backend: &Backend,
    name: &str,
    role: Role,
    expires_at: Option<i64>,
    actor: &Actor,
    now: i64,
) -> Result<IssuedToken> {
    check_name(name)?;
    if expires_at.is_some_and(|t| t <= now) {
        return Err(Error::InvalidArgument {
            what: "API token lifetime",
            value: format!("{}", expires_at.unwrap_or_default() - now),
            reason: "it must end in the future".into(),
        });
    }
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    random(&mut id)?;
    random(&mut secret)?;
    let id = hex::encode(id);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    let d = backend.dialect();
    let mut insert = Sql::new(d);
    insert
        .push("INSERT INTO api_tokens (id, secret_sha256, name, role, created_at, expires_at) VALUES (")
        .bind(&id)
        .push(", ")
        .bind(secret_sha256(&secret))
        .push(", ")
        .bind(name)
        .push(", ")
        .bind(role.as_str())
        .push(", ")
        .bind(now)
        .push(", ");
    match expires_at {
        Some(t) => insert.bind(t),
        None => insert.push("NULL"),
    };
    insert.push(&format!(") RETURNING {COLUMNS}"));
    let detail = format!("role {}", role.as_str());
    let audit = event(d, now, actor, "api_token.create", &id, &detail);
    let row = backend
        .write_returned(
            "create an API token",
            vec![insert, audit],
            "the new API token",
        )
        .await?;
    Ok(IssuedToken {
        token: token_row(&row)?,
        text: format!("{TOKEN_PREFIX}{id}.{secret}"),
    })
}

pub(crate) async fn list(backend: &Backend) -> Result<Vec<ApiToken>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push(&format!(
        "SELECT {COLUMNS} FROM api_tokens ORDER BY created_at, id"
    ));
    let rows = backend.read("list API tokens", vec![sql]).await?;
    rows.iter().flatten().map(token_row).collect()
}

async fn get(backend: &Backend, id: &str) -> Result<Option<(ApiToken, String)>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push(&format!(
        "SELECT {COLUMNS}, secret_sha256 FROM api_tokens WHERE id = "
    ))
    .bind(id);
    match backend.read_first("check an API token", sql).await? {
        None => Ok(None),
        Some(r) => Ok(Some((token_row(&r)?, r.text(7)?))),
    }
}

pub(crate) async fn revoke(
    backend: &Backend,
    id: &str,
    actor: &Actor,
    now: i64,
) -> Result<Change<ApiToken>> {
    let d = backend.dialect();
    let mut update = Sql::new(d);
    update
        .push("UPDATE api_tokens SET revoked_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id)
        .push(&format!(" AND revoked_at IS NULL RETURNING {COLUMNS}"));
    let audit = event(d, now, actor, "api_token.revoke", id, "").only_if_previous_returned_rows();
    let done = backend
        .write_returning("revoke an API token", vec![update, audit])
        .await?;
    if let Some(row) = done {
        return Ok(Change::Done(token_row(&row)?));
    }
    Ok(match get(backend, id).await? {
        Some((token, _)) => Change::Already(token),
        None => Change::NotFound,
    })
}

/// Checks a presented token at `now`.
pub(crate) async fn authenticate(backend: &Backend, text: &str, now: i64) -> Result<TokenCheck> {
    let Some((id, secret)) = parse_text(text) else {
        return Ok(TokenCheck::Unknown);
    };
    let Some((token, stored)) = get(backend, id).await? else {
        return Ok(TokenCheck::Unknown);
    };
    // Comparing digests, not secrets: timing reveals nothing usable about
    // the secret, since finding a preimage of a SHA-256 prefix is the
    // attack either way.
    if secret_sha256(secret) != stored {
        return Ok(TokenCheck::Unknown);
    }
    if token.revoked_at.is_some() {
        return Ok(TokenCheck::Revoked);
    }
    if token.expires_at.is_some_and(|t| t.unix_timestamp() <= now) {
        return Ok(TokenCheck::Expired);
    }
    let last = token.last_used.map(OffsetDateTime::unix_timestamp);
    if last.is_none_or(|t| t <= now - TOUCH_EVERY_SECS) {
        let mut touch = Sql::new(backend.dialect());
        touch
            .push("UPDATE api_tokens SET last_used = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND (last_used IS NULL OR last_used < ")
            .bind(now)
            .push(")");
        backend
            .write("record an API token's use", vec![touch])
            .await?;
    }
    Ok(TokenCheck::Valid(token))
}

#[cfg(test)]
mod tests;
