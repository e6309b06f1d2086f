//! `trustwatch-ingest-load`: simulates many agents uploading to a running
//! collector over loopback and prints what it measured as JSON (the issue 7
//! benchmark's load generator; `bench/collector.sh` drives it).
//!
//! Usage: trustwatch-ingest-load --ingest 127.0.0.1:PORT --data-dir DIR
//!        [--agents N] [--first-agent N] [--findings N] [--sites N]
//!        [--concurrency N] [--sequence N] [--limit-secs N]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use trustwatch_e2e::load::agents::AgentMint;
use trustwatch_e2e::load::{self, LoadPlan};

fn main() -> ExitCode {
    match parse(std::env::args().skip(1).collect()) {
        Ok((plan, data_dir)) => {
            let mint = match AgentMint::from_data_dir(&data_dir) {
                Ok(mint) => Arc::new(mint),
                Err(e) => {
                    eprintln!("error: the collector CA cannot be read: {e}");
                    return ExitCode::from(2);
                }
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            let result = runtime.block_on(load::run(&plan, mint));
            println!(
                "{}",
                serde_json::to_string_pretty(&result).expect("results serialise")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn parse(args: Vec<String>) -> Result<(LoadPlan, PathBuf), String> {
    let mut plan = LoadPlan {
        ingest: SocketAddr::from(([127, 0, 0, 1], 8443)),
        agents: 1000,
        first_agent: 0,
        findings: 100,
        sites: 20,
        concurrency: 32,
        sequence: 1,
        limit: Duration::from_secs(3600),
    };
    let mut data_dir = None;
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag} `{value}` is not a whole number"))
        };
        match flag.as_str() {
            "--ingest" => {
                let addr: SocketAddr = value
                    .parse()
                    .map_err(|_| format!("--ingest `{value}` is not an address and port"))?;
                // The generator is for loopback only, like every test here.
                if !addr.ip().is_loopback() {
                    return Err(format!("--ingest {addr} is not a loopback address"));
                }
                plan.ingest = addr;
            }
            "--data-dir" => data_dir = Some(PathBuf::from(value)),
            "--agents" => plan.agents = number()?,
            "--first-agent" => plan.first_agent = number()?,
            "--findings" => plan.findings = number()?.max(1),
            "--sites" => plan.sites = number()?.max(1),
            "--concurrency" => plan.concurrency = number()?.clamp(1, 1024),
            "--sequence" => plan.sequence = number()? as u64,
            "--limit-secs" => plan.limit = Duration::from_secs(number()? as u64),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let data_dir = data_dir.ok_or("--data-dir (the collector's data folder) is required")?;
    Ok((plan, data_dir))
}
