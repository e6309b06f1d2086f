//! `scan`'s arguments turned into a validated plan: targets (flags and
//! files), names, STARTTLS, trust anchors and the baseline all checked
//! before any socket is opened.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::DnsName;
use trustwatch_rules::{Catalogue, Report, Severity};

use super::{DiscoveryArgs, DomainArgs, PackageArgs, ScanArgs};
use crate::discover::{self, DiscoveryInput, DiscoveryPlan, Field, PlanError};
use crate::domains::{DomainField, DomainInput, DomainPlan};
use crate::error::{Error, Result};
use crate::net::Resolver;
use crate::output::Format;
use crate::patching::{AdvisoryInput, PackageField, PackageInput, PackagePlan};
use crate::pem;
use crate::probe::http::HttpCheck;
use crate::probe::tls::{Anchors, TlsProbeConfig};
use crate::probe::{Limits, Probe, ProbeContext};
use crate::scan::{self, Schedule};
use crate::starttls::StarttlsChoice;
use crate::target::{list, sni_name, Target};
use trustwatch_rules::observe::ServiceRegister;

/// A validated `scan`: everything checked, nothing connected yet.
#[derive(Debug)]
pub struct ScanPlan {
    /// One probe per endpoint, in input order: `--tls` flags, then each
    /// `--targets` file line by line.
    pub probes: Vec<Arc<dyn Probe>>,
    pub catalogue: Arc<Catalogue>,
    pub limits: Limits,
    pub schedule: Schedule,
    pub format: Option<Format>,
    pub fail_on: Severity,
    /// The discovery scan of `--hosts`, when asked for.
    pub discovery: Option<DiscoveryPlan>,
    /// The patch-level scan of `--packages`, when asked for.
    pub packages: Option<PackagePlan>,
    /// The domain checks of `--domain`, when asked for.
    pub domains: Option<DomainPlan>,
}

impl ScanPlan {
    pub fn from_args(args: &ScanArgs) -> Result<ScanPlan> {
        let mut entries = args
            .tls
            .iter()
            .map(|t| {
                let target = Target::parse(t).map_err(|e| match e {
                    Error::Target { input, reason } => Error::Arg {
                        flag: "--tls",
                        value: format!("{input:?}"),
                        problem: reason,
                    },
                    other => other,
                })?;
                Ok(list::Entry {
                    target,
                    sni: None,
                    starttls: None,
                    http: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        for file in &args.targets {
            entries.extend(list::load(file)?);
        }
        let sni = args.sni.as_deref().map(parse_sni).transpose()?;
        let starttls = args.starttls.unwrap_or_default();
        let mut anchors = Anchors::default();
        for path in &args.ca {
            anchors
                .private
                .extend(pem::anchors(path).map_err(|e| flag_error("--ca", path, e))?);
        }
        let catalogue = load_catalogue(args.baseline.as_deref())?;
        let discovery = if args.discovery.hosts.is_empty() {
            None
        } else {
            Some(discovery_plan(&args.discovery, args.timeout)?)
        };
        let packages = package_plan(&args.packages)?;
        let domains = domain_plan(&args.domains, args.timeout, &anchors)?;
        if entries.is_empty() && discovery.is_none() && packages.is_none() && domains.is_none() {
            return Err(Error::NothingToScan {
                hint: "give at least one --tls HOST:PORT, a --targets file with a target in it, --hosts to discover services on, --packages, or --domain",
            });
        }
        let probes = entries
            .into_iter()
            .map(|entry| {
                let web = WebDefaults {
                    forced: args.http,
                    plain_port: args.http_port,
                };
                let probe = probe_config(entry, sni.as_ref(), starttls, web, &anchors).build();
                Arc::new(probe) as Arc<dyn Probe>
            })
            .collect();
        Ok(ScanPlan {
            probes,
            catalogue: Arc::new(catalogue),
            limits: Limits::with_timeout(Duration::from_secs(
                args.timeout.unwrap_or(TLS_TIMEOUT_SECS),
            )),
            schedule: Schedule {
                concurrency: usize::from(args.concurrency),
                per_host: usize::from(args.per_host),
            },
            format: args.format,
            fail_on: args.fail_on,
            discovery,
            packages,
            domains,
        })
    }

    /// Runs the plan, calling `on_done` as each endpoint's scan finishes
    /// and `on_discovery` as the discovery scan moves on, and returns its
    /// report: TLS findings in input order, then discovery's by host. Fails
    /// only when a discovery host name does not resolve or resolves outside
    /// the allowed scope.
    pub async fn run(
        &self,
        on_done: &mut (dyn FnMut() + Send),
        on_discovery: &(dyn Fn(discover::Progress) + Sync),
        on_domain: &(dyn Fn() + Sync),
    ) -> Result<Report> {
        let ctx = ProbeContext {
            catalogue: self.catalogue.clone(),
            now: scan::scan_time(),
            limits: self.limits,
            resolver: Resolver::system(),
        };
        let mut findings = scan::run(&self.probes, &ctx, self.schedule, on_done).await;
        let mut services = Vec::new();
        if let Some(plan) = &self.discovery {
            let found = plan
                .run(&self.catalogue, &ctx.resolver, on_discovery)
                .await
                .map_err(|e| discovery_error(e, &plan_flags()))?;
            findings.extend(found.findings);
            services = found.services;
        }
        let mut data_sources = Vec::new();
        if let Some(plan) = &self.packages {
            let found = plan.run(&self.catalogue, ctx.now);
            findings.extend(found.findings);
            data_sources = found.data_sources;
        }
        if let Some(plan) = &self.domains {
            findings.extend(plan.run(&self.catalogue, ctx.now, on_domain).await);
        }
        let mut report = scan::report(&ctx, scan::local_host_name(), findings);
        report.services = services;
        report.data_sources = data_sources;
        Ok(report)
    }
}

/// The TLS probe's timeout when `--timeout` is not given.
const TLS_TIMEOUT_SECS: u64 = 10;
/// Discovery's identification timeout when `--timeout` is not given.
const DISCOVERY_TIMEOUT_SECS: u64 = 5;

/// `--hosts` and its companions, validated.
fn discovery_plan(args: &DiscoveryArgs, timeout: Option<u64>) -> Result<DiscoveryPlan> {
    let register = match &args.approved {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::Arg {
                flag: "--approved",
                value: path.display().to_string(),
                problem: format!("cannot be read: {e}"),
            })?;
            // The register's own error names its file, line and key.
            Some(ServiceRegister::from_toml_str(&text, path)?)
        }
    };
    let input = DiscoveryInput {
        hosts: args.hosts.clone(),
        exclude: args.exclude.clone(),
        ports: Some(args.ports.clone()),
        exclude_ports: args.exclude_ports.clone(),
        rate: args.rate,
        host_rate: args.host_rate,
        gentle: args.gentle,
        allow_public: args.allow_public,
        max_addresses: args.max_addresses,
        probe_printers: args.probe_printers,
        exposure: args.exposure,
        register,
        timeout: Some(Duration::from_secs(
            timeout.unwrap_or(DISCOVERY_TIMEOUT_SECS),
        )),
        connect_timeout: args.connect_timeout.map(Duration::from_millis),
        dicom_ae_titles: args.dicom_ae.clone(),
        snmp_communities: args.snmp_community.clone(),
    };
    DiscoveryPlan::from_input(input).map_err(|e| discovery_error(e, &plan_flags()))
}

/// `--packages` and its companions, validated and their data loaded.
fn package_plan(args: &PackageArgs) -> Result<Option<PackagePlan>> {
    if !args.packages {
        return Ok(None);
    }
    let Some(advisories) = &args.advisories else {
        return Err(Error::Invalid {
            what: "--packages",
            problem: "needs --advisories: an index made by `trustwatch-agent advisories import`, OSV data, or `builtin`".into(),
        });
    };
    let input = PackageInput {
        root: args.root.clone(),
        advisories: AdvisoryInput::parse(advisories),
        lifecycle: args.lifecycle.clone(),
        alerts: args.alerts.clone(),
    };
    PackagePlan::from_input(input)
        .map(Some)
        .map_err(|e| Error::Invalid {
            what: match e.field {
                PackageField::Root => "--root",
                PackageField::Advisories => "--advisories",
                PackageField::Lifecycle => "--lifecycle",
                PackageField::Alerts => "--alerts",
            },
            problem: e.problem,
        })
}

/// `--domain` and its companions, validated.
fn domain_plan(
    args: &DomainArgs,
    timeout: Option<u64>,
    anchors: &Anchors,
) -> Result<Option<DomainPlan>> {
    if args.domains.is_empty() && args.non_sending.is_empty() {
        return Ok(None);
    }
    let input = DomainInput {
        domains: args.domains.clone(),
        non_sending: args.non_sending.clone(),
        dkim_selectors: args.dkim_selectors.clone(),
        resolver: args.resolver.clone(),
        concurrency: args.domain_concurrency,
        timeout: timeout.map(Duration::from_secs),
        accredited: args.accredited.clone(),
        anchors: anchors.clone(),
        dnssec_anchors: args.dnssec_anchors.clone(),
    };
    DomainPlan::from_input(input)
        .map(Some)
        .map_err(|e| Error::Invalid {
            what: match e.field {
                DomainField::Domain => "--domain",
                DomainField::NonSending => "--non-sending",
                DomainField::DkimSelector => "--dkim-selector",
                DomainField::Resolver => "--resolver",
                DomainField::Concurrency => "--domain-concurrency",
                DomainField::Accredited => "--accredited",
                DomainField::DnssecAnchors => "--dnssec-anchors",
            },
            problem: e.problem,
        })
}

/// The command-line flag behind each discovery setting.
fn plan_flags() -> impl Fn(Field) -> &'static str {
    |field| match field {
        Field::Hosts => "--hosts",
        Field::Exclude => "--exclude",
        Field::Ports => "--ports",
        Field::ExcludePorts => "--exclude-ports",
        Field::Rate => "--rate",
        Field::HostRate => "--host-rate",
        Field::MaxAddresses => "--max-addresses",
        Field::ConnectTimeout => "--connect-timeout",
        Field::DicomAeTitle => "--dicom-ae",
        Field::SnmpCommunity => "--snmp-community",
    }
}

fn discovery_error(e: PlanError, flags: &impl Fn(Field) -> &'static str) -> Error {
    Error::Invalid {
        what: flags(e.field),
        problem: e.problem,
    }
}

/// The command line's `--http` and `--http-port`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WebDefaults {
    pub forced: bool,
    pub plain_port: Option<u16>,
}

/// A line's own `sni=`, `starttls=` and `http` win over the command line's.
pub(crate) fn probe_config(
    entry: list::Entry,
    sni: Option<&DnsName<'static>>,
    starttls: StarttlsChoice,
    web: WebDefaults,
    anchors: &Anchors,
) -> TlsProbeConfig {
    let port = entry.target.port();
    let starttls = entry.starttls.unwrap_or(starttls).resolve(port);
    let forced = web.forced || entry.http.is_some();
    let plain_port = entry.http.and_then(|h| h.plain_port).or(web.plain_port);
    TlsProbeConfig {
        target: entry.target,
        sni: entry.sni.or_else(|| sni.cloned()),
        anchors: anchors.clone(),
        starttls,
        http: HttpCheck::for_endpoint(port, starttls.is_some(), forced, plain_port),
    }
}

fn parse_sni(text: &str) -> Result<DnsName<'static>> {
    sni_name(text).map_err(|problem| Error::Arg {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::starttls::Starttls;

    fn entry(target: &str, starttls: Option<StarttlsChoice>) -> list::Entry {
        list::Entry {
            http: None,
            target: Target::parse(target).unwrap(),
            sni: None,
            starttls,
        }
    }

    #[test]
    fn http_check_follows_port_line_and_flag() {
        let a = Anchors::default();
        let by_port = StarttlsChoice::ByPort;
        let none = WebDefaults::default();
        let c = probe_config(entry("h.example:443", None), None, by_port, none, &a);
        assert_eq!(
            c.http,
            Some(HttpCheck {
                plain_port: Some(80)
            })
        );
        let c = probe_config(entry("h.example:9443", None), None, by_port, none, &a);
        assert_eq!(c.http, None);
        let forced = WebDefaults {
            forced: true,
            plain_port: Some(8080),
        };
        let c = probe_config(entry("h.example:9443", None), None, by_port, forced, &a);
        assert_eq!(
            c.http,
            Some(HttpCheck {
                plain_port: Some(8080)
            })
        );
        let mut e = entry("h.example:9443", None);
        e.http = Some(list::HttpOption {
            plain_port: Some(81),
        });
        let c = probe_config(e, None, by_port, forced, &a);
        assert_eq!(
            c.http,
            Some(HttpCheck {
                plain_port: Some(81)
            })
        );
        // Never over STARTTLS.
        let c = probe_config(entry("h.example:25", None), None, by_port, forced, &a);
        assert_eq!(c.http, None);
    }

    #[test]
    fn starttls_line_beats_flag_beats_port() {
        let a = Anchors::default();
        let by_port = StarttlsChoice::ByPort;
        let c = probe_config(
            entry("h.example:25", None),
            None,
            by_port,
            WebDefaults::default(),
            &a,
        );
        assert_eq!(c.starttls, Some(Starttls::Smtp));
        let c = probe_config(
            entry("h.example:443", None),
            None,
            by_port,
            WebDefaults::default(),
            &a,
        );
        assert_eq!(c.starttls, None);
        let flag = StarttlsChoice::On(Starttls::Imap);
        let c = probe_config(
            entry("h.example:25", None),
            None,
            flag,
            WebDefaults::default(),
            &a,
        );
        assert_eq!(c.starttls, Some(Starttls::Imap));
        let line = Some(StarttlsChoice::Off);
        let c = probe_config(
            entry("h.example:25", line),
            None,
            flag,
            WebDefaults::default(),
            &a,
        );
        assert_eq!(c.starttls, None);
    }

    #[test]
    fn sni_line_beats_flag() {
        let a = Anchors::default();
        let flag = DnsName::try_from("flag.example".to_owned()).unwrap();
        let mut e = entry("10.0.0.1:443", None);
        let c = probe_config(
            e.clone(),
            Some(&flag),
            StarttlsChoice::ByPort,
            WebDefaults::default(),
            &a,
        );
        assert_eq!(c.sni.unwrap().as_ref(), "flag.example");
        e.sni = Some(DnsName::try_from("line.example".to_owned()).unwrap());
        let c = probe_config(
            e,
            Some(&flag),
            StarttlsChoice::ByPort,
            WebDefaults::default(),
            &a,
        );
        assert_eq!(c.sni.unwrap().as_ref(), "line.example");
    }
}
