//! The command line. Turning `scan`'s arguments into a validated plan,
//! before any socket is opened, is in [`plan`].

mod plan;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use trustwatch_rules::Severity;

pub use self::plan::{load_catalogue, ScanPlan};
use crate::output::Format;
use crate::starttls::StarttlsChoice;

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
    /// A file of TLS endpoints, one `HOST:PORT [sni=NAME] [starttls=PROTO]
    /// [http | http=PORT]` a line (`#` comments); scanned after the --tls
    /// ones; repeatable.
    #[arg(long = "targets", value_name = "FILE")]
    pub targets: Vec<PathBuf>,
    /// Server name to send and check the certificate against, instead of the host.
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Upgrade to TLS with STARTTLS first: smtp, imap, pop3, ftp, ldap,
    /// postgres, or none [default: by port: 25 and 587 smtp, 143 imap,
    /// 110 pop3, 21 ftp, 389 ldap, 5432 postgres].
    #[arg(long, value_name = "PROTO")]
    pub starttls: Option<StarttlsChoice>,
    /// Treat every endpoint as HTTPS and check its web server (HTTP-001…005);
    /// ports 443 and 8443 are checked without it. Never over STARTTLS.
    #[arg(long)]
    pub http: bool,
    /// The plain-HTTP port of the same hosts, checked for HTTP-001
    /// [default: 80 for an endpoint on 443, none otherwise].
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub http_port: Option<u16>,
    /// A PEM file of extra trust anchors (a trust's own CA); repeatable.
    #[arg(long = "ca", value_name = "PEM")]
    pub ca: Vec<PathBuf>,
    /// Seconds allowed for each connection attempt.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub timeout: u64,
    /// Endpoints scanned at once, overall.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Endpoints scanned at once on one host (an IP address, or a name as
    /// written); each scan of an endpoint opens one connection at a time.
    #[arg(long = "per-host", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub per_host: u16,
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
