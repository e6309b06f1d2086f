//! `trustwatch-collector report …` (binary only): printable reports built
//! from the store. The work is the library's (`board`); this file parses
//! flags, writes the file and says where it went.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use time::OffsetDateTime;
use trustwatch_collector::board::{self, BoardRequest};
use trustwatch_collector::{Config, Store};
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
    }
    Ok(())
}
