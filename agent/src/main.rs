//! `trustwatch-agent`: parses the command line, runs the library, prints,
//! and maps outcomes to exit status (0 ok, 1 findings or upload failed,
//! 2 bad usage, config or input).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use trustwatch_agent::advisories::Index;
use trustwatch_agent::cli::{
    AdvisoriesCommand, Cli, Command, EnrolArgs, RunArgs, ScanArgs, ScanPlan,
};
use trustwatch_agent::config::Config;
use trustwatch_agent::daemon::Daemon;
use trustwatch_agent::discover::Progress as Discovery;
use trustwatch_agent::enrol::{self, Token};
use trustwatch_agent::net::Resolver;
use trustwatch_agent::output::{self, Format};
use trustwatch_agent::progress;

const BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(format_args!("cannot start the async runtime: {e}"), 1),
    };
    runtime.block_on(async {
        match cli.command {
            Command::Scan(args) => scan(&args).await,
            Command::Run(args) => run(&args).await,
            Command::Enrol(args) => enrol(&args).await,
            Command::Advisories(cmd) => advisories(&cmd),
        }
    })
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // rustls warns of every close_notify a server sends, which scanning
        // provokes by the hundred: noise, not news. RUST_LOG overrides.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rustls=error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a person: logs and journald get plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// One line on stderr, naming the input at fault. The library's errors
/// already carry their cause in their message, so only the top is printed.
fn fail(message: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("trustwatch-agent: {message}");
    ExitCode::from(code)
}

async fn scan(args: &ScanArgs) -> ExitCode {
    let plan = match ScanPlan::from_args(args) {
        Ok(plan) => plan,
        Err(e) => return fail(e, BAD_INPUT),
    };
    let terminal = std::io::stderr().is_terminal();
    let sweep_bar = plan
        .discovery
        .as_ref()
        .filter(|_| terminal)
        .map(|_| progress::discovery_bar());
    let on_discovery = |p: Discovery| {
        if let Some(bar) = &sweep_bar {
            progress::show_discovery(bar, p);
        }
    };
    let domain_count = plan.domains.as_ref().map_or(0, |d| d.domains.len());
    let domain_bar =
        progress::wanted(terminal, domain_count).then(|| progress::domain_bar(domain_count));
    let on_domain = || {
        if let Some(bar) = &domain_bar {
            bar.inc(1);
        }
    };
    let result = if progress::wanted(terminal, plan.probes.len()) {
        let bar = progress::bar(plan.probes.len());
        let ticker = bar.clone();
        let result = plan
            .run(&mut move || ticker.inc(1), &on_discovery, &on_domain)
            .await;
        bar.finish_and_clear();
        result
    } else {
        plan.run(&mut || {}, &on_discovery, &on_domain).await
    };
    if let Some(bar) = &domain_bar {
        bar.finish_and_clear();
    }
    if let Some(bar) = &sweep_bar {
        bar.finish_and_clear();
    }
    let report = match result {
        Ok(report) => report,
        Err(e) => return fail(e, BAD_INPUT),
    };
    let format = plan.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    });
    let printed = output::render(&report, format)
        .context("cannot render the report")
        .and_then(|text| {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .context("cannot write the report to stdout")
        });
    if let Err(e) = printed {
        return fail(format_args!("{e:#}"), 1);
    }
    ExitCode::from(u8::from(report.fails_at(plan.fail_on)))
}

/// `advisories import` and `advisories info`. Bad records are named on
/// stderr and the rest imported (exit 0); an index that cannot be created or
/// written exits 2. An import in which nothing could be read exits 1.
fn advisories(cmd: &AdvisoriesCommand) -> ExitCode {
    match cmd {
        AdvisoriesCommand::Import(args) => {
            let summary = Index::create(&args.index.index)
                .and_then(|mut index| index.import(&args.paths).map(|s| (index, s)));
            let (index, summary) = match summary {
                Ok(found) => found,
                Err(e) => return fail(e, BAD_INPUT),
            };
            for problem in &summary.problems {
                eprintln!("trustwatch-agent: {problem}");
            }
            print!("{summary}");
            match index.describe() {
                Ok(text) => print!("{text}"),
                Err(e) => return fail(e, 1),
            }
            let nothing_read =
                summary.imported + summary.older + summary.withdrawn + summary.skipped == 0;
            ExitCode::from(u8::from(nothing_read && !summary.problems.is_empty()))
        }
        AdvisoriesCommand::Info(args) => {
            match Index::open(&args.index).and_then(|i| i.describe()) {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e, BAD_INPUT),
            }
        }
    }
}

async fn run(args: &RunArgs) -> ExitCode {
    let config = match Config::load(&args.config) {
        Ok(config) => config,
        Err(e) => return fail(e, BAD_INPUT),
    };
    let daemon = match Daemon::new(config) {
        Ok(daemon) => daemon,
        Err(e) => return fail(e, BAD_INPUT),
    };
    if args.once {
        return match daemon.once().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e, 1),
        };
    }
    daemon.run(shutdown_signal()).await;
    ExitCode::SUCCESS
}

/// `enrol TOKEN`: exit 0 enrolled, 2 for a malformed token or name, 1 for
/// a refusal or a failure on the way.
async fn enrol(args: &EnrolArgs) -> ExitCode {
    let token = match Token::decode(&args.token) {
        Ok(token) => token,
        Err(e) => return fail(e, BAD_INPUT),
    };
    let name = match args
        .name
        .clone()
        .or_else(trustwatch_agent::scan::local_host_name)
    {
        Some(name) => name,
        None => {
            return fail(
                "this host has no name to enrol as: give one with --name",
                BAD_INPUT,
            )
        }
    };
    let result = enrol::enrol(
        &token,
        &name,
        &args.dir,
        &Resolver::system(),
        enrol::ENROL_TIMEOUT,
    )
    .await;
    let done = match result {
        Ok(done) => done,
        Err(e) => return fail(&e, if e.is_usage() { BAD_INPUT } else { 1 }),
    };
    println!(
        "enrolled as {:?} at site {:?} with {}",
        done.agent, done.site, token.url
    );
    for path in &done.written {
        println!("wrote {}", path.display());
    }
    match &done.config_written {
        Some(path) => println!(
            "wrote {} (add targets to it, or let the site's central policy add them)",
            path.display()
        ),
        None => println!(
            "kept {} as it was; check that its [collector] section points at the files above",
            done.config.display()
        ),
    }
    let expiry = done
        .not_after
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| done.not_after.to_string());
    println!("the certificate expires {expiry}; `trustwatch-agent run` renews it before then");
    ExitCode::SUCCESS
}

/// Completes on Ctrl-C, or on SIGTERM from a service manager.
async fn shutdown_signal() {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the agent");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        result = tokio::signal::ctrl_c() => {
            if let Err(e) = result {
                tracing::error!(error = %e, "cannot listen for Ctrl-C; stopping");
            }
        }
        () = terminate => {}
    }
    tracing::info!("shutdown requested");
}
