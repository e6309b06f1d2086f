//! `export ocsf` (binary only): current findings as OCSF 1.1.0 NDJSON for
//! a SIEM. The work is the library's (`ocsf/`); this file parses flags and
//! prints.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::Subcommand;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustwatch_collector::ocsf::export::{self, ExportFilter};
use trustwatch_collector::{Config, Error, Store};

#[derive(Subcommand)]
pub enum ExportCommand {
    /// Every current finding as one OCSF 1.1.0 event per line (Compliance
    /// Finding 2003, Vulnerability Finding 2002 for missing fixes).
    Ocsf {
        /// The collector.toml whose store to read.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Only this site (default: every site).
        #[arg(long)]
        site: Option<String>,
        /// Only findings whose status changed at or after this RFC 3339 time.
        #[arg(long, value_name = "RFC3339")]
        since: Option<String>,
        /// The NDJSON file to write, or - for standard output.
        #[arg(long, value_name = "FILE.ndjson")]
        out: PathBuf,
    },
}

pub async fn export(cmd: ExportCommand) -> anyhow::Result<()> {
    let ExportCommand::Ocsf {
        config,
        site,
        since,
        out,
    } = cmd;
    // Every flag is checked before the store is opened.
    if let Some(site) = &site {
        trustwatch_collector::ca::check_label("site", site)?;
    }
    let changed_since = match &since {
        None => None,
        Some(text) => Some(
            OffsetDateTime::parse(text, &Rfc3339)
                .map_err(|_| Error::InvalidArgument {
                    what: "--since",
                    value: text.clone(),
                    reason: "it is not an RFC 3339 time such as 2026-11-22T12:00:00Z".into(),
                })?
                .unix_timestamp(),
        ),
    };
    let config = Config::load(&config)?;
    let store = Store::connect(&config.store, &config.data_dir).await?;
    let filter = ExportFilter {
        site,
        changed_since,
    };
    let to_stdout = out.as_os_str() == "-";
    let done = if to_stdout {
        let stdout = std::io::stdout();
        let mut w = BufWriter::new(stdout.lock());
        let done = export::write_ndjson(&store, &filter, &mut w, "standard output").await?;
        w.flush()?;
        done
    } else {
        // Written beside the target and renamed, so a reader never sees
        // half an export.
        let tmp = out.with_extension("ndjson.part");
        let file = std::fs::File::create(&tmp).map_err(|source| Error::Io {
            action: "create",
            path: tmp.clone(),
            source,
        })?;
        let mut w = BufWriter::new(file);
        let shown = out.display().to_string();
        let done = match export::write_ndjson(&store, &filter, &mut w, &shown).await {
            Ok(done) => done,
            Err(e) => {
                drop(w);
                let _ = std::fs::remove_file(&tmp);
                return Err(e.into());
            }
        };
        drop(w);
        std::fs::rename(&tmp, &out).map_err(|source| Error::Io {
            action: "write",
            path: out.clone(),
            source,
        })?;
        done
    };
    let summary = format!(
        "{} OCSF events ({} compliance findings, {} vulnerability findings)",
        done.total(),
        done.compliance,
        done.vulnerability
    );
    if to_stdout {
        eprintln!("wrote {summary}");
    } else {
        println!("wrote {summary} to {}", out.display());
    }
    Ok(())
}
