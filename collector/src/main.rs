//! `trustwatch-collector`: serve, issue agent certificates, run the demo.
//! The only place that prints or chooses an exit status.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustwatch_collector::ca::{self, Ca, CaOrigin};
use trustwatch_collector::config::StoreConfig;
use trustwatch_collector::demo::{self, Demo, DemoOptions};
use trustwatch_collector::store::{Actor, Change};
use trustwatch_collector::{api, enrol, ingest, Collector, Config, Error, Store};

mod export_cli;
mod registers_cli;
mod report_cli;

#[derive(Parser)]
#[command(
    name = "trustwatch-collector",
    version,
    about = "Trustwatch collector: agent CA, mutual-TLS ingest, store, Prometheus metrics and query API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the collector: mutual-TLS ingest and the plain-HTTP metrics/API listener.
    Serve {
        /// The collector.toml to use.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Issue a client certificate for an agent from the collector CA.
    AgentCert(AgentCertArgs),
    /// Run a collector, a local agent and a deliberately misconfigured TLS endpoint on this machine.
    Demo(DemoArgs),
    /// API tokens for the query API (roles: admin, analyst, auditor).
    #[command(subcommand)]
    ApiToken(registers_cli::ApiTokenCommand),
    /// The exceptions register: accepted risks per rule and target.
    #[command(subcommand)]
    Exception(registers_cli::ExceptionCommand),
    /// Central scan policy per site, served to agents over mutual TLS.
    #[command(subcommand)]
    Policy(registers_cli::PolicyCommand),
    /// Enrolment tokens: create (printed once), list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The agent registry: list agents, revoke one.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Reports from the store: the board's one page and the auditor's evidence pack.
    #[command(subcommand)]
    Report(report_cli::ReportCommand),
    /// Check an evidence pack: every file's hash, the chain, and (with --config) the ledger.
    Verify(report_cli::VerifyArgs),
    /// Findings for a SIEM: OCSF 1.1.0 NDJSON.
    #[command(subcommand)]
    Export(export_cli::ExportCommand),
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token for `trustwatch-agent enrol TOKEN`; only the token goes to stdout.
    Create {
        /// The collector.toml whose store and CA to use.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// The site agents enrolled with this token belong to (certificate OU).
        #[arg(long)]
        site: String,
        /// How long the token can be used: a number and s, m, h or d (1m to 30d).
        #[arg(long, default_value = "24h")]
        ttl: String,
        /// How many agents may enrol with it.
        #[arg(long, default_value_t = 1)]
        max_uses: i64,
        /// The ingest URL agents should use (default: [ingest] public_url, else derived).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// List tokens (never their secrets).
    List {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Revoke a token so it can no longer be used.
    Revoke {
        /// The token id, as `token list` shows it.
        id: String,
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
enum AgentCommand {
    /// List agents: site, enrolment, last contact, certificate expiry, revocation.
    List {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Revoke an agent: its next request to any collector sharing the store is refused.
    Revoke {
        /// The agent's name (certificate CN).
        name: String,
        /// Why, for the audit trail.
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

#[derive(Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["config", "data_dir"]))]
struct AgentCertArgs {
    /// The agent's name (certificate CN): 1-64 of A-Z a-z 0-9 . _ -
    name: String,
    /// Folder to write agent.crt, agent.key and ca.crt into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The agent's site (certificate OU).
    #[arg(long, default_value = "default")]
    site: String,
    /// Validity in days.
    #[arg(long, default_value_t = ca::DEFAULT_AGENT_DAYS)]
    days: i64,
    /// Use the data_dir of this collector.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Use this collector data folder directly.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Args)]
struct DemoArgs {
    /// Exit 0 once the first report is stored (non-zero if none within 60 s).
    #[arg(long)]
    once: bool,
    /// Folder for the demo's config, certificates and store.
    #[arg(long, default_value = "./trustwatch-demo")]
    dir: PathBuf,
    /// An extra TLS endpoint (HOST:PORT) for the demo agent to scan; repeatable.
    #[arg(long = "tls", value_name = "HOST:PORT")]
    tls: Vec<String>,
    /// Address of the collector's mutual-TLS ingest listener (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8443")]
    ingest_listen: SocketAddr,
    /// Address of the collector's HTTP listener for /metrics and the API (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:9464")]
    http_listen: SocketAddr,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_log = match cli.command {
        Command::Serve { .. } => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour only for a person: logs and journald get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_log)),
        )
        .init();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .and_then(|rt| rt.block_on(run(cli.command)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let usage = e.downcast_ref::<Error>().is_some_and(Error::is_usage);
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { config } => serve(config).await,
        Command::AgentCert(args) => agent_cert(args),
        Command::Demo(args) => run_demo(args).await,
        Command::ApiToken(cmd) => registers_cli::api_token(cmd).await,
        Command::Exception(cmd) => registers_cli::exception(cmd).await,
        Command::Policy(cmd) => registers_cli::policy(cmd).await,
        Command::Token(command) => token(command).await,
        Command::Agent(command) => agent(command).await,
        Command::Report(cmd) => report_cli::report(cmd).await,
        Command::Verify(args) => report_cli::verify(args).await,
        Command::Export(cmd) => export_cli::export(cmd).await,
    }
}

/// `cli:<login>` for admin_events: who ran the command, as far as the
/// environment says.
async fn open_store(config: &Config) -> anyhow::Result<Store> {
    Ok(Store::connect(&config.store, &config.data_dir).await?)
}

async fn token(command: TokenCommand) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    match command {
        TokenCommand::Create {
            config,
            site,
            ttl,
            max_uses,
            url,
        } => {
            let config = Config::load(&config)?;
            let spec = enrol::TokenSpec {
                site,
                ttl: enrol::parse_ttl(&ttl)?,
                max_uses,
                url,
            };
            // Every flag is checked before a CA or store is touched.
            enrol::check_spec(&spec, &config)?;
            let ca_sha256 = match ca::stored_fingerprint(&config.data_dir)? {
                Some(fingerprint) => fingerprint,
                // One collector on SQLite: the CA `serve` would create.
                None if matches!(config.store, StoreConfig::Sqlite) => {
                    let (ca, _) = Ca::load_or_create(&config.data_dir)?;
                    eprintln!(
                        "created a new collector CA in {}",
                        config.data_dir.display()
                    );
                    ca::fingerprint(ca.cert_der())
                }
                // A shared store: a new CA here would pin the wrong one.
                None => {
                    return Err(Error::CaMissing {
                        dir: config.data_dir.clone(),
                    }
                    .into())
                }
            };
            let store = open_store(&config).await?;
            let created =
                enrol::create_token(&store, &config, &ca_sha256, spec, &Actor::cli(), now).await?;
            eprintln!(
                "enrolment token {} for site {}: up to {} use(s), until {}, collector {}",
                created.id,
                created.site,
                created.max_uses,
                rfc3339(created.expires_at),
                created.url
            );
            println!("{}", created.text);
        }
        TokenCommand::List { config } => {
            let store = open_store(&Config::load(&config)?).await?;
            println!(
                "{:<16}  {:<16}  {:<20}  {:<20}  {:<11}  STATE",
                "ID", "SITE", "CREATED", "EXPIRES", "USES"
            );
            for t in store.tokens().await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.expires_at <= now.unix_timestamp() {
                    "expired"
                } else if t.uses >= t.max_uses {
                    "used up"
                } else {
                    "active"
                };
                println!(
                    "{:<16}  {:<16}  {:<20}  {:<20}  {:<11}  {state}",
                    t.id,
                    t.site,
                    unix(Some(t.created_at)),
                    unix(Some(t.expires_at)),
                    format!("{}/{}", t.uses, t.max_uses),
                );
            }
        }
        TokenCommand::Revoke { id, config } => {
            let store = open_store(&Config::load(&config)?).await?;
            match enrol::revoke_token(&store, &id, &Actor::cli()).await? {
                Change::Already(at) => {
                    println!("token {id} was already revoked at {}", rfc3339(at))
                }
                _ => println!("token {id} revoked"),
            }
        }
    }
    Ok(())
}

async fn agent(command: AgentCommand) -> anyhow::Result<()> {
    match command {
        AgentCommand::List { config } => {
            let store = open_store(&Config::load(&config)?).await?;
            println!(
                "{:<20}  {:<16}  {:<20}  {:<20}  {:<20}  REVOKED",
                "NAME", "SITE", "ENROLLED", "LAST-CONTACT", "CERT-EXPIRES"
            );
            for a in store.registry().await? {
                let revoked = match (&a.revoked_at, &a.revoked_reason) {
                    (None, _) => "-".to_owned(),
                    (Some(at), None) => unix(Some(*at)),
                    (Some(at), Some(reason)) => format!("{} ({reason})", unix(Some(*at))),
                };
                let enrolled = match a.enrolled_at {
                    Some(at) => unix(Some(at)),
                    None => "by hand".to_owned(),
                };
                println!(
                    "{:<20}  {:<16}  {enrolled:<20}  {:<20}  {:<20}  {revoked}",
                    a.name,
                    a.site,
                    unix(a.last_contact),
                    unix(a.cert_not_after)
                );
            }
        }
        AgentCommand::Revoke {
            name,
            reason,
            config,
        } => {
            let config = Config::load(&config)?;
            ca::check_label("agent name", &name)?;
            let store = open_store(&config).await?;
            match enrol::revoke_agent(&store, &name, reason.as_deref(), &Actor::cli()).await? {
                Change::Already(at) => {
                    println!("agent {name} was already revoked at {}", rfc3339(at))
                }
                _ => println!(
                    "agent {name} revoked: its next request to any collector using {} is refused",
                    store.location().display()
                ),
            }
        }
    }
    Ok(())
}

fn unix(at: Option<i64>) -> String {
    match at.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()) {
        Some(t) => rfc3339(t),
        None => "-".to_owned(),
    }
}

async fn serve(config: PathBuf) -> anyhow::Result<()> {
    let shutdown = shutdown_signal();
    let config = Config::load(&config)?;
    let collector = Collector::start(config).await?;
    let ca_path = ca::ca_cert_path(&collector.data_dir());
    let origin = match collector.ca_origin() {
        CaOrigin::Created => "created",
        CaOrigin::Loaded => "loaded",
    };
    println!(
        "collector CA {origin}: {} (sha256 {})",
        ca_path.display(),
        ca::fingerprint(collector.ca().cert_der())
    );
    let (issued, not_after) = collector.server_cert();
    if issued {
        println!(
            "issued a new ingest server certificate, valid until {}",
            rfc3339(not_after)
        );
    }
    println!(
        "ingest (mutual TLS): https://{}{}",
        collector.ingest_addr(),
        ingest::REPORTS_PATH
    );
    let http = collector.http_addr();
    println!("the /api/v1/ endpoints need an API token: trustwatch-collector api-token create --config FILE --name NAME --role auditor");
    println!(
        "web view (sign in with an API token): http://{http}{}",
        api::UI_PATH
    );
    println!(
        "metrics: http://{http}{}  findings: http://{http}{}  agents: http://{http}{}",
        api::METRICS_PATH,
        api::FINDINGS_PATH,
        api::AGENTS_PATH
    );
    collector.run(shutdown).await?;
    println!("collector stopped");
    Ok(())
}

fn agent_cert(args: AgentCertArgs) -> anyhow::Result<()> {
    let data_dir = match (&args.config, &args.data_dir) {
        (Some(config), _) => Config::load(config)?.data_dir,
        (None, Some(dir)) => dir.clone(),
        (None, None) => unreachable!("clap requires --config or --data-dir"),
    };
    // Check the flags before a CA might be created for nothing.
    ca::check_label("agent name", &args.name)?;
    ca::check_label("site", &args.site)?;
    let (ca, origin) = Ca::load_or_create(&data_dir)?;
    if origin == CaOrigin::Created {
        println!("created a new collector CA in {}", data_dir.display());
    }
    let bundle = ca.issue_agent(&args.name, &args.site, args.days, &args.out)?;
    println!(
        "issued a client certificate for agent {} (site {}), valid until {}, sha256 {}",
        args.name,
        args.site,
        rfc3339(bundle.not_after),
        bundle.fingerprint
    );
    println!(
        "wrote {}, {} and {}",
        bundle.cert.display(),
        bundle.key.display(),
        bundle.ca.display()
    );
    Ok(())
}

async fn run_demo(args: DemoArgs) -> anyhow::Result<()> {
    let shutdown = shutdown_signal();
    let mut demo = Demo::start(DemoOptions {
        dir: args.dir,
        once: args.once,
        tls_targets: args.tls,
        ingest_listen: args.ingest_listen,
        http_listen: args.http_listen,
    })
    .await
    .map_err(|e| match e {
        // The defaults are fixed ports; say how to get out of a clash.
        Error::Bind { .. } => anyhow::anyhow!(
            "{e}; choose other ports with --ingest-listen and --http-listen (port 0 picks a free one)"
        ),
        e => e.into(),
    })?;
    println!("Trustwatch demo in {}", demo.dir.display());
    if demo.ca_created {
        println!(
            "  created a collector CA in {}",
            demo.dir.join("data").display()
        );
    }
    println!(
        "  collector ingest (mutual TLS): https://{}{}",
        demo.ingest_addr,
        ingest::REPORTS_PATH
    );
    println!("  collector HTTP:                http://{}", demo.http_addr);
    println!("  demo target:                   {}  <- a DELIBERATELY MISCONFIGURED demo endpoint (TLS 1.2 only, expired certificate from a throwaway demo CA)", demo.target_addr);
    println!(
        "  agent:                         {} run --config {}",
        demo.agent_binary.display(),
        demo.agent_config.display()
    );
    println!(
        "Waiting for the agent's first report (up to {} s)...",
        demo::FIRST_REPORT_BOUND.as_secs()
    );

    let failing = match demo.first_report(demo::FIRST_REPORT_BOUND).await {
        Ok(failing) => failing,
        Err(e) => {
            let _ = demo.stop().await;
            return Err(e.into());
        }
    };
    print_tally(&failing);
    println!(
        "Expected: the demo target fails CERT-001 (expired certificate) and TLS-004 (no TLS 1.3);"
    );
    println!("the collector's own listener fails CERT-003, truthfully: the agent scans with public roots only");
    println!("and the collector's certificate comes from its private CA.");
    println!(
        "The demo system in {} (Ubuntu 22.04, unpatched since 2023) fails PATCH-001 on real",
        demo.dir.join(demo::system::ROOT_DIR).display()
    );
    println!("OpenSSL and OpenSSH advisories, PATCH-002 on regreSSHion (in the demo alert list),");
    println!("PATCH-003 (reboot pending 20 days) and PATCH-004 (no automatic updates).");
    println!("Look at:");
    println!("  metrics:  {}", demo.metrics_url());
    println!("  findings: {}", demo.findings_url());
    println!("  (the API needs a token; the demo made a read-only auditor one)");
    println!(
        "  curl -H 'Authorization: Bearer {}' '{}'",
        demo.api_token,
        demo.findings_url()
    );
    let base = demo.metrics_url();
    let base = base.trim_end_matches("/metrics");
    let config = demo.dir.join(demo::COLLECTOR_CONFIG_FILE);
    println!("  web view: {base}/ui/ (sign in with the token above)");
    println!("The board's one page and the auditor's evidence pack, from the demo's store:");
    println!(
        "  trustwatch-collector report board --config {} --out board.html",
        config.display()
    );
    println!(
        "  trustwatch-collector report evidence --config {} --out evidence.zip",
        config.display()
    );
    if args.once {
        demo.stop().await?;
        return Ok(());
    }
    println!("Running; the agent rescans every 60 s. Press Ctrl-C to stop.");
    let exited = demo.wait(shutdown).await;
    demo.stop().await?;
    if let Some(status) = exited {
        anyhow::bail!(
            "the agent exited ({status}) while the demo was running; see its output above"
        );
    }
    println!("demo stopped");
    Ok(())
}

fn print_tally(failing: &[trustwatch_collector::store::FindingRow]) {
    println!("First report stored: {} failing findings.", failing.len());
    let mut by_target: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for f in failing {
        by_target
            .entry(f.target.as_str())
            .or_default()
            .push(format!("{} ({})", f.rule_id, f.severity));
    }
    for (target, rules) in by_target {
        println!("  {target}: {}", rules.join(", "));
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// Ctrl-C, or SIGTERM from a service manager. The handlers are registered
/// when this is called, not when the future is first polled, so a signal
/// that arrives while the collector is still starting stops it cleanly
/// instead of killing it mid-write.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        match (interrupt, terminate) {
            (Ok(mut i), Ok(mut t)) => {
                tokio::select! {
                    _ = i.recv() => {}
                    _ = t.recv() => {}
                }
            }
            (Ok(mut i), Err(_)) => {
                i.recv().await;
            }
            (Err(_), Ok(mut t)) => {
                t.recv().await;
            }
            (Err(_), Err(_)) => std::future::pending().await,
        }
    }
}
