//! Enrolment tokens and the agent registry in SQLite. Every change runs in
//! an IMMEDIATE transaction on the one writer connection, so enrolments
//! are serialised and a token can never be used more than `max_uses` times.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::{db_err, Sqlite};
use crate::error::Result;
use crate::store::admin::Actor;
use crate::store::registry::{
    enrol_event_detail, token_event_detail, EnrolOutcome, EnrolRefusal, EnrolRequest, NewToken,
    RegisteredAgent, RenewOutcome, Renewal, Signer, TokenCheck, TokenRow,
};

/// Inserts or re-enrols an agent. The WHERE is the naming rule (see
/// ARCHITECTURE.md): an existing name is taken over only by the same site,
/// when it is not revoked and its certificate has expired.
const ENROL_AGENT: &str = "
    INSERT INTO agents (name, site, cert_fingerprint, first_seen, last_seen, enrolled_at,
                        enrol_token, cert_not_after, last_contact)
    VALUES (?1, ?2, ?3, ?4, ?4, ?4, ?5, ?6, ?4)
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
    VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?4)
    ON CONFLICT (name) DO UPDATE SET
        cert_fingerprint = excluded.cert_fingerprint,
        cert_not_after = excluded.cert_not_after,
        last_contact = excluded.last_contact
    WHERE agents.revoked_at IS NULL
    RETURNING name";

impl Sqlite {
    pub(crate) async fn create_token(&self, token: NewToken, actor: Actor) -> Result<()> {
        let path = self.path.clone();
        self.with_writer(move |c| create_token(c, &path, &token, &actor))
            .await
    }

    pub(crate) async fn tokens(&self) -> Result<Vec<TokenRow>> {
        let path = self.path.clone();
        self.with_reader(move |c| tokens(c, &path)).await
    }

    pub(crate) async fn enrol(&self, req: EnrolRequest, sign: Signer) -> Result<EnrolOutcome> {
        let path = self.path.clone();
        self.with_writer(move |c| enrol(c, &path, &req, sign)).await
    }

    pub(crate) async fn renew(&self, renewal: Renewal) -> Result<RenewOutcome> {
        let path = self.path.clone();
        self.with_writer(move |c| renew(c, &path, &renewal)).await
    }

    pub(crate) async fn revoked_at(&self, name: String) -> Result<Option<i64>> {
        let path = self.path.clone();
        self.with_reader(move |c| revoked_at(c, &path, &name)).await
    }

    pub(crate) async fn registry(&self) -> Result<Vec<RegisteredAgent>> {
        let path = self.path.clone();
        self.with_reader(move |c| registry(c, &path)).await
    }
}

fn begin<'c>(conn: &'c mut Connection, path: &Path) -> Result<Transaction<'c>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err(path, "begin a registry transaction"))
}

/// One admin_events row, inside the change's own transaction.
fn event(
    tx: &Transaction<'_>,
    path: &Path,
    at: i64,
    actor: &Actor,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO admin_events (at, actor, action, subject, detail)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![at, actor.as_str(), action, subject, detail],
    )
    .map_err(db_err(path, "record an admin event"))?;
    Ok(())
}

fn create_token(conn: &mut Connection, path: &Path, token: &NewToken, actor: &Actor) -> Result<()> {
    let tx = begin(conn, path)?;
    tx.execute(
        "INSERT INTO enrol_tokens (id, secret_sha256, site, created_at, expires_at, max_uses)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            token.id,
            token.secret_sha256,
            token.site,
            token.created_at,
            token.expires_at,
            token.max_uses
        ],
    )
    .map_err(db_err(path, "store the enrolment token"))?;
    let detail = token_event_detail(token);
    let (at, subject) = (token.created_at, &token.id);
    event(&tx, path, at, actor, "token.create", subject, &detail)?;
    tx.commit()
        .map_err(db_err(path, "commit the enrolment token"))
}

fn tokens(conn: &mut Connection, path: &Path) -> Result<Vec<TokenRow>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, site, created_at, expires_at, max_uses, uses, revoked_at
             FROM enrol_tokens ORDER BY created_at, id",
        )
        .map_err(db_err(path, "prepare the token query"))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(TokenRow {
                id: r.get(0)?,
                site: r.get(1)?,
                created_at: r.get(2)?,
                expires_at: r.get(3)?,
                max_uses: r.get(4)?,
                uses: r.get(5)?,
                revoked_at: r.get(6)?,
            })
        })
        .map_err(db_err(path, "query enrolment tokens"))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err(path, "read enrolment tokens"))
}

fn enrol(
    conn: &mut Connection,
    path: &Path,
    req: &EnrolRequest,
    sign: Signer,
) -> Result<EnrolOutcome> {
    let err = |action| db_err(path, action);
    let tx = begin(conn, path)?;
    let token = tx
        .query_row(
            "SELECT secret_sha256, site, expires_at, max_uses, uses, revoked_at
             FROM enrol_tokens WHERE id = ?1",
            params![req.token_id],
            |r| {
                Ok(TokenCheck {
                    secret_sha256: r.get(0)?,
                    site: r.get(1)?,
                    expires_at: r.get(2)?,
                    max_uses: r.get(3)?,
                    uses: r.get(4)?,
                    revoked_at: r.get(5)?,
                })
            },
        )
        .optional()
        .map_err(err("look up the enrolment token"))?;
    // Returning without commit rolls the transaction back.
    let Some(token) = token else {
        return Ok(EnrolOutcome::Refused(EnrolRefusal::TokenInvalid));
    };
    if let Err(refusal) = token.check(&req.secret_sha256, req.now) {
        return Ok(EnrolOutcome::Refused(refusal));
    }
    let used = tx
        .execute(
            "UPDATE enrol_tokens SET uses = uses + 1 WHERE id = ?1 AND uses < max_uses",
            params![req.token_id],
        )
        .map_err(err("use the enrolment token"))?;
    if used != 1 {
        return Ok(EnrolOutcome::Refused(EnrolRefusal::TokenUsedUp));
    }
    let cert = sign(&token.site)?;
    let inserted: Option<String> = tx
        .query_row(
            ENROL_AGENT,
            params![
                req.name,
                token.site,
                cert.fingerprint,
                req.now,
                req.token_id,
                cert.not_after.unix_timestamp()
            ],
            |r| r.get(0),
        )
        .optional()
        .map_err(err("record the enrolled agent"))?;
    if inserted.is_none() {
        return Ok(EnrolOutcome::Refused(EnrolRefusal::NameTaken));
    }
    let actor = Actor::enrolment_token(&req.token_id);
    let detail = enrol_event_detail(&token.site, &cert);
    event(
        &tx,
        path,
        req.now,
        &actor,
        "agent.enrol",
        &req.name,
        &detail,
    )?;
    tx.commit().map_err(err("commit the enrolment"))?;
    Ok(EnrolOutcome::Enrolled {
        site: token.site,
        cert,
    })
}

fn renew(conn: &mut Connection, path: &Path, r: &Renewal) -> Result<RenewOutcome> {
    let tx = begin(conn, path)?;
    let renewed: Option<String> = tx
        .query_row(
            RENEW_AGENT,
            params![r.name, r.site, r.fingerprint, r.now, r.not_after],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_err(path, "record the renewed certificate"))?;
    if renewed.is_none() {
        return Ok(RenewOutcome::Revoked);
    }
    tx.commit()
        .map_err(db_err(path, "commit the renewal"))
        .map(|()| RenewOutcome::Renewed)
}

/// When `name` was revoked, if it was: the per-request check, one lookup
/// by primary key.
fn revoked_at(conn: &mut Connection, path: &Path, name: &str) -> Result<Option<i64>> {
    let mut stmt = conn
        .prepare_cached("SELECT revoked_at FROM agents WHERE name = ?1")
        .map_err(db_err(path, "prepare the revocation check"))?;
    let at: Option<Option<i64>> = stmt
        .query_row(params![name], |r| r.get(0))
        .optional()
        .map_err(db_err(path, "check the agent's revocation"))?;
    Ok(at.flatten())
}

fn registry(conn: &mut Connection, path: &Path) -> Result<Vec<RegisteredAgent>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT name, site, first_seen, enrolled_at, last_contact, cert_not_after,
                    revoked_at, revoked_reason
             FROM agents ORDER BY site, name",
        )
        .map_err(db_err(path, "prepare the agent registry query"))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(RegisteredAgent {
                name: r.get(0)?,
                site: r.get(1)?,
                first_seen: r.get(2)?,
                enrolled_at: r.get(3)?,
                last_contact: r.get(4)?,
                cert_not_after: r.get(5)?,
                revoked_at: r.get(6)?,
                revoked_reason: r.get(7)?,
            })
        })
        .map_err(db_err(path, "query the agent registry"))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err(path, "read the agent registry"))
}
