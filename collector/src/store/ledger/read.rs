//! The ledger and the report chains in the store: portable SQL (see
//! `store/portable.rs`), the same on both backends.

use time::OffsetDateTime;

use super::{entry_hash, ChainLink, LedgerEntry, GENESIS};
use crate::error::{Error, Result};
use crate::store::portable::{bind_list, Param, Row, Sql};
use crate::store::Backend;

/// Attempts at one append. Each round of a race has one winner, so k
/// collectors appending at once need at most k; packs and checkpoints are
/// rare, and this only bounds the loop.
const APPEND_ATTEMPTS: usize = 32;

fn entry_row(r: &Row) -> Result<LedgerEntry> {
    Ok(LedgerEntry {
        seq: r.int(0)?,
        at: r.int(1)?,
        kind: r.text(2)?,
        subject: r.text(3)?,
        digest: r.text(4)?,
        prev_hash: r.text(5)?,
        hash: r.text(6)?,
    })
}

const COLUMNS: &str = "seq, at, kind, subject, digest, prev_hash, hash";

/// Appends an entry after the current last one.
pub(crate) async fn append(
    backend: &Backend,
    kind: &str,
    subject: &str,
    digest: &str,
    at: OffsetDateTime,
) -> Result<LedgerEntry> {
    let at = at.unix_timestamp();
    for _ in 0..APPEND_ATTEMPTS {
        let mut last = Sql::new(backend.dialect());
        last.push(&format!(
            "SELECT {COLUMNS} FROM ledger ORDER BY seq DESC LIMIT 1"
        ));
        let last = backend
            .read_first("read the ledger head", last)
            .await?
            .map(|r| entry_row(&r))
            .transpose()?;
        let (seq, prev) = match &last {
            Some(e) => (e.seq + 1, e.hash.clone()),
            None => (1, GENESIS.to_owned()),
        };
        let hash = entry_hash(&prev, seq, at, kind, subject, digest);
        let mut insert = Sql::new(backend.dialect());
        insert
            .push("INSERT INTO ledger (seq, at, kind, subject, digest, prev_hash, hash) VALUES (")
            .bind(seq)
            .push(", ")
            .bind(at)
            .push(", ")
            .bind(kind)
            .push(", ")
            .bind(subject)
            .push(", ")
            .bind(digest)
            .push(", ")
            .bind(prev.as_str())
            .push(", ")
            .bind(hash.as_str())
            .push(") ON CONFLICT (seq) DO NOTHING RETURNING seq");
        // Nothing returned: another collector appended that seq first.
        if backend
            .write_returning("append to the ledger", vec![insert])
            .await?
            .is_some()
        {
            return Ok(LedgerEntry {
                seq,
                at,
                kind: kind.to_owned(),
                subject: subject.to_owned(),
                digest: digest.to_owned(),
                prev_hash: prev,
                hash,
            });
        }
    }
    Err(Error::StoreData {
        reason: format!(
            "the ledger kept moving: {APPEND_ATTEMPTS} attempts to append a {kind} entry lost to other collectors"
        ),
    })
}

/// When the last entry of `kind` was appended (unix seconds), if ever.
pub(crate) async fn last_at(backend: &Backend, kind: &str) -> Result<Option<i64>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push("SELECT MAX(at) FROM ledger WHERE kind = ")
        .bind(kind);
    let row = backend.read_first("read the last checkpoint", sql).await?;
    Ok(row.map(|r| r.opt_int(0)).transpose()?.flatten())
}

/// The whole ledger, oldest first. It grows by a few entries per pack or
/// checkpoint, so it is read whole.
pub(crate) async fn entries(backend: &Backend) -> Result<Vec<LedgerEntry>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push(&format!("SELECT {COLUMNS} FROM ledger ORDER BY seq"));
    let rows = backend.read("read the ledger", vec![sql]).await?;
    rows.into_iter().flatten().map(|r| entry_row(&r)).collect()
}

/// Every agent with a chained report and its head, by name.
pub(crate) async fn heads(backend: &Backend) -> Result<Vec<(String, String)>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push("SELECT name, chain_head FROM agents WHERE chain_head IS NOT NULL ORDER BY name");
    let rows = backend
        .read("read the agents' chain heads", vec![sql])
        .await?;
    rows.into_iter()
        .flatten()
        .map(|r| Ok((r.text(0)?, r.text(1)?)))
        .collect()
}

/// An agent's chained reports in chain order (by sequence), from
/// `from_sequence` on, without bodies.
pub(crate) async fn chain(
    backend: &Backend,
    agent: &str,
    from_sequence: i64,
) -> Result<Vec<ChainLink>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push(
        "SELECT id, agent, sequence, received_at, body_sha256, chain_hash FROM reports
         WHERE chain_hash IS NOT NULL AND agent = ",
    )
    .bind(agent)
    .push(" AND sequence >= ")
    .bind(from_sequence)
    .push(" ORDER BY sequence");
    let rows = backend
        .read("read an agent's report chain", vec![sql])
        .await?;
    rows.into_iter().flatten().map(|r| link_row(&r)).collect()
}

/// The chain links of the reports `ids` that have one, by id (reports
/// stored before the ledger existed have none and are left out).
pub(crate) async fn links(backend: &Backend, ids: &[i64]) -> Result<Vec<ChainLink>> {
    let mut out = Vec::with_capacity(ids.len());
    // Bounded statements: SQLite allows 32766 parameters, PostgreSQL 65535.
    for chunk in ids.chunks(1000) {
        let mut sql = Sql::new(backend.dialect());
        sql.push(
            "SELECT id, agent, sequence, received_at, body_sha256, chain_hash FROM reports
             WHERE chain_hash IS NOT NULL AND id IN (",
        );
        bind_list(&mut sql, chunk.iter().map(|id| Param::Int(*id)));
        sql.push(") ORDER BY id");
        let rows = backend.read("read the cited reports", vec![sql]).await?;
        for r in rows.into_iter().flatten() {
            out.push(link_row(&r)?);
        }
    }
    Ok(out)
}

fn link_row(r: &Row) -> Result<ChainLink> {
    Ok(ChainLink {
        report_id: r.int(0)?,
        agent: r.text(1)?,
        sequence: r.int(2)?,
        received_at: r.int(3)?,
        body_sha256: r.text(4)?,
        chain_hash: r.text(5)?,
    })
}

/// The chain hash of the agent's chained report just before `sequence`,
/// or None when there is none (its first, or retention removed it).
pub(crate) async fn previous_hash(
    backend: &Backend,
    agent: &str,
    sequence: i64,
) -> Result<Option<String>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push("SELECT chain_hash FROM reports WHERE chain_hash IS NOT NULL AND agent = ")
        .bind(agent)
        .push(" AND sequence < ")
        .bind(sequence)
        .push(" ORDER BY sequence DESC LIMIT 1");
    let row = backend
        .read_first("read a report's predecessor", sql)
        .await?;
    row.map(|r| r.text(0)).transpose()
}

/// A stored report's body and when retention emptied it, if it did.
pub(crate) async fn body(backend: &Backend, report_id: i64) -> Result<Option<(String, bool)>> {
    let mut sql = Sql::new(backend.dialect());
    sql.push("SELECT body, body_pruned_at FROM reports WHERE id = ")
        .bind(report_id);
    let row = backend.read_first("read a report body", sql).await?;
    row.map(|r| Ok((r.text(0)?, r.opt_int(1)?.is_some())))
        .transpose()
}
