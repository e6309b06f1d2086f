//! The enrolment token's text: `twe1_` + base64url (no padding) of
//! `{"u": url, "f": CA SHA-256 hex, "i": id, "s": secret}` (the wire
//! contract with the agent). The text carries the secret; the store keeps
//! only the secret's SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Duration;

use crate::error::{Error, Result};

pub const TOKEN_PREFIX: &str = "twe1_";
pub const DEFAULT_TTL: Duration = Duration::hours(24);
pub const MIN_TTL: Duration = Duration::minutes(1);
pub const MAX_TTL: Duration = Duration::days(30);
pub const MAX_USES: i64 = 10_000;

/// The decoded token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolToken {
    /// The collector's ingest URL, `https://host:port`.
    #[serde(rename = "u")]
    pub url: String,
    /// SHA-256 of the collector CA's DER, lowercase hex: the agent pins it.
    #[serde(rename = "f")]
    pub ca_sha256: String,
    #[serde(rename = "i")]
    pub id: String,
    /// 32 random bytes, base64url without padding.
    #[serde(rename = "s")]
    pub secret: String,
}

/// Why a token text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenTextError {
    #[error("the token does not start with {TOKEN_PREFIX}")]
    Prefix,
    #[error("the token is not base64url: {0}")]
    Base64(String),
    #[error("the token does not hold the expected JSON: {0}")]
    Json(String),
}

impl EnrolToken {
    pub fn encode(&self) -> String {
        // Serialising four strings cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
    }

    pub fn decode(text: &str) -> Result<EnrolToken, TokenTextError> {
        let body = text
            .trim()
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(TokenTextError::Prefix)?;
        let json = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|e| TokenTextError::Base64(e.to_string()))?;
        serde_json::from_slice(&json).map_err(|e| TokenTextError::Json(e.to_string()))
    }
}

/// A fresh token id (16 hex characters: not secret, only unique) and
/// secret (32 bytes from the OS, base64url).
pub fn generate() -> Result<(String, String)> {
    let rng = SystemRandom::new();
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    rng.fill(&mut id)
        .and_then(|()| rng.fill(&mut secret))
        .map_err(|_| Error::Random {
            what: "enrolment token",
        })?;
    Ok((hex::encode(id), URL_SAFE_NO_PAD.encode(secret)))
}

/// SHA-256 of the secret's text, as stored and compared.
pub fn secret_sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Parses `--ttl`: a whole number and a unit (`s`, `m`, `h`, `d`), within
/// one minute and 30 days.
pub fn parse_ttl(text: &str) -> Result<Duration> {
    let bad = |reason: String| Error::InvalidArgument {
        what: "--ttl",
        value: text.to_owned(),
        reason,
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| bad("it has no unit; write e.g. 30m, 24h or 7d".into()))?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| {
        bad("it does not start with a whole number; write e.g. 30m, 24h or 7d".into())
    })?;
    // Larger than 30 days in any unit; checked first so a huge number
    // cannot overflow the multiplication below.
    if n > MAX_TTL.whole_seconds() {
        return Err(bad("it must be between 1 minute and 30 days".into()));
    }
    let ttl = match unit {
        "s" => Duration::seconds(n),
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        _ => {
            return Err(bad(format!(
                "`{unit}` is not a unit; use s, m, h or d (e.g. 24h, 7d)"
            )))
        }
    };
    if !(MIN_TTL..=MAX_TTL).contains(&ttl) {
        return Err(bad("it must be between 1 minute and 30 days".into()));
    }
    Ok(ttl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_and_has_the_contract_shape() {
        let (id, secret) = generate().unwrap();
        assert_eq!(id.len(), 16);
        assert_eq!(URL_SAFE_NO_PAD.decode(&secret).unwrap().len(), 32);
        let token = EnrolToken {
            url: "https://collector.example:8443".into(),
            ca_sha256: "ab".repeat(32),
            id,
            secret,
        };
        let text = token.encode();
        assert!(text.starts_with("twe1_"), "{text}");
        assert!(!text.contains('=') && !text.contains('+') && !text.contains('/'));
        assert_eq!(EnrolToken::decode(&text).unwrap(), token);
        // The JSON inside uses the contract's one-letter keys.
        let json: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&text[5..]).unwrap()).unwrap();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["f", "i", "s", "u"]);
    }

    #[test]
    fn two_tokens_never_share_a_secret() {
        let (a_id, a) = generate().unwrap();
        let (b_id, b) = generate().unwrap();
        assert_ne!(a, b);
        assert_ne!(a_id, b_id);
        assert_ne!(secret_sha256(&a), secret_sha256(&b));
    }

    #[test]
    fn bad_token_texts_say_what_is_wrong() {
        assert_eq!(EnrolToken::decode("abc"), Err(TokenTextError::Prefix));
        assert!(matches!(
            EnrolToken::decode("twe1_!!!"),
            Err(TokenTextError::Base64(_))
        ));
        let not_json = format!("twe1_{}", URL_SAFE_NO_PAD.encode(b"{\"u\": 1}"));
        assert!(matches!(
            EnrolToken::decode(&not_json),
            Err(TokenTextError::Json(_))
        ));
    }

    #[test]
    fn ttl_units_and_range() {
        assert_eq!(parse_ttl("24h").unwrap(), Duration::hours(24));
        assert_eq!(parse_ttl("7d").unwrap(), Duration::days(7));
        assert_eq!(parse_ttl("90m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_ttl("60s").unwrap(), Duration::minutes(1));
        assert_eq!(parse_ttl("30d").unwrap(), MAX_TTL);
        for (bad, why) in [
            ("31d", "between 1 minute and 30 days"),
            ("59s", "between 1 minute and 30 days"),
            ("0h", "between 1 minute and 30 days"),
            ("24", "no unit"),
            ("h", "whole number"),
            ("-1d", "whole number"),
            ("2w", "`w` is not a unit"),
            ("99999999999999999999d", "whole number"),
            ("9999999999999d", "between 1 minute and 30 days"),
        ] {
            let m = parse_ttl(bad).unwrap_err().to_string();
            assert!(
                m.contains(why) && m.contains(&format!("`{bad}`")),
                "{bad}: {m}"
            );
        }
    }
}
