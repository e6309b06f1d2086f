//! Making a pack: gather everything from the store, append a ledger
//! checkpoint of every agent's chain head, chain the files' hashes to it,
//! record the head in the ledger, and write a deterministic zip (fixed
//! file order, fixed timestamps), first to a temporary name next to the
//! destination so that a failed write never leaves half a pack.
//!
//! The pack's ledger entry is appended before the zip is written (the zip
//! holds it); a write that then fails leaves an entry for a pack that does
//! not exist, which is harmless: the ledger records what was attempted.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use time::OffsetDateTime;
use trustwatch_rules::Catalogue;

use super::manifest::{self, Manifest, MANIFEST};
use super::{gather, method, register, remediation, results, sample, scope, utc, Options};
use crate::error::{Error, Result};
use crate::store::ledger::KIND_EVIDENCE_PACK;
use crate::store::{FindingRow, LedgerEntry, Store};

/// What `make` wrote.
#[derive(Debug, Clone)]
pub struct Made {
    pub path: PathBuf,
    pub files: usize,
    pub results: usize,
    pub hosts_assessed: usize,
    pub sampled: Vec<String>,
    pub head: String,
    pub ledger: LedgerEntry,
}

fn json(value: &impl Serialize) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::StoreData {
        reason: format!("cannot encode the evidence pack's JSON: {e}"),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[derive(Serialize)]
struct SampledHost<'a> {
    host: &'a str,
    findings: Vec<results::ResultRow<'a>>,
}

#[derive(Serialize)]
struct SampleFile<'a> {
    seed: u64,
    requested: usize,
    population: usize,
    population_file: &'static str,
    population_sha256: String,
    hosts: Vec<SampledHost<'a>>,
}

#[derive(Serialize)]
struct Remediation<'a> {
    totals: remediation::Totals,
    measured_to_utc: String,
    episodes: &'a [remediation::Episode],
}

#[derive(Serialize)]
struct CitedReports {
    chained: Vec<crate::store::ChainLink>,
    /// Stored before the ledger existed: no chain to check.
    unchained_report_ids: Vec<i64>,
}

/// Makes the pack `opts` asks for.
pub async fn make(store: &Store, opts: &Options, catalogue: &Catalogue) -> Result<Made> {
    let partial = Partial::create(&opts.out)?;
    let now = OffsetDateTime::now_utc();
    let measured_to = opts
        .period
        .until
        .map_or(now.unix_timestamp(), |u| u.min(now.unix_timestamp()));

    let findings = gather::findings(store, opts).await?;
    let assessed = sample::population(findings.iter().map(|f| f.host.as_str()));
    let known = scope::known_hosts(store, opts).await?;
    let site_matches = |site: &str| opts.site.as_deref().is_none_or(|s| s == site);
    let policies = store.policies().await?;
    let agents = store.agents().await?;
    let policies: Vec<scope::PolicyScope> = policies
        .iter()
        .filter(|p| site_matches(&p.site))
        .map(scope::PolicyScope::from)
        .collect();
    let agents: Vec<_> = agents
        .into_iter()
        .filter(|a| site_matches(&a.site))
        .collect();
    let scope = scope::Scope {
        site: opts.site.clone(),
        period_from_utc: opts.period.from.map(super::utc_unix),
        period_until_utc: opts.period.until.map(super::utc_unix),
        sites_without_policy: scope::sites_without_policy(&agents, &policies),
        policies,
        vantage_points: scope::vantage_points(store, opts).await?,
        agents,
        coverage: scope::coverage(&known, &assessed),
    };

    let episodes = remediation::episodes(
        &gather::changes(store, opts).await?,
        opts.period.from,
        measured_to,
    );
    let exceptions = gather::exceptions(store, opts).await?;

    let cited: Vec<i64> = findings
        .iter()
        .filter_map(|f| f.report_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let chained = store.report_links(&cited).await?;
    let chained_ids: BTreeSet<i64> = chained.iter().map(|l| l.report_id).collect();
    let mut tally = method::Tally::default();
    for id in &cited {
        if let Some((body, _)) = store.report_body(*id).await? {
            tally.add(&body);
        }
    }
    let (agent_tools, data_sources) = tally.finish();
    let method = method::Method {
        statement: method::statement(),
        collector: method::collector(),
        agent_tools,
        baselines: method::baselines(store, opts).await?,
        data_sources,
        rules: method::rules(catalogue, findings.iter().map(|f| f.rule_id.as_str())),
        sampling: method::sampling(opts),
        integrity: method::integrity(),
    };

    let hosts_txt: Vec<u8> = assessed
        .iter()
        .flat_map(|h| format!("{h}\n").into_bytes())
        .collect();
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("scope.json".into(), json(&scope)?),
        ("method.json".into(), json(&method)?),
        ("results.csv".into(), results::csv(&findings)),
        ("results.json".into(), json(&results::json_rows(&findings))?),
        ("remediation.csv".into(), remediation::csv(&episodes)),
        (
            "remediation.json".into(),
            json(&Remediation {
                totals: remediation::totals(&episodes),
                measured_to_utc: super::utc_unix(measured_to),
                episodes: &episodes,
            })?,
        ),
        ("hosts.txt".into(), hosts_txt.clone()),
    ];
    let mut sampled = Vec::new();
    if let Some((n, seed)) = opts.sample {
        sampled = sample::select(&assessed, n, seed);
        // One pass over the results, however many hosts are drawn.
        let mut by_host: BTreeMap<&str, Vec<&FindingRow>> =
            sampled.iter().map(|h| (h.as_str(), Vec::new())).collect();
        for f in &findings {
            if let Some(rows) = by_host.get_mut(f.host.as_str()) {
                rows.push(f);
            }
        }
        let hosts = sampled
            .iter()
            .map(|h| SampledHost {
                host: h,
                findings: results::json_rows(by_host.remove(h.as_str()).unwrap_or_default()),
            })
            .collect();
        files.push((
            "sample.json".into(),
            json(&SampleFile {
                seed,
                requested: n,
                population: assessed.len(),
                population_file: "hosts.txt",
                population_sha256: manifest::sha256_hex(&hosts_txt),
                hosts,
            })?,
        ));
    }
    files.push(("exceptions.csv".into(), register::csv(&exceptions)));
    files.push(("exceptions.json".into(), json(&exceptions)?));
    files.push((
        "reports.json".into(),
        json(&CitedReports {
            chained,
            unchained_report_ids: cited
                .iter()
                .copied()
                .filter(|id| !chained_ids.contains(id))
                .collect(),
        })?,
    ));

    // After the reads: every cited report is at or before the heads the
    // checkpoint records.
    let anchor = store.ledger_checkpoint().await?;
    let (entries, head) = manifest::entries(&anchor.hash, &files);
    let subject = opts.out.file_name().map_or_else(
        || "evidence pack".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let ledger = store
        .ledger_append(KIND_EVIDENCE_PACK, &subject, &head)
        .await?;
    let manifest = Manifest {
        format: manifest::FORMAT.into(),
        created_at: utc(now.replace_nanosecond(0).unwrap_or(now)),
        anchor,
        entries,
        head: head.clone(),
        ledger: ledger.clone(),
    };
    files.push((MANIFEST.into(), json(&manifest)?));
    partial.finish(&files)?;
    Ok(Made {
        path: opts.out.clone(),
        files: files.len(),
        results: findings.len(),
        hosts_assessed: assessed.len(),
        sampled,
        head,
        ledger,
    })
}

/// The zip being written, under a temporary name next to the
/// destination: created before anything is read or appended to the ledger
/// (so an unwritable destination fails first), removed unless finished.
struct Partial {
    path: PathBuf,
    out: PathBuf,
    file: Option<std::fs::File>,
}

impl Partial {
    fn create(out: &Path) -> Result<Partial> {
        let path = out.with_extension("zip.partial");
        let file =
            std::fs::File::create(&path).map_err(Error::io("write the evidence pack", out))?;
        Ok(Partial {
            path,
            out: out.to_owned(),
            file: Some(file),
        })
    }

    /// Writes `files` and moves the zip into place: the same files give
    /// the same bytes.
    fn finish(mut self, files: &[(String, Vec<u8>)]) -> Result<()> {
        let file = self.file.take().ok_or_else(|| Error::StoreData {
            reason: "the evidence pack was already written".into(),
        })?;
        let written = (|| -> std::io::Result<()> {
            let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .last_modified_time(zip::DateTime::default())
                .unix_permissions(0o644);
            for (name, bytes) in files {
                zip.start_file(name, options)
                    .map_err(std::io::Error::other)?;
                zip.write_all(bytes)?;
            }
            let mut inner = zip.finish().map_err(std::io::Error::other)?;
            inner.flush()?;
            inner.get_ref().sync_all()?;
            std::fs::rename(&self.path, &self.out)
        })();
        written.map_err(Error::io("write the evidence pack", &self.out))
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        // Moved into place, this is already gone; else it is half a pack.
        let _ = std::fs::remove_file(&self.path);
    }
}
