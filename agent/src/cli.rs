//! The command line, and turning `scan`'s arguments into a validated plan
//! before any socket is opened.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use rustls_pki_types::DnsName;
use trustwatch_rules::{Catalogue, Report, Severity};

use crate::error::{Error, Result};
use crate::net::Resolver;
use crate::output::Format;
use crate::pem;
use crate::probe::tls::{Anchors, TlsProbeConfig};
use crate::probe::{Limits, Probe, ProbeContext};
use crate::scan;
use crate::target::Target;

#[derive(Debug, Parser)]
#[command(
    name = "trustwatch-agent",
    version,
    about = "Scans an NHS trust's estate against the cyber baseline"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan targets once and print the findings.
    Scan(ScanArgs),
    /// Run as a daemon: scan on a schedule and upload reports to the collector.
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A TLS endpoint to check, HOST:PORT (IPv6 as [ADDR]:PORT); repeatable.
    #[arg(long = "tls", value_name = "HOST:PORT")]
    pub tls: Vec<String>,
    /// Server name to send and check the certificate against, instead of the host.
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// A PEM file of extra trust anchors (a trust's own CA); repeatable.
    #[arg(long = "ca", value_name = "PEM")]
    pub ca: Vec<PathBuf>,
    /// Seconds allowed for each connection attempt.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub timeout: u64,
    /// Output format [default: table on a terminal, else json].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Exit 1 when a finding fails at or above this severity.
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: Severity,
    /// A baseline folder to judge by instead of the embedded baseline.
    #[arg(long, value_name = "DIR")]
    pub baseline: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The agent's configuration file (TOML).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Run one scan-and-upload cycle, then exit (0 if the upload was accepted).
    #[arg(long)]
    pub once: bool,
}

/// A validated `scan`: everything checked, nothing connected yet.
#[derive(Debug)]
pub struct ScanPlan {
    pub probes: Vec<Arc<dyn Probe>>,
    pub catalogue: Arc<Catalogue>,
    pub limits: Limits,
    pub format: Option<Format>,
    pub fail_on: Severity,
}

impl ScanPlan {
    pub fn from_args(args: &ScanArgs) -> Result<ScanPlan> {
        let targets = args
            .tls
            .iter()
            .map(|t| {
                Target::parse(t).map_err(|e| match e {
                    Error::Target { input, reason } => Error::Arg {
                        flag: "--tls",
                        value: format!("{input:?}"),
                        problem: reason,
                    },
                    other => other,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let sni = args.sni.as_deref().map(parse_sni).transpose()?;
        let mut anchors = Anchors::default();
        for path in &args.ca {
            anchors
                .private
                .extend(pem::anchors(path).map_err(|e| flag_error("--ca", path, e))?);
        }
        let catalogue = load_catalogue(args.baseline.as_deref())?;
        if targets.is_empty() {
            return Err(Error::NothingToScan {
                hint: "give at least one --tls HOST:PORT",
            });
        }
        let probes = targets
            .into_iter()
            .map(|target| {
                let probe = TlsProbeConfig {
                    target,
                    sni: sni.clone(),
                    anchors: anchors.clone(),
                }
                .build();
                Arc::new(probe) as Arc<dyn Probe>
            })
            .collect();
        Ok(ScanPlan {
            probes,
            catalogue: Arc::new(catalogue),
            limits: Limits::with_timeout(Duration::from_secs(args.timeout)),
            format: args.format,
            fail_on: args.fail_on,
        })
    }

    /// Runs the plan and returns its report.
    pub async fn run(&self) -> Report {
        let ctx = ProbeContext {
            catalogue: self.catalogue.clone(),
            now: scan::scan_time(),
            limits: self.limits,
            resolver: Resolver::system(),
        };
        let findings = scan::run(&self.probes, &ctx, scan::DEFAULT_CONCURRENCY).await;
        scan::report(&ctx, scan::local_host_name(), findings)
    }
}

fn parse_sni(text: &str) -> Result<DnsName<'static>> {
    let problem = if text.parse::<std::net::IpAddr>().is_ok() {
        "SNI carries a DNS name, not an IP address"
    } else {
        match DnsName::try_from(text.to_ascii_lowercase()) {
            Ok(name) => return Ok(name),
            Err(_) => "is not a valid DNS name",
        }
    };
    Err(Error::Arg {
        flag: "--sni",
        value: format!("{text:?}"),
        problem: problem.into(),
    })
}

fn flag_error(flag: &'static str, path: &Path, e: Error) -> Error {
    match e {
        Error::Pem { problem, .. } => Error::Arg {
            flag,
            value: path.display().to_string(),
            problem,
        },
        other => other,
    }
}

/// The embedded baseline, or the one in `dir`.
pub fn load_catalogue(dir: Option<&Path>) -> Result<Catalogue> {
    match dir {
        None => Ok(Catalogue::embedded()?),
        Some(dir) if !dir.is_dir() => Err(Error::Arg {
            flag: "--baseline",
            value: dir.display().to_string(),
            problem: "is not a folder".into(),
        }),
        Some(dir) => Catalogue::load_dir(dir).map_err(|source| Error::BaselineDir {
            dir: dir.to_owned(),
            source: Box::new(source),
        }),
    }
}
