//! The agent registry and enrolment tokens: row types and the rules both
//! backends apply (token checks), so SQLite and PostgreSQL can only differ
//! in SQL, never in what they allow.

use crate::ca::IssuedCert;
use crate::error::Result;

/// A new enrolment token, as `token create` stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub id: String,
    /// SHA-256 of the secret, lowercase hex: the secret itself is never stored.
    pub secret_sha256: String,
    pub site: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub max_uses: i64,
}

/// A stored enrolment token as `token list` shows it (no secret, no hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: String,
    pub site: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub max_uses: i64,
    pub uses: i64,
    pub revoked_at: Option<i64>,
}

/// What an agent presented at `POST /api/v1/enrol`, after the CSR checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolRequest {
    pub token_id: String,
    pub secret_sha256: [u8; 32],
    pub name: String,
    pub now: i64,
}

/// Signs the agent's certificate for the token's site, inside the
/// enrolment transaction, so a certificate exists only if the token use
/// and the agent row commit with it.
pub type Signer = Box<dyn FnOnce(&str) -> Result<IssuedCert> + Send + 'static>;

/// Why an enrolment was refused. The first three are about the token and
/// count as authentication refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrolRefusal {
    /// Unknown id, wrong secret, or revoked by an operator.
    TokenInvalid,
    TokenExpired,
    TokenUsedUp,
    NameTaken,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolOutcome {
    Enrolled { site: String, cert: IssuedCert },
    Refused(EnrolRefusal),
}

/// A certificate issued at renewal, to be recorded for its agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    pub name: String,
    /// The site in the certificate that asked; used only if the agent has
    /// no row yet (a hand-issued certificate renewing for the first time).
    pub site: String,
    pub fingerprint: String,
    pub not_after: i64,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenewOutcome {
    Renewed,
    Revoked,
}

/// One agent as `agent list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredAgent {
    pub name: String,
    pub site: String,
    pub first_seen: i64,
    /// None for an agent whose certificate was issued by hand (`agent-cert`).
    pub enrolled_at: Option<i64>,
    pub last_contact: Option<i64>,
    pub cert_not_after: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
}

/// A stored token as the enrolment check needs it.
#[derive(Debug, Clone)]
pub(crate) struct TokenCheck {
    pub secret_sha256: String,
    pub site: String,
    pub expires_at: i64,
    pub max_uses: i64,
    pub uses: i64,
    pub revoked_at: Option<i64>,
}

impl TokenCheck {
    /// The secret first (a wrong secret learns nothing about expiry or
    /// uses), then revocation, expiry and uses. `uses` is checked again by
    /// the conditional UPDATE that consumes a use, which is what holds
    /// under concurrency; this check only picks the right answer.
    pub(crate) fn check(&self, secret_sha256: &[u8; 32], now: i64) -> Result<(), EnrolRefusal> {
        let stored = hex::decode(&self.secret_sha256).unwrap_or_default();
        if !digests_equal(&stored, secret_sha256) || self.revoked_at.is_some() {
            return Err(EnrolRefusal::TokenInvalid);
        }
        if now >= self.expires_at {
            return Err(EnrolRefusal::TokenExpired);
        }
        if self.uses >= self.max_uses {
            return Err(EnrolRefusal::TokenUsedUp);
        }
        Ok(())
    }
}

/// Compares two digests without an early exit. Both sides are SHA-256
/// outputs, so even a leaky comparison would reveal only digest prefixes an
/// attacker cannot steer; the fold removes even that.
fn digests_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The detail of a `token.create` event: everything but the secret's hash.
pub(crate) fn token_event_detail(token: &NewToken) -> String {
    serde_json::json!({
        "site": token.site,
        "expires_at": token.expires_at,
        "max_uses": token.max_uses,
    })
    .to_string()
}

/// The detail of an `agent.enrol` event.
pub(crate) fn enrol_event_detail(site: &str, cert: &IssuedCert) -> String {
    serde_json::json!({
        "site": site,
        "cert_sha256": cert.fingerprint,
        "not_after": cert.not_after.unix_timestamp(),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    fn token(uses: i64, revoked: bool) -> (TokenCheck, [u8; 32]) {
        let digest: [u8; 32] = Sha256::digest(b"secret").into();
        (
            TokenCheck {
                secret_sha256: hex::encode(digest),
                site: "north".into(),
                expires_at: 1000,
                max_uses: 2,
                uses,
                revoked_at: revoked.then_some(500),
            },
            digest,
        )
    }

    #[test]
    fn token_checks_in_order() {
        let (t, good) = token(0, false);
        assert_eq!(t.check(&good, 999), Ok(()));
        assert_eq!(t.check(&good, 1000), Err(EnrolRefusal::TokenExpired));
        let mut wrong = good;
        wrong[31] ^= 1;
        // A wrong secret is invalid even when the token is also expired.
        assert_eq!(t.check(&wrong, 5000), Err(EnrolRefusal::TokenInvalid));
        let (t, good) = token(2, false);
        assert_eq!(t.check(&good, 10), Err(EnrolRefusal::TokenUsedUp));
        let (t, good) = token(0, true);
        assert_eq!(t.check(&good, 10), Err(EnrolRefusal::TokenInvalid));
    }

    #[test]
    fn digests_compare_by_every_byte_and_length() {
        assert!(digests_equal(&[1, 2, 3], &[1, 2, 3]));
        assert!(!digests_equal(&[1, 2, 3], &[1, 2, 4]));
        assert!(!digests_equal(&[9, 2, 3], &[1, 2, 3]));
        assert!(!digests_equal(&[1, 2], &[1, 2, 3]));
        assert!(!digests_equal(&[], &[0]));
    }
}
