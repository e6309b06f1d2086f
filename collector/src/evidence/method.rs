//! The method statement: which baseline and data files the findings were
//! judged against, which tools produced them, the rules' definitions, how
//! the sample was drawn and how the pack's integrity can be checked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trustwatch_rules::{Catalogue, ToolInfo};

use super::{utc_unix, Options};
use crate::error::Result;
use crate::store::portable::Sql;
use crate::store::Store;

#[derive(Debug, Clone, Serialize)]
pub struct Method {
    pub statement: Vec<&'static str>,
    pub collector: ToolInfo,
    pub agent_tools: Vec<Counted<ToolInfo>>,
    pub baselines: Vec<BaselineUse>,
    pub data_sources: Vec<Counted<serde_json::Value>>,
    pub rules: Vec<RuleDefinition>,
    pub sampling: Sampling,
    pub integrity: Vec<&'static str>,
}

/// A value and how many of the cited reports carried it.
#[derive(Debug, Clone, Serialize)]
pub struct Counted<T> {
    #[serde(flatten)]
    pub value: T,
    pub reports: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct BaselineUse {
    pub id: String,
    pub version: String,
    pub reports: i64,
    pub first_report_utc: String,
    pub last_report_utc: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleDefinition {
    pub id: String,
    pub title: String,
    pub evidence: String,
    pub pass_condition: String,
    pub controls: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sampling {
    pub requested: Option<usize>,
    pub seed: Option<u64>,
    pub population_file: &'static str,
    pub algorithm: Vec<&'static str>,
    pub test_vector: &'static str,
}

const STATEMENT: &[&str] = &[
    "Technical evidence only: this is not a DSPT self-assessment.",
    "Agents scan the estate from their vantage points and upload signed-in (mutual TLS) JSON reports; the collector stores each report exactly as received with its SHA-256, and keeps the current result per (agent, target, rule) and every change of status.",
    "results.csv/json: every current result last seen in the period, one row per agent, target and rule, with UTC timestamps, the raw evidence as the agent reported it, and the rule's controls split into CAF, Cyber Essentials (CE) and DSPT ids.",
    "remediation.csv/json: failing episodes from the status history; an episode starts when a result turns fail and is remediated when it turns pass; 'closed_absent' / 'closed_not_applicable' mean it stopped being reported or stopped applying, not that it was shown fixed; open episodes are aged to the end of the period (or to when the pack was made).",
    "CSV files follow RFC 4180 (CRLF, quoting); a field starting with = + - @ TAB or CR is prefixed with ' so that spreadsheets do not run it; the JSON files hold the exact values.",
];

const ALGORITHM: &[&str] = &[
    "Population: hosts.txt, the assessed hosts' names deduplicated and sorted by UTF-8 bytes, one per line.",
    "Generator: SplitMix64 seeded with the seed: state = state + 0x9E3779B97F4A7C15; z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) * 0x94D049BB133111EB; output z ^ (z >> 31); all arithmetic modulo 2^64.",
    "Selection: partial Fisher-Yates: for i from 0 to N-1, with b = population size - i, draw outputs until one (r) is below 2^64 - (2^64 mod b), then swap positions i and i + (r mod b); the sample is positions 0 to N-1 in that order.",
];

const TEST_VECTOR: &str = "population host-00 .. host-09, N = 3, seed 42: host-03, host-02, host-04 (seed 43: host-00, host-08, host-09); seed 0's first two outputs: 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4";

const INTEGRITY: &[&str] = &[
    "Every hash is SHA-256 in lowercase hex over text lines joined by a newline (no final newline), so `printf '%s\\n%s\\n%s' A B C | sha256sum` recomputes one.",
    "manifest.json lists every other file with its size and SHA-256; entry i's chain = SHA-256(chain of entry i-1, path, sha256); entry 1 chains to anchor.hash, the ledger checkpoint appended just before the pack was made; head = the last entry's chain.",
    "The collector's ledger is an append-only table (triggers refuse UPDATE and DELETE): entry hash = SHA-256(prev_hash, seq, at, kind, subject, digest), the first entry's prev_hash being 64 zeros. The pack's own entry (kind evidence_pack) has digest = head.",
    "A checkpoint's digest is SHA-256 over one line 'agent TAB head' per agent, sorted by name, each ending in a newline, where head is the chain hash of the agent's last stored report.",
    "Each stored report carries chain_hash = SHA-256(previous chain hash of that agent (64 zeros for its first), agent, sequence, received_at in unix seconds, body_sha256). reports.json lists the reports this pack cites with those fields.",
    "`trustwatch-collector verify PACK.zip` rechecks every file, the chain and the ledger entry, and redraws the sample from hosts.txt and the seed; with --config it also checks that the collector's ledger still holds these entries unchanged and still chains, and that every cited report still has its body, digest and place in its agent's chain.",
];

pub(super) fn sampling(opts: &Options) -> Sampling {
    Sampling {
        requested: opts.sample.map(|(n, _)| n),
        seed: opts.sample.map(|(_, s)| s),
        population_file: "hosts.txt",
        algorithm: ALGORITHM.to_vec(),
        test_vector: TEST_VECTOR,
    }
}

pub(super) fn statement() -> Vec<&'static str> {
    STATEMENT.to_vec()
}

pub(super) fn integrity() -> Vec<&'static str> {
    INTEGRITY.to_vec()
}

pub(super) fn collector() -> ToolInfo {
    ToolInfo {
        name: "trustwatch-collector".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

pub(super) async fn baselines(store: &Store, opts: &Options) -> Result<Vec<BaselineUse>> {
    let backend = store.backend();
    let mut sql = Sql::new(backend.dialect());
    sql.push(
        "SELECT baseline_id, baseline_version, CAST(COUNT(*) AS BIGINT), MIN(received_at),
                MAX(received_at)
         FROM reports WHERE 1 = 1",
    );
    super::scope::period_filter(&mut sql, opts, "received_at");
    sql.push(" GROUP BY baseline_id, baseline_version ORDER BY 1, 2");
    let rows = backend.read("read the baselines used", vec![sql]).await?;
    rows.into_iter()
        .flatten()
        .map(|r| {
            Ok(BaselineUse {
                id: r.text(0)?,
                version: r.text(1)?,
                reports: r.int(2)?,
                first_report_utc: utc_unix(r.int(3)?),
                last_report_utc: utc_unix(r.int(4)?),
            })
        })
        .collect()
}

/// Only what the method statement needs from a report body.
#[derive(Deserialize)]
struct BodyMeta {
    #[serde(default)]
    tool: Option<ToolInfo>,
    #[serde(default)]
    data_sources: Vec<serde_json::Value>,
}

/// Tools and data files, counted over the bodies of the cited reports
/// one at a time (a body retention emptied, or one that does not parse,
/// adds nothing), so no more than one body is held at once.
#[derive(Debug, Default)]
pub(super) struct Tally {
    tools: BTreeMap<(String, String), usize>,
    sources: BTreeMap<String, (serde_json::Value, usize)>,
}

impl Tally {
    pub(super) fn add(&mut self, body: &str) {
        let Ok(meta) = serde_json::from_str::<BodyMeta>(body) else {
            return;
        };
        if let Some(t) = meta.tool {
            *self.tools.entry((t.name, t.version)).or_default() += 1;
        }
        for s in meta.data_sources {
            self.sources.entry(s.to_string()).or_insert((s, 0)).1 += 1;
        }
    }

    pub(super) fn finish(self) -> (Vec<Counted<ToolInfo>>, Vec<Counted<serde_json::Value>>) {
        (
            self.tools
                .into_iter()
                .map(|((name, version), reports)| Counted {
                    value: ToolInfo { name, version },
                    reports,
                })
                .collect(),
            self.sources
                .into_values()
                .map(|(value, reports)| Counted { value, reports })
                .collect(),
        )
    }
}

pub(super) fn rules<'a>(
    catalogue: &Catalogue,
    ids: impl IntoIterator<Item = &'a str>,
) -> Vec<RuleDefinition> {
    let ids: std::collections::BTreeSet<&str> = ids.into_iter().collect();
    ids.into_iter()
        .filter_map(|id| catalogue.rule(id))
        .map(|r| RuleDefinition {
            id: r.id.clone(),
            title: r.title.clone(),
            evidence: r.evidence.clone(),
            pass_condition: r.pass_condition.clone(),
            controls: r.controls.clone(),
        })
        .collect()
}
