//! The daemon's config file: parsed (serde, `deny_unknown_fields`), then
//! validated — files exist and parse, the URL is https, numbers are in
//! range — all before any socket is opened. Every error names the file,
//! the line and the key.

mod discovery;
mod domains;
mod packages;
mod raw;
mod spool;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::DnsName;
use toml::Spanned;
use trustwatch_rules::toml_location;
use trustwatch_rules::Catalogue;

use self::raw::RawConfig;
use crate::discover::DiscoveryPlan;
use crate::domains::DomainPlan;
use crate::error::{Error, Result};
use crate::identity::CertInfo;
use crate::patching::PackagePlan;
use crate::pem;
use crate::probe::http::HttpCheck;
use crate::probe::tls::{Anchors, TlsProbeConfig};
use crate::probe::Limits;
use crate::scan::{self, Schedule};
use crate::starttls::StarttlsChoice;
use crate::target::Target;
use crate::upload::Collector;

pub use self::spool::SpoolConfig;

pub const INTERVAL_SECS: std::ops::RangeInclusive<i64> = 10..=604_800;
pub const DEFAULT_INTERVAL_SECS: i64 = 3600;
pub const TIMEOUT_SECS: std::ops::RangeInclusive<i64> = 1..=120;
pub const DEFAULT_TIMEOUT_SECS: i64 = 10;

/// A validated daemon configuration.
#[derive(Debug)]
pub struct Config {
    pub file: PathBuf,
    /// Goes into each report's `vantage`; identity comes from the client
    /// certificate, not from this.
    pub agent_name: Option<String>,
    pub collector: Collector,
    pub interval: Duration,
    pub limits: Limits,
    /// Probes at once, overall and per host (`[scan] concurrency`,
    /// `per_host`).
    pub schedule: Schedule,
    pub catalogue: Arc<Catalogue>,
    pub tls: Vec<TlsProbeConfig>,
    /// `[[discovery]]` scans, each validated.
    pub discovery: Vec<DiscoveryPlan>,
    /// The `[packages]` scan of this system, its data loaded.
    pub packages: Option<PackagePlan>,
    /// The `[domains]` checks.
    pub domains: Option<DomainPlan>,
    /// The files of the agent's identity, which renewal replaces.
    pub identity_files: IdentityFiles,
    /// The name the agent was enrolled as: its certificate's CN (else
    /// `[agent] name`, else the host name). Stamped on every report.
    pub enrolled_name: String,
    /// The client certificate's name and lifetime (`None` if it does not
    /// parse as X.509, which the TLS library then refuses anyway).
    pub cert: Option<CertInfo>,
    /// `[spool]`.
    pub spool: SpoolConfig,
}

/// Where the collector's CA and the agent's certificate and key live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Config {
    pub fn load(file: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(file).map_err(|source| Error::ConfigRead {
            file: file.to_owned(),
            source,
        })?;
        Config::parse(file, &text)
    }

    /// Parses and validates `text`, read from `file` (used for messages and
    /// to resolve relative paths).
    pub fn parse(file: &Path, text: &str) -> Result<Config> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let (line, key) = toml_location::of_error(text, &e);
            Error::Config {
                file: file.to_owned(),
                line,
                key,
                problem: e.message().trim().to_owned(),
            }
        })?;
        Validator { file, text }.validate(raw)
    }
}

struct Validator<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Validator<'_> {
    fn error<T>(
        &self,
        at: &Spanned<T>,
        key: impl Into<String>,
        problem: impl Into<String>,
    ) -> Error {
        self.error_at(at.span(), key, problem)
    }

    fn error_at(
        &self,
        span: std::ops::Range<usize>,
        key: impl Into<String>,
        problem: impl Into<String>,
    ) -> Error {
        Error::Config {
            file: self.file.to_owned(),
            line: toml_location::line_of(self.text, span.start),
            key: key.into(),
            problem: problem.into(),
        }
    }

    /// Relative paths are relative to the config file's folder, so a
    /// config and its certificates can be moved together.
    fn path(&self, value: &Spanned<String>) -> PathBuf {
        let dir = self.file.parent().unwrap_or(Path::new("."));
        dir.join(value.get_ref())
    }

    fn pem_error(&self, at: &Spanned<String>, key: &str, e: Error) -> Error {
        match e {
            Error::Pem { path, problem } => {
                self.error(at, key, format!("{}: {problem}", path.display()))
            }
            other => self.error(at, key, other.to_string()),
        }
    }

    fn range(
        &self,
        value: Option<&Spanned<i64>>,
        key: &str,
        range: &std::ops::RangeInclusive<i64>,
        default: i64,
    ) -> Result<u64> {
        match value {
            None => Ok(default as u64),
            Some(v) if range.contains(v.get_ref()) => Ok(*v.get_ref() as u64),
            Some(v) => Err(self.error(
                v,
                key,
                format!(
                    "must be from {} to {}, not {}",
                    range.start(),
                    range.end(),
                    v.get_ref()
                ),
            )),
        }
    }

    fn validate(&self, raw: RawConfig) -> Result<Config> {
        let c = &raw.collector;
        let ca_path = self.path(&c.ca);
        let roots =
            pem::certificates(&ca_path).map_err(|e| self.pem_error(&c.ca, "collector.ca", e))?;
        let cert_path = self.path(&c.cert);
        // A renewal cut short by a crash is finished (or undone) before the
        // identity is read, so the certificate and key read here belong
        // together.
        crate::renew::finish_pending(&cert_path, &self.path(&c.key));
        let cert = pem::certificates(&cert_path)
            .map_err(|e| self.pem_error(&c.cert, "collector.cert", e))?;
        let cert_info = cert.first().and_then(CertInfo::of);
        let key_path = self.path(&c.key);
        let key =
            pem::private_key(&key_path).map_err(|e| self.pem_error(&c.key, "collector.key", e))?;
        let collector = Collector::new(c.url.get_ref(), roots, cert, key).map_err(|e| match e {
            Error::Invalid { what, problem } => {
                let at = match what {
                    "ca" => &c.ca,
                    "cert" => &c.cert,
                    "key" => &c.key,
                    _ => &c.url,
                };
                self.error(at, format!("collector.{what}"), problem)
            }
            other => self.error(&c.url, "collector", other.to_string()),
        })?;

        let interval = self.range(
            raw.schedule.interval_secs.as_ref(),
            "schedule.interval_secs",
            &INTERVAL_SECS,
            DEFAULT_INTERVAL_SECS,
        )?;
        let timeout = self.range(
            raw.scan.timeout_secs.as_ref(),
            "scan.timeout_secs",
            &TIMEOUT_SECS,
            DEFAULT_TIMEOUT_SECS,
        )?;

        let concurrency = self.range(
            raw.scan.concurrency.as_ref(),
            "scan.concurrency",
            &as_i64(&scan::CONCURRENCY),
            scan::DEFAULT_CONCURRENCY as i64,
        )?;
        let per_host = self.range(
            raw.scan.per_host.as_ref(),
            "scan.per_host",
            &as_i64(&scan::PER_HOST),
            scan::DEFAULT_PER_HOST as i64,
        )?;

        let catalogue = match &raw.scan.baseline {
            None => Catalogue::embedded()?,
            Some(dir) => Catalogue::load_dir(&self.path(dir))
                .map_err(|e| self.error(dir, "scan.baseline", e.to_string()))?,
        };

        let mut tls = Vec::with_capacity(raw.tls.len());
        for (i, entry) in raw.tls.iter().enumerate() {
            let target = Target::parse(entry.target.get_ref()).map_err(|e| match e {
                Error::Target { input, reason } => self.error(
                    &entry.target,
                    format!("tls[{i}].target"),
                    format!("{input:?}: {reason}"),
                ),
                other => other,
            })?;
            let sni = match &entry.sni {
                None => None,
                Some(s) => Some(
                    DnsName::try_from(s.get_ref().to_ascii_lowercase())
                        .ok()
                        .filter(|_| s.get_ref().parse::<std::net::IpAddr>().is_err())
                        .ok_or_else(|| {
                            self.error(
                                s,
                                format!("tls[{i}].sni"),
                                format!("{:?} is not a DNS name", s.get_ref()),
                            )
                        })?,
                ),
            };
            let mut anchors = Anchors::default();
            for ca in &entry.ca {
                let found = pem::anchors(&self.path(ca))
                    .map_err(|e| self.pem_error(ca, &format!("tls[{i}].ca"), e))?;
                anchors.private.extend(found);
            }
            let starttls = match &entry.starttls {
                None => StarttlsChoice::ByPort,
                Some(s) => s
                    .get_ref()
                    .parse::<StarttlsChoice>()
                    .map_err(|e| self.error(s, format!("tls[{i}].starttls"), e.to_string()))?,
            };
            let plain_port = match &entry.http_port {
                None => None,
                Some(p) => Some(
                    u16::try_from(*p.get_ref())
                        .ok()
                        .filter(|&port| port != 0)
                        .ok_or_else(|| {
                            self.error(
                                p,
                                format!("tls[{i}].http_port"),
                                "must be a port from 1 to 65535",
                            )
                        })?,
                ),
            };
            let port = target.port();
            let starttls = starttls.resolve(port);
            let http = HttpCheck::for_endpoint(
                port,
                starttls.is_some(),
                entry.http || plain_port.is_some(),
                plain_port,
            );
            tls.push(TlsProbeConfig {
                target,
                sni,
                anchors,
                starttls,
                http,
            });
        }
        let discovery = raw
            .discovery
            .iter()
            .enumerate()
            .map(|(i, d)| self.discovery(i, d))
            .collect::<Result<Vec<_>>>()?;
        let packages = raw
            .packages
            .as_ref()
            .map(|p| self.packages(p))
            .transpose()?;
        let domains = raw.domains.as_ref().map(|d| self.domains(d)).transpose()?;
        // A config with nothing to scan is valid: an enrolled agent may
        // scan only what its site's central policy adds. The daemon says so
        // in its log each cycle that finds nothing to scan.
        let spool = self.spool(&raw.spool)?;
        let agent_name = raw
            .agent
            .name
            .map(Spanned::into_inner)
            .filter(|n| !n.trim().is_empty());
        let enrolled_name = cert_info
            .as_ref()
            .and_then(|c| c.common_name.clone())
            .or_else(|| agent_name.clone())
            .or_else(scan::local_host_name)
            .unwrap_or_else(|| "agent".into());
        Ok(Config {
            file: self.file.to_owned(),
            agent_name,
            collector,
            interval: Duration::from_secs(interval),
            limits: Limits::with_timeout(Duration::from_secs(timeout)),
            schedule: Schedule {
                concurrency: concurrency as usize,
                per_host: per_host as usize,
            },
            catalogue: Arc::new(catalogue),
            tls,
            discovery,
            packages,
            domains,
            identity_files: IdentityFiles {
                ca: ca_path,
                cert: cert_path,
                key: key_path,
            },
            enrolled_name,
            cert: cert_info,
            spool,
        })
    }
}

fn as_i64(range: &std::ops::RangeInclusive<usize>) -> std::ops::RangeInclusive<i64> {
    *range.start() as i64..=*range.end() as i64
}

#[cfg(test)]
mod tests;
