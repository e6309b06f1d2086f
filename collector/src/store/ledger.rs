//! The collector's tamper-evidence: a hash chain per agent over its stored
//! reports, and an append-only `ledger` of checkpoints that ties those
//! chains and every evidence pack together.
//!
//! Why per agent: each report already serialises on its agent's row (one
//! SQLite writer; `FOR UPDATE` on PostgreSQL), so keeping the agent's head
//! there costs one hash and one column per report and no global lock that
//! would serialise collectors sharing a database. The ledger is written
//! only by checkpoints (daily, from the retention task, and before every
//! evidence pack) and evidence packs, rarely, so a retried
//! `INSERT … ON CONFLICT DO NOTHING` on its sequence number is enough to
//! keep it a single chain when two collectors append at once.
//!
//! Every hash is SHA-256 over text lines joined by `\n`, lowercase hex, so
//! an auditor can recompute one with `printf … | sha256sum`:
//! - report: `prev \n agent \n sequence \n received_at \n body_sha256`,
//!   `prev` being the agent's previous chain hash or [`GENESIS`];
//! - ledger entry: `prev_hash \n seq \n at \n kind \n subject \n digest`;
//! - checkpoint digest: `agent \t head \n` for every agent, sorted by name.
//!
//! Anyone with write access to the database can recompute a chain; what
//! they cannot do is change the hashes already copied into evidence packs
//! an auditor holds, which `verify --config` compares with the database.

mod read;

use sha2::{Digest, Sha256};

use super::unix_to_time;

pub(crate) use read::{append, body, chain, entries, heads, last_at, links, previous_hash};

/// The `prev` of an agent's first chained report and of the first ledger
/// entry: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Ledger entry kinds.
pub const KIND_CHECKPOINT: &str = "checkpoint";
pub const KIND_EVIDENCE_PACK: &str = "evidence_pack";

fn sha256_lines(lines: &[&str]) -> String {
    hex::encode(Sha256::digest(lines.join("\n").as_bytes()))
}

/// The chain hash of a stored report.
pub fn report_chain_hash(
    prev: &str,
    agent: &str,
    sequence: i64,
    received_at: i64,
    body_sha256: &str,
) -> String {
    sha256_lines(&[
        prev,
        agent,
        &sequence.to_string(),
        &received_at.to_string(),
        body_sha256,
    ])
}

/// The digest a checkpoint records: every (agent, head), sorted by agent.
pub fn heads_digest(heads: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = heads.iter().collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    for (agent, head) in sorted {
        hasher.update(format!("{agent}\t{head}\n").as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// One row of the `ledger` table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LedgerEntry {
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    pub kind: String,
    pub subject: String,
    pub digest: String,
    pub prev_hash: String,
    pub hash: String,
}

impl LedgerEntry {
    /// The hash this entry should carry, from its other fields.
    pub fn expected_hash(&self) -> String {
        entry_hash(
            &self.prev_hash,
            self.seq,
            self.at,
            &self.kind,
            &self.subject,
            &self.digest,
        )
    }
}

pub fn entry_hash(
    prev: &str,
    seq: i64,
    at: i64,
    kind: &str,
    subject: &str,
    digest: &str,
) -> String {
    sha256_lines(&[
        prev,
        &seq.to_string(),
        &at.to_string(),
        kind,
        subject,
        digest,
    ])
}

/// What is wrong with a ledger read in order, one sentence per fault.
pub fn check_ledger(entries: &[LedgerEntry]) -> Vec<String> {
    let mut faults = Vec::new();
    let mut prev: Option<&LedgerEntry> = None;
    for e in entries {
        let want_prev = prev.map_or(GENESIS, |p| p.hash.as_str());
        match prev {
            Some(p) if e.seq != p.seq + 1 => faults.push(format!(
                "ledger entry {} follows entry {}: entries between them were removed",
                e.seq, p.seq
            )),
            None if e.seq != 1 => faults.push(format!(
                "the ledger starts at entry {}: earlier entries were removed",
                e.seq
            )),
            _ => {}
        }
        if e.prev_hash != want_prev {
            faults.push(format!(
                "ledger entry {} does not link to the entry before it",
                e.seq
            ));
        }
        if e.hash != e.expected_hash() {
            faults.push(format!(
                "ledger entry {} ({} {}) was changed: its hash does not match its fields",
                e.seq, e.kind, e.subject
            ));
        }
        prev = Some(e);
    }
    faults
}

/// One stored report's place in its agent's chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChainLink {
    pub report_id: i64,
    pub agent: String,
    pub sequence: i64,
    /// Unix seconds.
    pub received_at: i64,
    pub body_sha256: String,
    pub chain_hash: String,
}

impl ChainLink {
    pub fn expected_hash(&self, prev: &str) -> String {
        report_chain_hash(
            prev,
            &self.agent,
            self.sequence,
            self.received_at,
            &self.body_sha256,
        )
    }
}

/// For messages: a ledger time as RFC 3339.
pub fn at_text(at: i64) -> String {
    unix_to_time(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
