//! The command line. Turning `scan`'s arguments into a validated plan,
//! before any socket is opened, is in [`plan`].

mod plan;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use trustwatch_rules::evaluate::Exposure;
use trustwatch_rules::Severity;

pub use self::plan::{load_catalogue, ScanPlan};
use crate::discover::Rate;
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
    Scan(Box<ScanArgs>),
    /// Run as a daemon: scan on a schedule and upload reports to the collector.
    Run(RunArgs),
    /// Join a collector with an enrolment token: make this agent's key,
    /// get its certificate, and write agent.key, agent.crt, ca.crt and (if
    /// absent) agent.toml.
    Enrol(EnrolArgs),
    /// Manage the offline advisory index that `scan --packages` matches
    /// installed packages against.
    #[command(subcommand)]
    Advisories(AdvisoriesCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdvisoriesCommand {
    /// Import OSV advisories (records, folders, or the per-ecosystem zip
    /// exports OSV publishes) into the index, creating it if needed; a
    /// record already there is replaced by a newer one.
    Import(ImportArgs),
    /// Show what an index holds: data date, records per ecosystem, sources.
    Info(IndexArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// OSV data to import: a .json record, a .zip export, or a folder of
    /// them; several may be given.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub index: IndexArgs,
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// The index file.
    #[arg(long, value_name = "FILE", default_value = "advisories.db")]
    pub index: PathBuf,
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
    /// Seconds allowed for each connection attempt of the TLS probe, for
    /// each step of identifying a discovered service, and for each DNS
    /// question of a domain scan [default: 10 for TLS, 5 for discovery,
    /// 3 for DNS].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=120))]
    pub timeout: Option<u64>,
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
    #[command(flatten)]
    pub discovery: DiscoveryArgs,
    #[command(flatten)]
    pub packages: PackageArgs,
    #[command(flatten)]
    pub domains: DomainArgs,
}

/// The trust's domains (`--domain`), checked against the MAIL rules.
#[derive(Debug, Args, Default)]
pub struct DomainArgs {
    /// Domains to check for SPF, DMARC, DKIM, TLS-RPT and mail lock-down;
    /// several after one flag, comma-separated, or repeated.
    #[arg(long = "domain", value_name = "DOMAIN", num_args = 1.., value_delimiter = ',')]
    pub domains: Vec<String>,
    /// The DNS resolver to ask, ADDR:PORT [default: the system's].
    #[arg(long, value_name = "ADDR:PORT")]
    pub resolver: Option<String>,
    /// DKIM selectors to look for before the common ones; repeatable.
    #[arg(long = "dkim-selector", value_name = "NAME", num_args = 1.., value_delimiter = ',')]
    pub dkim_selectors: Vec<String>,
    /// Domains that send no mail, checked for lock-down (MAIL-011); each
    /// is also checked like a --domain.
    #[arg(long = "non-sending", value_name = "DOMAIN", num_args = 1.., value_delimiter = ',')]
    pub non_sending: Vec<String>,
    /// Domains checked at once [default: 16].
    #[arg(long = "domain-concurrency", value_name = "N")]
    pub domain_concurrency: Option<usize>,
    /// The trust's list of DCB1596-accredited domains (one a line, `#`
    /// comments), for MAIL-013.
    #[arg(long, value_name = "FILE")]
    pub accredited: Option<PathBuf>,
    /// DNSSEC trust anchors (DNSKEY records in zone-file form) for signed
    /// zones not chained to the root, such as a trust's internal zones
    /// [default: the root's].
    #[arg(long = "dnssec-anchors", value_name = "FILE")]
    pub dnssec_anchors: Option<PathBuf>,
}

/// A patch-level scan of the installed system (`--packages`), checked
/// against OS-001 and PATCH-001…004.
#[derive(Debug, Args, Default)]
pub struct PackageArgs {
    /// Assess installed packages, the OS's support status, pending reboots
    /// and automatic updates.
    #[arg(long)]
    pub packages: bool,
    /// A mounted or extracted root filesystem to assess instead of the
    /// running system.
    #[arg(long, value_name = "DIR", requires = "packages")]
    pub root: Option<PathBuf>,
    /// The advisory index made by `advisories import`, OSV data to import
    /// for this scan only (a record, a folder or a zip export), or `builtin`
    /// for the small curated bundle in the agent.
    #[arg(long, value_name = "PATH", requires = "packages")]
    pub advisories: Option<String>,
    /// A lifecycle table (TOML) to judge OS-001 by instead of the embedded
    /// one.
    #[arg(long, value_name = "FILE", requires = "packages")]
    pub lifecycle: Option<PathBuf>,
    /// CVE ids from NHS England high-severity alerts and known-exploited
    /// lists, for PATCH-002: a text file (one CVE a line) or CISA's KEV
    /// JSON catalogue.
    #[arg(long, value_name = "FILE", requires = "packages")]
    pub alerts: Option<PathBuf>,
}

/// Discovery of listening services (`--hosts`), checked against the SVC,
/// SSH, SMB, RDP, SNMP and HTTP-006/007 rules.
#[derive(Debug, Args, Default)]
pub struct DiscoveryArgs {
    /// Networks, addresses or host names to discover services on
    /// (`10.20.0.0/24`, `10.20.1.7`, `pacs01.trust.nhs.uk`); several after
    /// one flag, comma-separated, or repeated. Only these are touched.
    #[arg(long = "hosts", value_name = "CIDR|HOST", num_args = 1..)]
    pub hosts: Vec<String>,
    /// Ports to sweep: `22,80,8000-8100`, `T:1-1024,U:161`, `all`, or
    /// `baseline` (the ports the baseline's rules name, and UDP 161).
    #[arg(long, value_name = "SPEC", default_value = "baseline")]
    pub ports: String,
    /// Networks, addresses or names never to touch; always win over --hosts.
    #[arg(long = "exclude", value_name = "CIDR|HOST", num_args = 1..)]
    pub exclude: Vec<String>,
    /// Ports never to touch (same form as --ports); always win.
    #[arg(long = "exclude-ports", value_name = "SPEC")]
    pub exclude_ports: Option<String>,
    /// New connections per second, overall, or `unlimited` [default: 1000].
    #[arg(long, value_name = "N")]
    pub rate: Option<Rate>,
    /// New connections per second to any one host, or `unlimited`
    /// [default: 200].
    #[arg(long = "host-rate", value_name = "N")]
    pub host_rate: Option<Rate>,
    /// For ranges of medical and other fragile devices: one connection at a
    /// time per host with a pause between them, and identification from
    /// what a service volunteers only (nothing is sent).
    #[arg(long)]
    pub gentle: bool,
    /// Where this scan runs from: `internal` (inside the trust network) or
    /// `external` (the internet's side); decides which rules apply and
    /// their severity.
    #[arg(long, value_name = "SIDE", default_value = "internal")]
    pub exposure: Exposure,
    /// The approved-services register (TOML, `[[approved]]` tables) that
    /// SVC-009 checks every open port against.
    #[arg(long, value_name = "FILE")]
    pub approved: Option<PathBuf>,
    /// Allow public address space in --hosts (refused by default).
    #[arg(long = "allow-public")]
    pub allow_public: bool,
    /// The most addresses the scope may hold [default: 65536].
    #[arg(long = "max-addresses", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_addresses: Option<u64>,
    /// Probe printer ports 9100-9107 beyond the connect (off by default: a
    /// raw printer port prints what it is sent).
    #[arg(long = "probe-printers")]
    pub probe_printers: bool,
    /// Milliseconds allowed for each connect of the sweep, at most; the
    /// sweep shortens it to what round trips show [default: 2000].
    #[arg(long = "connect-timeout", value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=30_000))]
    pub connect_timeout: Option<u64>,
    /// Called AE title for the DICOM association test; repeatable, tried in
    /// order [default: ANY-SCP].
    #[arg(long = "dicom-ae", value_name = "TITLE")]
    pub dicom_ae: Vec<String>,
    /// SNMP community to try; repeatable [default: public].
    #[arg(long = "snmp-community", value_name = "NAME")]
    pub snmp_community: Vec<String>,
}

#[derive(Debug, Args)]
pub struct EnrolArgs {
    /// The token `trustwatch-collector token create` printed (`twe1_…`).
    #[arg(value_name = "TOKEN")]
    pub token: String,
    /// The name to enrol as: 1 to 64 letters, digits, '.', '_' or '-'
    /// [default: this host's name].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The folder to write the key, certificates and agent.toml into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
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
