//! The daemon config file as written, before validation. The key names are
//! a contract: the collector's `demo` command generates this file.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub agent: RawAgent,
    pub collector: RawCollector,
    #[serde(default)]
    pub schedule: RawSchedule,
    #[serde(default)]
    pub scan: RawScan,
    #[serde(default)]
    pub tls: Vec<RawTls>,
    #[serde(default)]
    pub discovery: Vec<RawDiscovery>,
    pub packages: Option<Spanned<RawPackages>>,
    pub domains: Option<Spanned<RawDomains>>,
    #[serde(default)]
    pub spool: RawSpool,
}

/// The `[spool]` table: where reports wait for the collector, and how much
/// may wait.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpool {
    /// `spool` beside the config file when absent.
    pub dir: Option<Spanned<String>>,
    pub max_bytes: Option<Spanned<i64>>,
    pub max_age_days: Option<Spanned<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAgent {
    pub name: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCollector {
    pub url: Spanned<String>,
    pub ca: Spanned<String>,
    pub cert: Spanned<String>,
    pub key: Spanned<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    pub interval_secs: Option<Spanned<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScan {
    pub timeout_secs: Option<Spanned<i64>>,
    pub baseline: Option<Spanned<String>>,
    pub concurrency: Option<Spanned<i64>>,
    pub per_host: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTls {
    pub target: Spanned<String>,
    pub sni: Option<Spanned<String>>,
    #[serde(default)]
    pub ca: Vec<Spanned<String>>,
    /// `smtp`, `imap`, …, or `none`; by port when absent.
    pub starttls: Option<Spanned<String>>,
    /// Check the web server behind this HTTPS endpoint (HTTP-001…005);
    /// ports 443 and 8443 are checked without it.
    #[serde(default)]
    pub http: bool,
    /// The plain-HTTP port of the same host for HTTP-001 (80 for 443).
    pub http_port: Option<Spanned<i64>>,
}

/// One `[[discovery]]` table: a range to sweep and identify services on,
/// with its own limits (a device VLAN gentle, a server range not).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDiscovery {
    pub hosts: Spanned<Vec<String>>,
    #[serde(default)]
    pub exclude: Option<Spanned<Vec<String>>>,
    pub ports: Option<Spanned<String>>,
    pub exclude_ports: Option<Spanned<String>>,
    pub rate: Option<Spanned<i64>>,
    pub host_rate: Option<Spanned<i64>>,
    #[serde(default)]
    pub gentle: bool,
    /// `internal` (default) or `external`.
    pub exposure: Option<Spanned<String>>,
    #[serde(default)]
    pub allow_public: bool,
    pub max_addresses: Option<Spanned<i64>>,
    #[serde(default)]
    pub probe_printers: bool,
    pub connect_timeout_ms: Option<Spanned<i64>>,
    pub timeout_secs: Option<Spanned<i64>>,
    pub dicom_ae_titles: Option<Spanned<Vec<String>>>,
    pub snmp_communities: Option<Spanned<Vec<String>>>,
    /// The approved-services register file for SVC-009.
    pub approved: Option<Spanned<String>>,
}

/// The `[packages]` table: assess this system's patch level every cycle.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPackages {
    /// The advisory index (or OSV data, or `builtin`).
    pub advisories: Spanned<String>,
    /// A root filesystem to assess instead of the running system.
    pub root: Option<Spanned<String>>,
    pub lifecycle: Option<Spanned<String>>,
    pub alerts: Option<Spanned<String>>,
}

/// The `[domains]` table: the trust's domains, checked every cycle.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDomains {
    #[serde(default)]
    pub domains: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub non_sending: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub dkim_selectors: Option<Spanned<Vec<String>>>,
    /// `ADDR:PORT`; the system's resolver when absent.
    pub resolver: Option<Spanned<String>>,
    pub concurrency: Option<Spanned<i64>>,
    /// The list of DCB1596-accredited domains for MAIL-013.
    pub accredited: Option<Spanned<String>>,
    /// Extra trust anchors (PEM) for MX and MTA-STS certificates.
    #[serde(default)]
    pub ca: Vec<Spanned<String>>,
    /// DNSSEC trust anchors (DNSKEY records) for zones not chained to the
    /// root.
    pub dnssec_anchors: Option<Spanned<String>>,
}
