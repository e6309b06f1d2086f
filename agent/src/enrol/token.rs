//! The enrolment token `trustwatch-collector token create` prints:
//! `twe1_` then base64url (no padding) of
//! `{"u": "https://host:port", "f": "<sha256 hex of the CA's DER>",
//!   "i": "<token id>", "s": "<secret>"}`.
//!
//! The token is pasted by a person, so every way it can be wrong gets its
//! own sentence; the secret is never repeated in one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use crate::https::Endpoint;

pub const PREFIX: &str = "twe1_";
/// Tokens are a few hundred characters; anything much longer is not one.
const MAX_LEN: usize = 4096;

/// A decoded token.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub url: String,
    pub endpoint: Endpoint,
    /// SHA-256 of the collector CA's DER.
    pub pin: [u8; 32],
    pub token_id: String,
    pub secret: String,
}

// The secret stays out of logs and panics.
impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("url", &self.url)
            .field("pin", &hex::encode(self.pin))
            .field("token_id", &self.token_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the enrolment token does not start with `{PREFIX}`: copy the whole line `trustwatch-collector token create` printed")]
    Prefix,
    #[error("the enrolment token is longer than any token the collector makes ({len} characters)")]
    TooLong { len: usize },
    #[error("the enrolment token is damaged: the text after `{PREFIX}` is not base64url (was it cut short or wrapped?)")]
    Encoding,
    #[error("the enrolment token is damaged: its content is not the expected JSON ({detail})")]
    Json { detail: String },
    #[error("the enrolment token's collector URL {url:?} is not usable: {problem}")]
    Url { url: String, problem: String },
    #[error("the enrolment token's CA fingerprint is not 64 hex digits (SHA-256)")]
    Pin,
    #[error("the enrolment token's {field} is empty or has characters a token never has")]
    Field { field: &'static str },
}

#[derive(Deserialize)]
struct Raw {
    u: String,
    f: String,
    i: String,
    s: String,
}

impl Token {
    pub fn decode(text: &str) -> Result<Token, TokenError> {
        let text = text.trim();
        let body = text.strip_prefix(PREFIX).ok_or(TokenError::Prefix)?;
        if text.len() > MAX_LEN {
            return Err(TokenError::TooLong { len: text.len() });
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(body.as_bytes())
            .map_err(|_| TokenError::Encoding)?;
        let raw: Raw = serde_json::from_slice(&bytes).map_err(|e| TokenError::Json {
            // serde's message names the missing or mistyped field; it never
            // quotes values, so the secret cannot leak through it.
            detail: e.to_string(),
        })?;
        let endpoint = Endpoint::parse(&raw.u).map_err(|e| TokenError::Url {
            url: raw.u.clone(),
            problem: match e {
                crate::Error::Invalid { problem, .. } => problem,
                other => other.to_string(),
            },
        })?;
        let pin = hex::decode(raw.f.trim())
            .ok()
            .and_then(|v| <[u8; 32]>::try_from(v).ok())
            .ok_or(TokenError::Pin)?;
        let printable =
            |s: &str| (1..=512).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic());
        if !printable(&raw.i) {
            return Err(TokenError::Field { field: "token id" });
        }
        if !printable(&raw.s) {
            return Err(TokenError::Field { field: "secret" });
        }
        Ok(Token {
            url: raw.u,
            endpoint,
            pin,
            token_id: raw.i,
            secret: raw.s,
        })
    }

    /// The token text for these parts (the collector's encoding; used by
    /// tests and kept beside the decoder so the two cannot drift).
    pub fn encode(url: &str, pin: &[u8; 32], token_id: &str, secret: &str) -> String {
        let json = serde_json::json!({"u": url, "f": hex::encode(pin), "i": token_id, "s": secret});
        format!(
            "{PREFIX}{}",
            URL_SAFE_NO_PAD.encode(json.to_string().as_bytes())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIN: [u8; 32] = [0xab; 32];

    fn raw(json: &str) -> String {
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json.as_bytes()))
    }

    #[test]
    fn decodes_what_the_collector_encodes() {
        let text = Token::encode("https://127.0.0.1:8443", &PIN, "tok-1", "s3cr3t_-x");
        let t = Token::decode(&format!("  {text}\n")).unwrap();
        assert_eq!(t.url, "https://127.0.0.1:8443");
        assert_eq!(t.pin, PIN);
        assert_eq!(
            (t.token_id.as_str(), t.secret.as_str()),
            ("tok-1", "s3cr3t_-x")
        );
        assert_eq!(t.endpoint.port(), 8443);
        assert!(!format!("{t:?}").contains("s3cr3t"));
        // Unknown keys from a later collector are tolerated.
        let more = raw(&format!(
            r#"{{"u":"https://c.example","f":"{}","i":"a","s":"b","x":1}}"#,
            hex::encode(PIN)
        ));
        assert_eq!(Token::decode(&more).unwrap().endpoint.port(), 443);
    }

    #[test]
    fn every_damage_has_its_own_sentence() {
        let good = Token::encode("https://127.0.0.1:8443", &PIN, "tok-1", "secret");
        assert_eq!(Token::decode("twe2_abc"), Err(TokenError::Prefix));
        assert_eq!(Token::decode(&good[1..]), Err(TokenError::Prefix));
        assert_eq!(
            Token::decode(&format!("{good}!")),
            Err(TokenError::Encoding)
        );
        // Cut short by one character: no longer a whole base64url text.
        assert!(matches!(
            Token::decode(&good[..good.len() - 1]),
            Err(TokenError::Encoding | TokenError::Json { .. })
        ));
        assert!(matches!(
            Token::decode(&raw(r#"{"u":"https://a.example","f":"00"}"#)),
            Err(TokenError::Json { detail }) if detail.contains("missing field")
        ));
        assert!(matches!(
            Token::decode(&Token::encode("http://a.example", &PIN, "i", "s")),
            Err(TokenError::Url { problem, .. }) if problem.contains("https://")
        ));
        assert_eq!(
            Token::decode(&raw(
                r#"{"u":"https://a.example","f":"abcd","i":"i","s":"s"}"#
            )),
            Err(TokenError::Pin)
        );
        assert_eq!(
            Token::decode(&Token::encode("https://a.example", &PIN, "i", "")),
            Err(TokenError::Field { field: "secret" })
        );
        assert_eq!(
            Token::decode(&Token::encode("https://a.example", &PIN, "a b", "s")),
            Err(TokenError::Field { field: "token id" })
        );
        assert!(matches!(
            Token::decode(&format!("{PREFIX}{}", "A".repeat(5000))),
            Err(TokenError::TooLong { .. })
        ));
        for e in [TokenError::Prefix, TokenError::Encoding, TokenError::Pin] {
            let text = e.to_string();
            assert!(
                !text.contains('\n') && text.starts_with("the enrolment token"),
                "{text}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn decoding_arbitrary_text_never_panics(s in "twe1_[A-Za-z0-9_=+/-]{0,300}") {
            let _ = Token::decode(&s);
        }

        #[test]
        fn round_trips(id in "[!-~]{1,40}", secret in "[!-~]{1,80}", pin in proptest::array::uniform32(0u8..)) {
            let t = Token::decode(&Token::encode("https://h.example:1", &pin, &id, &secret)).unwrap();
            proptest::prop_assert_eq!((t.token_id, t.secret, t.pin), (id, secret, pin));
        }
    }
}
