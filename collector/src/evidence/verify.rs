//! `verify`: a pack checked on its own (every file's hash, the manifest's
//! chain, its ledger entries' own hashes), then, given the store, against
//! it: the ledger still chains and holds the pack's entries unchanged, and
//! every report the pack cites is still stored with the same digest, its
//! body still matches that digest, and its agent's chain still runs
//! unbroken from it to the agent's head.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::manifest::{self, Manifest, MANIFEST};
use crate::error::{Error, Result};
use crate::store::ledger::{self, ChainLink, LedgerEntry, GENESIS};
use crate::store::Store;

/// The most a pack's files may hold in all, read into memory to be hashed.
const MAX_PACK_BYTES: u64 = 4 << 30;

/// A pack read from its zip.
#[derive(Debug, Clone)]
pub struct Pack {
    pub manifest: Manifest,
    pub files: BTreeMap<String, Vec<u8>>,
}

/// What `verify` found: no faults means the pack is intact.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    pub faults: Vec<String>,
    pub files: usize,
    /// Reports whose chain was checked in the store.
    pub reports_checked: usize,
}

fn not_a_pack(path: &Path, reason: impl Into<String>) -> Error {
    Error::NotAPack {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Reads the zip at `path`; an error when it is not a pack at all.
pub fn open(path: &Path) -> Result<Pack> {
    let file = std::fs::File::open(path).map_err(Error::io("read the evidence pack", path))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| not_a_pack(path, format!("it is not a readable zip file ({e})")))?;
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| not_a_pack(path, format!("entry {i} of the zip cannot be read ({e})")))?;
        if entry.is_dir() {
            continue;
        }
        total += entry.size();
        if total > MAX_PACK_BYTES {
            return Err(not_a_pack(path, "its files hold more than 4 GiB"));
        }
        let name = entry.name().to_owned();
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut bytes).map_err(|e| {
            not_a_pack(
                path,
                format!("its file {name} cannot be decompressed ({e})"),
            )
        })?;
        files.insert(name, bytes);
    }
    let text = files
        .get(MANIFEST)
        .ok_or_else(|| not_a_pack(path, format!("it holds no {MANIFEST}")))?;
    let manifest: Manifest = serde_json::from_slice(text)
        .map_err(|e| not_a_pack(path, format!("its {MANIFEST} is not a pack manifest ({e})")))?;
    Ok(Pack { manifest, files })
}

/// The checks that need nothing but the pack.
pub fn check_pack(pack: &Pack) -> Verdict {
    let mut faults = manifest::check(&pack.manifest, &pack.files);
    faults.extend(check_sample(&pack.files));
    Verdict {
        faults,
        files: pack.manifest.entries.len(),
        reports_checked: 0,
    }
}

#[derive(Deserialize)]
struct SampleFile {
    seed: u64,
    requested: usize,
    hosts: Vec<SampledHost>,
}

#[derive(Deserialize)]
struct SampledHost {
    host: String,
}

/// The sample is redrawn from `hosts.txt` and the seed: the same hosts,
/// in the same order, or a fault.
fn check_sample(files: &BTreeMap<String, Vec<u8>>) -> Option<String> {
    let bytes = files.get("sample.json")?;
    let Ok(sample) = serde_json::from_slice::<SampleFile>(bytes) else {
        return Some("sample.json: not a sample of hosts".into());
    };
    let population: Vec<String> = files
        .get("hosts.txt")
        .map(|b| {
            String::from_utf8_lossy(b)
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let drawn = super::sample::select(&population, sample.requested, sample.seed);
    let listed: Vec<String> = sample.hosts.into_iter().map(|h| h.host).collect();
    (drawn != listed).then(|| {
        format!(
            "sample.json: its hosts are not the ones seed {} draws from hosts.txt",
            sample.seed
        )
    })
}

#[derive(Deserialize)]
struct CitedReports {
    chained: Vec<ChainLink>,
}

/// The checks against the store, added to `verdict`.
pub async fn check_store(pack: &Pack, store: &Store, verdict: &mut Verdict) -> Result<()> {
    let stored = store.ledger().await?;
    verdict.faults.extend(ledger::check_ledger(&stored));
    let by_seq: HashMap<i64, &LedgerEntry> = stored.iter().map(|e| (e.seq, e)).collect();
    for (what, entry) in [
        ("anchor", &pack.manifest.anchor),
        ("own", &pack.manifest.ledger),
    ] {
        match by_seq.get(&entry.seq) {
            None => verdict.faults.push(format!(
                "ledger entry {} (the pack's {what} entry, {} {}) is not in the store's ledger",
                entry.seq, entry.kind, entry.subject
            )),
            Some(e) if *e != entry => verdict.faults.push(format!(
                "ledger entry {} in the store differs from the pack's {what} entry",
                entry.seq
            )),
            Some(_) => {}
        }
    }

    let Some(bytes) = pack.files.get("reports.json") else {
        verdict
            .faults
            .push("reports.json: missing, so the cited reports cannot be checked".into());
        return Ok(());
    };
    let cited: CitedReports = match serde_json::from_slice(bytes) {
        Ok(c) => c,
        Err(e) => {
            verdict
                .faults
                .push(format!("reports.json: not the list of cited reports ({e})"));
            return Ok(());
        }
    };
    let heads: HashMap<String, String> = store.chain_heads().await?.into_iter().collect();
    let mut by_agent: BTreeMap<&str, Vec<&ChainLink>> = BTreeMap::new();
    for link in &cited.chained {
        by_agent.entry(link.agent.as_str()).or_default().push(link);
    }
    for (agent, mut links) in by_agent {
        links.sort_by_key(|l| l.sequence);
        check_agent(store, agent, &links, heads.get(agent), verdict).await?;
    }
    Ok(())
}

fn name(l: &ChainLink) -> String {
    format!(
        "report {} (agent {}, sequence {})",
        l.report_id, l.agent, l.sequence
    )
}

/// One agent's whole stored chain, up to its head, and its cited reports.
///
/// The agent's first stored report is where the walk starts: its own link
/// cannot be checked when retention removed the reports before it, so it
/// is taken as given (it is checked against the pack's copy when cited).
async fn check_agent(
    store: &Store,
    agent: &str,
    cited: &[&ChainLink],
    head: Option<&String>,
    verdict: &mut Verdict,
) -> Result<()> {
    let chain = store.report_chain(agent, 0).await?;
    for pair in chain.windows(2) {
        let (before, link) = (&pair[0], &pair[1]);
        if link.expected_hash(&before.chain_hash) != link.chain_hash {
            verdict.faults.push(format!(
                "{}: the chain breaks here (its chain hash does not follow from its digest and the report before it)",
                name(link)
            ));
        }
    }
    if chain
        .first()
        .is_some_and(|l| l.sequence == 1 && l.expected_hash(GENESIS) != l.chain_hash)
    {
        verdict.faults.push(format!(
            "{}: the chain breaks here (the agent's first report does not start from the genesis hash)",
            name(&chain[0])
        ));
    }
    if let (Some(last), Some(head)) = (chain.last(), head) {
        if &last.chain_hash != head {
            verdict.faults.push(format!(
                "agent {agent}: its chain head is not the chain hash of its last stored report"
            ));
        }
    }
    let stored: HashMap<i64, &ChainLink> = chain.iter().map(|l| (l.report_id, l)).collect();
    for link in cited {
        verdict.reports_checked += 1;
        match stored.get(&link.report_id) {
            None => verdict.faults.push(format!(
                "{}: no longer stored in its agent's chain",
                name(link)
            )),
            Some(s) if *s != *link => verdict.faults.push(format!(
                "{}: the store's digest or chain hash differs from the pack's copy",
                name(link)
            )),
            Some(_) => {}
        }
        if let Some((body, pruned)) = store.report_body(link.report_id).await? {
            if !pruned && manifest::sha256_hex(body.as_bytes()) != link.body_sha256 {
                verdict.faults.push(format!(
                    "{}: its stored body no longer matches its SHA-256",
                    name(link)
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(sample: &str) -> BTreeMap<String, Vec<u8>> {
        BTreeMap::from([
            ("hosts.txt".to_owned(), b"h1\nh2\nh3\nh4\n".to_vec()),
            ("sample.json".to_owned(), sample.as_bytes().to_vec()),
        ])
    }

    #[test]
    fn a_sample_is_redrawn_from_the_seed() {
        let population: Vec<String> = ["h1", "h2", "h3", "h4"].map(String::from).to_vec();
        let drawn = crate::evidence::sample::select(&population, 2, 42);
        let listed = format!(
            r#"{{"seed": 42, "requested": 2, "hosts": [{{"host": "{}"}}, {{"host": "{}"}}]}}"#,
            drawn[0], drawn[1]
        );
        assert_eq!(check_sample(&files(&listed)), None);
        let swapped = format!(
            r#"{{"seed": 42, "requested": 2, "hosts": [{{"host": "{}"}}, {{"host": "{}"}}]}}"#,
            drawn[1], drawn[0]
        );
        assert_eq!(
            check_sample(&files(&swapped)).as_deref(),
            Some("sample.json: its hosts are not the ones seed 42 draws from hosts.txt")
        );
        assert_eq!(check_sample(&BTreeMap::new()), None);
    }
}
