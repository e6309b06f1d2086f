//! `report` and `verify` (binary only): the board's page, the auditor's
//! evidence pack and its check. The work is the library's (`board/`,
//! `evidence/`); this file parses flags and prints.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use time::OffsetDateTime;
use trustwatch_collector::board::{self, BoardRequest};
use trustwatch_collector::evidence::{self, verify, Options, Period};
use trustwatch_collector::store::ledger::at_text;
use trustwatch_collector::{Config, Error, Store};
use trustwatch_rules::Catalogue;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// One printable A4 page for the board: CAF outcome ratings, six KPIs
    /// with their trend, top risks as register entries, exceptions.
    Board {
        /// The collector.toml whose store to read.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Only this site (default: the whole estate).
        #[arg(long)]
        site: Option<String>,
        /// The trend's length: days or weeks, e.g. 90d or 13w (7d to 730d).
        #[arg(long, default_value = "90d")]
        period: String,
        /// Report as of this RFC 3339 time (default: now).
        #[arg(long, value_name = "RFC3339")]
        as_of: Option<String>,
        /// The HTML file to write.
        #[arg(long, value_name = "FILE.html")]
        out: PathBuf,
    },
    /// Write the auditor's evidence pack (a zip with a chained hash manifest recorded in the ledger).
    Evidence(EvidenceArgs),
}

#[derive(Args)]
pub struct EvidenceArgs {
    /// The collector.toml whose store to use.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Only this site (default: every site).
    #[arg(long)]
    site: Option<String>,
    /// First day of the period (YYYY-MM-DD, UTC, included).
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: Option<String>,
    /// Last day of the period (YYYY-MM-DD, UTC, included).
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Option<String>,
    /// Also draw this many hosts, reproducibly, with their full evidence.
    #[arg(long, value_name = "N", requires = "seed")]
    sample: Option<usize>,
    /// The seed of the sample (any number from 0 to 18446744073709551615).
    #[arg(long, value_name = "K", requires = "sample")]
    seed: Option<u64>,
    /// The zip file to write.
    #[arg(long, value_name = "FILE.zip")]
    out: PathBuf,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The evidence pack (zip) to check.
    pack: PathBuf,
    /// Also check it against this collector's store: its ledger and the reports it cites.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

async fn open(config: &Path) -> anyhow::Result<Store> {
    let config = Config::load(config)?;
    Ok(Store::connect(&config.store, &config.data_dir).await?)
}

pub async fn report(cmd: ReportCommand) -> anyhow::Result<()> {
    match cmd {
        ReportCommand::Board {
            config,
            site,
            period,
            as_of,
            out,
        } => {
            // Every flag is checked before the store is opened.
            let period_days = board::parse_period(&period)?;
            let as_of = match as_of {
                Some(text) => board::parse_as_of(&text)?,
                None => OffsetDateTime::now_utc(),
            };
            let config = Config::load(&config)?;
            let catalogue = Catalogue::embedded().context("cannot load the rule catalogue")?;
            let store = Store::connect(&config.store, &config.data_dir).await?;
            let request = BoardRequest {
                site,
                period_days,
                as_of,
            };
            let html = board::build(&store, &config, &catalogue, &request).await?;
            // The I/O error is already in the sentence; anyhow's chain
            // would repeat it.
            board::write(&out, &html).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("wrote the board report to {}", out.display());
        }
        ReportCommand::Evidence(a) => {
            // Every flag is checked before the store is opened.
            let period = Period::parse(a.from.as_deref(), a.to.as_deref())?;
            if let Some(site) = &a.site {
                trustwatch_collector::ca::check_label("site", site)?;
            }
            if a.out.extension().and_then(|e| e.to_str()) != Some("zip") {
                return Err(Error::InvalidArgument {
                    what: "--out",
                    value: a.out.display().to_string(),
                    reason: "the evidence pack is a zip file; name it FILE.zip".into(),
                }
                .into());
            }
            if a.sample == Some(0) {
                return Err(Error::InvalidArgument {
                    what: "--sample",
                    value: "0".into(),
                    reason: "a sample needs at least one host".into(),
                }
                .into());
            }
            let opts = Options {
                site: a.site,
                period,
                sample: a.sample.zip(a.seed),
                out: a.out,
            };
            let catalogue = Catalogue::embedded().context("cannot load the rule catalogue")?;
            let store = open(&a.config).await?;
            let made = evidence::make(&store, &opts, &catalogue).await?;
            println!(
                "wrote {}: {} files, {} results over {} hosts{}",
                made.path.display(),
                made.files,
                made.results,
                made.hosts_assessed,
                if made.sampled.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", sample of {}: {}",
                        made.sampled.len(),
                        made.sampled.join(" ")
                    )
                }
            );
            println!(
                "manifest head {} recorded as ledger entry {} at {}",
                made.head,
                made.ledger.seq,
                at_text(made.ledger.at)
            );
        }
    }
    Ok(())
}

pub async fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let pack = verify::open(&args.pack)?;
    let mut verdict = verify::check_pack(&pack);
    if let Some(config) = &args.config {
        let store = open(config).await?;
        verify::check_store(&pack, &store, &mut verdict).await?;
    }
    let shown = args.pack.display();
    if !verdict.faults.is_empty() {
        for fault in &verdict.faults {
            eprintln!("{shown}: {fault}");
        }
        anyhow::bail!(
            "{shown} failed verification: {} fault(s), listed above",
            verdict.faults.len()
        );
    }
    let l = &pack.manifest.ledger;
    println!(
        "{shown}: intact: {} files match the manifest, the chain holds, head {} is ledger entry {} ({})",
        verdict.files,
        pack.manifest.head,
        l.seq,
        at_text(l.at)
    );
    if args.config.is_some() {
        println!(
            "{shown}: the store's ledger holds the pack's entries and chains; {} cited report(s) still chain to their agents' heads",
            verdict.reports_checked
        );
    }
    Ok(())
}
