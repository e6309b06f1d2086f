//! Enrolment tokens and the agent registry in PostgreSQL, shared by
//! several collectors. What keeps them honest under concurrency:
//! - a token use is consumed by `UPDATE … WHERE uses < max_uses RETURNING`:
//!   a second collector's UPDATE waits on the row lock, re-reads the row
//!   after the first commits, and matches nothing once it is used up;
//! - the agent row is claimed by `INSERT … ON CONFLICT DO UPDATE … WHERE`,
//!   which likewise waits for a concurrent claim of the same name and then
//!   applies the naming rule to the committed row;
//! - renewal updates only a non-revoked row, in the same statement.

use tokio_postgres::Transaction;

use super::Postgres;
use crate::error::Result;
use crate::store::admin::Actor;
use crate::store::registry::{
    enrol_event_detail, token_event_detail, EnrolOutcome, EnrolRefusal, EnrolRequest, NewToken,
    RegisteredAgent, RenewOutcome, Renewal, Signer, TokenCheck, TokenRow,
};

/// The naming rule, as in `sqlite/registry.rs`.
const ENROL_AGENT: &str = "
    INSERT INTO agents (name, site, cert_fingerprint, first_seen, last_seen, enrolled_at,
                        enrol_token, cert_not_after, last_contact)
    VALUES ($1, $2, $3, $4, $4, $4, $5, $6, $4)
    ON CONFLICT (name) DO UPDATE SET
        cert_fingerprint = excluded.cert_fingerprint,
        enrolled_at = excluded.enrolled_at,
        enrol_token = excluded.enrol_token,
        cert_not_after = excluded.cert_not_after,
        last_contact = excluded.last_contact,
        last_sequence = 0
    WHERE agents.revoked_at IS NULL AND agents.cert_not_after IS NOT NULL
      AND agents.cert_not_after <= excluded.enrolled_at AND agents.site = excluded.site
    RETURNING name";

const RENEW_AGENT: &str = "
    INSERT INTO agents (name, site, cert_fingerprint, first_seen, last_seen, cert_not_after,
                        last_contact)
    VALUES ($1, $2, $3, $4, $4, $5, $4)
    ON CONFLICT (name) DO UPDATE SET
        cert_fingerprint = excluded.cert_fingerprint,
        cert_not_after = excluded.cert_not_after,
        last_contact = excluded.last_contact
    WHERE agents.revoked_at IS NULL
    RETURNING name";

impl Postgres {
    /// One admin_events row, inside the change's own transaction.
    async fn event(
        &self,
        tx: &Transaction<'_>,
        at: i64,
        actor: &Actor,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> Result<()> {
        tx.execute(
            "INSERT INTO admin_events (at, actor, action, subject, detail)
             VALUES ($1, $2, $3, $4, $5)",
            &[&at, &actor.as_str(), &action, &subject, &detail],
        )
        .await
        .map_err(self.err("record an admin event"))?;
        Ok(())
    }

    pub(crate) async fn create_token(&self, token: NewToken, actor: Actor) -> Result<()> {
        let mut client = self.client("store the enrolment token").await?;
        let tx = client
            .transaction()
            .await
            .map_err(self.err("begin a registry transaction"))?;
        tx.execute(
            "INSERT INTO enrol_tokens (id, secret_sha256, site, created_at, expires_at, max_uses)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &token.id,
                &token.secret_sha256,
                &token.site,
                &token.created_at,
                &token.expires_at,
                &token.max_uses,
            ],
        )
        .await
        .map_err(self.err("store the enrolment token"))?;
        let detail = token_event_detail(&token);
        let (at, subject) = (token.created_at, &token.id);
        self.event(&tx, at, &actor, "token.create", subject, &detail)
            .await?;
        tx.commit()
            .await
            .map_err(self.err("commit the enrolment token"))
    }

    pub(crate) async fn tokens(&self) -> Result<Vec<TokenRow>> {
        let client = self.client("query enrolment tokens").await?;
        let rows = client
            .query(
                "SELECT id, site, created_at, expires_at, max_uses, uses, revoked_at
                 FROM enrol_tokens ORDER BY created_at, id",
                &[],
            )
            .await
            .map_err(self.err("query enrolment tokens"))?;
        Ok(rows
            .iter()
            .map(|r| TokenRow {
                id: r.get(0),
                site: r.get(1),
                created_at: r.get(2),
                expires_at: r.get(3),
                max_uses: r.get(4),
                uses: r.get(5),
                revoked_at: r.get(6),
            })
            .collect())
    }

    pub(crate) async fn enrol(&self, req: EnrolRequest, sign: Signer) -> Result<EnrolOutcome> {
        let mut client = self.client("enrol an agent").await?;
        // Dropping the transaction without commit rolls it back.
        let tx = client
            .transaction()
            .await
            .map_err(self.err("begin an enrolment"))?;
        let token = tx
            .query_opt(
                "SELECT secret_sha256, site, expires_at, max_uses, uses, revoked_at
                 FROM enrol_tokens WHERE id = $1",
                &[&req.token_id],
            )
            .await
            .map_err(self.err("look up the enrolment token"))?
            .map(|r| TokenCheck {
                secret_sha256: r.get(0),
                site: r.get(1),
                expires_at: r.get(2),
                max_uses: r.get(3),
                uses: r.get(4),
                revoked_at: r.get(5),
            });
        let Some(token) = token else {
            return Ok(EnrolOutcome::Refused(EnrolRefusal::TokenInvalid));
        };
        if let Err(refusal) = token.check(&req.secret_sha256, req.now) {
            return Ok(EnrolOutcome::Refused(refusal));
        }
        let used = tx
            .query_opt(
                "UPDATE enrol_tokens SET uses = uses + 1
                 WHERE id = $1 AND uses < max_uses AND revoked_at IS NULL RETURNING uses",
                &[&req.token_id],
            )
            .await
            .map_err(self.err("use the enrolment token"))?;
        if used.is_none() {
            return Ok(EnrolOutcome::Refused(EnrolRefusal::TokenUsedUp));
        }
        let cert = sign(&token.site)?;
        let claimed = tx
            .query_opt(
                ENROL_AGENT,
                &[
                    &req.name,
                    &token.site,
                    &cert.fingerprint,
                    &req.now,
                    &req.token_id,
                    &cert.not_after.unix_timestamp(),
                ],
            )
            .await
            .map_err(self.err("record the enrolled agent"))?;
        if claimed.is_none() {
            return Ok(EnrolOutcome::Refused(EnrolRefusal::NameTaken));
        }
        let actor = Actor::enrolment_token(&req.token_id);
        let detail = enrol_event_detail(&token.site, &cert);
        self.event(&tx, req.now, &actor, "agent.enrol", &req.name, &detail)
            .await?;
        tx.commit()
            .await
            .map_err(self.err("commit the enrolment"))?;
        Ok(EnrolOutcome::Enrolled {
            site: token.site,
            cert,
        })
    }

    pub(crate) async fn renew(&self, r: Renewal) -> Result<RenewOutcome> {
        let client = self.client("record a renewal").await?;
        // One statement: atomic on its own.
        let renewed = client
            .query_opt(
                RENEW_AGENT,
                &[&r.name, &r.site, &r.fingerprint, &r.now, &r.not_after],
            )
            .await
            .map_err(self.err("record the renewed certificate"))?;
        Ok(match renewed {
            Some(_) => RenewOutcome::Renewed,
            None => RenewOutcome::Revoked,
        })
    }

    pub(crate) async fn revoked_at(&self, name: String) -> Result<Option<i64>> {
        let client = self.client("check an agent's revocation").await?;
        // Prepared once per pooled connection: this runs on every request.
        let stmt = client
            .prepare_cached("SELECT revoked_at FROM agents WHERE name = $1")
            .await
            .map_err(self.err("prepare the revocation check"))?;
        let row = client
            .query_opt(&stmt, &[&name])
            .await
            .map_err(self.err("check an agent's revocation"))?;
        Ok(row.and_then(|r| r.get::<_, Option<i64>>(0)))
    }

    pub(crate) async fn registry(&self) -> Result<Vec<RegisteredAgent>> {
        let client = self.client("query the agent registry").await?;
        let rows = client
            .query(
                "SELECT name, site, first_seen, enrolled_at, last_contact, cert_not_after,
                        revoked_at, revoked_reason
                 FROM agents ORDER BY site, name",
                &[],
            )
            .await
            .map_err(self.err("query the agent registry"))?;
        Ok(rows
            .iter()
            .map(|r| RegisteredAgent {
                name: r.get(0),
                site: r.get(1),
                first_seen: r.get(2),
                enrolled_at: r.get(3),
                last_contact: r.get(4),
                cert_not_after: r.get(5),
                revoked_at: r.get(6),
                revoked_reason: r.get(7),
            })
            .collect())
    }
}
