//! `demo`: a collector, a local agent and a deliberately misconfigured TLS
//! endpoint on one machine with nothing set up beforehand. The agent is the
//! REAL agent binary run as a child process, so the demo shows exactly what
//! a deployment does.

pub mod agent;
pub mod system;
pub mod target;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use tokio::process::Child;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use trustwatch_rules::Status;

use crate::ca::CaOrigin;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::server::Collector;
use crate::store::{FindingFilter, FindingRow, Store};

pub use agent::{check_tls_target, AGENT_BIN_ENV};

pub const DEMO_AGENT: &str = "demo-agent";
pub const DEMO_SITE: &str = "demo";
pub const COLLECTOR_CONFIG_FILE: &str = "collector.toml";
/// How long the demo waits for the agent's first report.
pub const FIRST_REPORT_BOUND: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub dir: PathBuf,
    pub once: bool,
    pub tls_targets: Vec<String>,
    pub ingest_listen: SocketAddr,
    pub http_listen: SocketAddr,
}

/// A running demo: collector, demo target and agent child.
#[derive(Debug)]
pub struct Demo {
    pub dir: PathBuf,
    pub ingest_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub target_addr: SocketAddr,
    pub agent_binary: PathBuf,
    pub agent_config: PathBuf,
    pub ca_created: bool,
    /// A read-only (auditor) API token for trying the query API.
    pub api_token: String,
    store: Store,
    reports: watch::Receiver<u64>,
    child: Child,
    stop: watch::Sender<bool>,
    collector: JoinHandle<Result<()>>,
    target: JoinHandle<()>,
}

#[derive(Serialize)]
struct CollectorToml {
    data_dir: String,
    ingest: IngestToml,
    http: HttpToml,
}

#[derive(Serialize)]
struct IngestToml {
    listen: String,
    server_names: Vec<String>,
}

#[derive(Serialize)]
struct HttpToml {
    listen: String,
}

impl Demo {
    /// Sets everything up and starts it. Fails before starting anything when
    /// the agent binary cannot be found or a flag is bad.
    pub async fn start(opts: DemoOptions) -> Result<Demo> {
        for t in &opts.tls_targets {
            check_tls_target(t)?;
        }
        let agent_binary = agent::find_binary()?;
        std::fs::create_dir_all(&opts.dir).map_err(Error::io("create the folder", &opts.dir))?;
        let dir = std::fs::canonicalize(&opts.dir).map_err(Error::io("resolve", &opts.dir))?;

        let config_path = dir.join(COLLECTOR_CONFIG_FILE);
        let collector_toml = CollectorToml {
            data_dir: "data".into(),
            ingest: IngestToml {
                listen: opts.ingest_listen.to_string(),
                server_names: vec!["localhost".into()],
            },
            http: HttpToml {
                listen: opts.http_listen.to_string(),
            },
        };
        let text = toml::to_string(&collector_toml).map_err(|e| Error::Io {
            action: "write",
            path: config_path.clone(),
            source: std::io::Error::other(e),
        })?;
        crate::ca::write_public(
            &config_path,
            format!("# Written by `trustwatch-collector demo`.\n{text}").as_bytes(),
        )?;
        let config = Config::load(&config_path)?;
        // Each run starts from an empty store: the demo's ports change from
        // run to run, and findings for last run's endpoints would otherwise
        // linger as "current" and inflate what the demo shows.
        for suffix in ["", "-wal", "-shm"] {
            let path = config
                .data_dir
                .join(format!("{}{suffix}", crate::store::DB_FILE));
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io("remove the previous demo store", path)(e));
                }
                _ => {}
            }
        }
        let collector = Collector::start(config).await?;
        let ingest_addr = collector.ingest_addr();
        let http_addr = collector.http_addr();
        collector
            .ca()
            .issue_agent(DEMO_AGENT, DEMO_SITE, crate::ca::DEFAULT_AGENT_DAYS, &dir)?;

        let target = target::DemoTarget::bind(&dir).await?;
        let target_addr = target.addr()?;
        system::write(&dir)?;
        let agent_config = agent::write_config(
            &dir,
            &agent_toml(&opts, ingest_addr, target_addr, &target.ca_file),
        )?;

        let (stop, stop_rx) = watch::channel(false);
        let ca_created = collector.ca_origin() == CaOrigin::Created;
        let store = collector.store().clone();
        let api_token = store
            .create_api_token(
                "demo",
                crate::store::Role::Auditor,
                None,
                &crate::store::Actor::system("demo"),
            )
            .await?
            .text;
        let reports = collector.subscribe_reports();
        let mut collector_stop = stop_rx.clone();
        let collector = tokio::spawn(collector.run(async move {
            crate::shutdown::stopped(&mut collector_stop).await;
        }));
        let target = tokio::spawn(target.serve(stop_rx));
        let child = agent::spawn(&agent_binary, &agent_config, opts.once)?;
        Ok(Demo {
            dir,
            ingest_addr,
            http_addr,
            target_addr,
            agent_binary,
            agent_config,
            ca_created,
            api_token,
            store,
            reports,
            child,
            stop,
            collector,
            target,
        })
    }

    /// Waits (at most `bound`) for the first report to be stored, and
    /// returns the failing findings then current.
    pub async fn first_report(&mut self, bound: Duration) -> Result<Vec<FindingRow>> {
        let reports = &mut self.reports;
        let child = &mut self.child;
        let waited = tokio::time::timeout(bound, async {
            tokio::select! {
                () = crate::shutdown::reached(reports, 1) => None,
                status = child.wait() => Some(status),
            }
        })
        .await
        .map_err(|_| Error::NoReport {
            secs: bound.as_secs(),
        })?;
        // The 202 is sent only after the report is stored, so an agent that
        // exited after a successful upload has already been counted.
        if let Some(status) = waited {
            if *self.reports.borrow() == 0 {
                return Err(Error::AgentExited {
                    status: status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|e| e.to_string()),
                });
            }
        }
        self.store
            .findings(FindingFilter {
                status: Some(Status::Fail),
                ..FindingFilter::default()
            })
            .await
    }

    /// Runs until `shutdown` completes or the agent exits on its own
    /// (`Some(status)` then).
    pub async fn wait(&mut self, shutdown: impl Future<Output = ()>) -> Option<String> {
        tokio::select! {
            () = shutdown => None,
            status = self.child.wait() => Some(
                status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()),
            ),
        }
    }

    /// Stops the agent, the demo target and the collector.
    pub async fn stop(mut self) -> Result<()> {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        }
        let _ = self.stop.send(true);
        let _ = self.target.await;
        self.collector.await.map_err(|e| Error::Task {
            what: "collector",
            reason: e.to_string(),
        })?
    }

    pub fn metrics_url(&self) -> String {
        format!(
            "http://{}{}",
            agent::reachable(self.http_addr),
            crate::api::METRICS_PATH
        )
    }

    pub fn findings_url(&self) -> String {
        format!(
            "http://{}{}?status=fail",
            agent::reachable(self.http_addr),
            crate::api::FINDINGS_PATH
        )
    }
}

fn agent_toml(
    opts: &DemoOptions,
    ingest: SocketAddr,
    target: SocketAddr,
    target_ca: &Path,
) -> agent::AgentToml {
    let ingest = agent::reachable(ingest);
    let mut tls = vec![
        // The collector's own listener, probed like any endpoint: the scan
        // trusts public roots only, so its private CA fails CERT-003.
        agent::TlsTarget {
            target: ingest.to_string(),
            sni: Some("localhost".into()),
            ca: Vec::new(),
        },
        // The demo target's CA is trusted, so its failures are the ones it
        // was built with (expired certificate, no TLS 1.3).
        agent::TlsTarget {
            target: target.to_string(),
            sni: Some("localhost".into()),
            ca: vec![target_ca
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()],
        },
    ];
    tls.extend(opts.tls_targets.iter().map(|t| agent::TlsTarget {
        target: t.clone(),
        sni: None,
        ca: Vec::new(),
    }));
    agent::AgentToml {
        agent: agent::AgentSection {
            name: DEMO_AGENT.into(),
        },
        collector: agent::CollectorSection {
            url: format!("https://{ingest}"),
            ca: crate::ca::CA_CERT_FILE.into(),
            cert: "agent.crt".into(),
            key: "agent.key".into(),
        },
        schedule: agent::ScheduleSection { interval_secs: 60 },
        scan: agent::ScanSection { timeout_secs: 5 },
        tls,
        // A small Ubuntu root with old packages, judged against the real
        // advisories compiled into the agent: the demo works offline.
        packages: Some(agent::PackagesSection {
            root: system::ROOT_DIR.into(),
            advisories: "builtin".into(),
            alerts: system::ALERTS_FILE.into(),
        }),
    }
}
