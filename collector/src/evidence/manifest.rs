//! The pack's hash manifest: the SHA-256 of every file, in pack order,
//! each entry chained to the one before it, the first to the ledger
//! checkpoint the pack was made after; the last entry's chain hash (the
//! head) is the digest of the pack's own ledger entry.
//!
//! An entry's chain hash is SHA-256 of `prev \n path \n sha256`, lowercase
//! hex, like the ledger's (see `store/ledger.rs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::LedgerEntry;

/// The manifest's own name inside the pack; it is not one of its entries.
pub const MANIFEST: &str = "manifest.json";
pub const FORMAT: &str = "trustwatch-evidence-pack/1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
    pub chain: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The ledger checkpoint appended just before the pack was made: the
    /// first entry chains to its hash.
    pub anchor: LedgerEntry,
    pub entries: Vec<Entry>,
    pub head: String,
    /// The ledger entry recording this pack (kind `evidence_pack`, digest
    /// = head).
    pub ledger: LedgerEntry,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn link(prev: &str, path: &str, sha256: &str) -> String {
    sha256_hex(format!("{prev}\n{path}\n{sha256}").as_bytes())
}

/// The entries of `files` (in order) chained from `anchor`, and the head.
pub fn entries(anchor: &str, files: &[(String, Vec<u8>)]) -> (Vec<Entry>, String) {
    let mut prev = anchor.to_owned();
    let mut out = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let sha256 = sha256_hex(bytes);
        let chain = link(&prev, path, &sha256);
        prev = chain.clone();
        out.push(Entry {
            path: path.clone(),
            size: bytes.len() as u64,
            sha256,
            chain,
        });
    }
    (out, prev)
}

/// What is wrong with a pack's files against its manifest: one sentence
/// per fault, each starting with the file it is about.
pub fn check(manifest: &Manifest, files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut faults = Vec::new();
    if manifest.format != FORMAT {
        faults.push(format!(
            "{MANIFEST}: format `{}` is not `{FORMAT}`",
            manifest.format
        ));
    }
    let listed: BTreeMap<&str, &Entry> = manifest
        .entries
        .iter()
        .map(|e| (e.path.as_str(), e))
        .collect();
    for path in files.keys() {
        if path != MANIFEST && !listed.contains_key(path.as_str()) {
            faults.push(format!("{path}: added (the manifest does not list it)"));
        }
    }
    let mut prev = manifest.anchor.hash.clone();
    for e in &manifest.entries {
        match files.get(&e.path) {
            None => faults.push(format!(
                "{}: removed (the manifest lists it, the pack does not hold it)",
                e.path
            )),
            Some(bytes) if sha256_hex(bytes) != e.sha256 => faults.push(format!(
                "{}: changed (its SHA-256 is not the one the manifest records)",
                e.path
            )),
            Some(_) => {}
        }
        if link(&prev, &e.path, &e.sha256) != e.chain {
            faults.push(format!(
                "{}: its manifest entry was changed (the chain breaks there)",
                e.path
            ));
        }
        prev = e.chain.clone();
    }
    if prev != manifest.head {
        faults.push(format!(
            "{MANIFEST}: the head is not the last entry's chain hash"
        ));
    }
    if manifest.anchor.hash != manifest.anchor.expected_hash() {
        faults.push(format!(
            "{MANIFEST}: the anchor ledger entry {} was changed",
            manifest.anchor.seq
        ));
    }
    let l = &manifest.ledger;
    if l.digest != manifest.head {
        faults.push(format!(
            "{MANIFEST}: the head is not the digest of the pack's ledger entry {}",
            l.seq
        ));
    }
    if l.hash != l.expected_hash() {
        faults.push(format!(
            "{MANIFEST}: the pack's ledger entry {} was changed",
            l.seq
        ));
    }
    faults
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ledger::{self, GENESIS};

    fn pack() -> (Manifest, BTreeMap<String, Vec<u8>>) {
        let files = vec![
            ("a.json".to_owned(), b"{}".to_vec()),
            ("b.csv".to_owned(), b"x\r\n".to_vec()),
            ("c.txt".to_owned(), b"h1\n".to_vec()),
        ];
        let mut anchor = LedgerEntry {
            seq: 1,
            at: 1_700_000_000,
            kind: ledger::KIND_CHECKPOINT.into(),
            subject: "0 agent chain heads".into(),
            digest: "d".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        anchor.hash = anchor.expected_hash();
        let (entries, head) = entries(&anchor.hash, &files);
        let mut l = LedgerEntry {
            seq: 2,
            at: 1_700_000_001,
            kind: ledger::KIND_EVIDENCE_PACK.into(),
            subject: "pack.zip".into(),
            digest: head.clone(),
            prev_hash: anchor.hash.clone(),
            hash: String::new(),
        };
        l.hash = l.expected_hash();
        let manifest = Manifest {
            format: FORMAT.into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            anchor,
            entries,
            head,
            ledger: l,
        };
        (manifest, files.into_iter().collect())
    }

    #[test]
    fn each_entry_chains_to_the_one_before() {
        let (m, _) = pack();
        assert_eq!(
            m.entries[0].chain,
            link(&m.anchor.hash, "a.json", &m.entries[0].sha256)
        );
        assert_eq!(
            m.entries[1].chain,
            link(&m.entries[0].chain, "b.csv", &m.entries[1].sha256)
        );
        assert_eq!(m.head, m.entries[2].chain);
        // printf 'prev\nb.csv\n<sha>' | sha256sum, by hand once:
        assert_eq!(
            link(GENESIS, "a.json", &sha256_hex(b"{}")),
            sha256_hex(format!("{GENESIS}\na.json\n{}", sha256_hex(b"{}")).as_bytes())
        );
    }

    #[test]
    fn an_intact_pack_has_no_faults() {
        let (m, files) = pack();
        assert_eq!(check(&m, &files), Vec::<String>::new());
    }

    #[test]
    fn a_changed_added_or_removed_file_is_named() {
        let (m, mut files) = pack();
        files.get_mut("b.csv").unwrap()[0] = b'y';
        assert_eq!(
            check(&m, &files),
            ["b.csv: changed (its SHA-256 is not the one the manifest records)"]
        );

        let (m, mut files) = pack();
        files.insert("extra.txt".into(), vec![]);
        files.remove("c.txt");
        let faults = check(&m, &files);
        assert_eq!(faults.len(), 2, "{faults:?}");
        assert!(faults[0].starts_with("extra.txt: added"));
        assert!(faults[1].starts_with("c.txt: removed"));
    }

    #[test]
    fn a_rewritten_entry_breaks_the_chain_and_a_rewritten_chain_the_head() {
        let (mut m, mut files) = pack();
        files.insert("b.csv".into(), b"forged".to_vec());
        m.entries[1].sha256 = sha256_hex(b"forged");
        let faults = check(&m, &files);
        assert_eq!(
            faults,
            ["b.csv: its manifest entry was changed (the chain breaks there)"]
        );

        // Recomputing the whole chain moves the head off the ledger entry.
        let ordered: Vec<(String, Vec<u8>)> = m
            .entries
            .iter()
            .map(|e| (e.path.clone(), files[&e.path].clone()))
            .collect();
        let (entries, head) = entries(&m.anchor.hash, &ordered);
        m.entries = entries;
        m.head = head;
        let faults = check(&m, &files);
        assert_eq!(
            faults,
            ["manifest.json: the head is not the digest of the pack's ledger entry 2"]
        );
    }
}
