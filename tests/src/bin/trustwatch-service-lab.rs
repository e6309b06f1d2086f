//! `trustwatch-service-lab`: starts the discovery lab (about twenty real
//! services and two silent ports, tests/src/svclab/lab.rs) on one address,
//! prints its manifest as one JSON line on stdout, and serves until its
//! stdin closes, SIGTERM or SIGINT (or `--max-secs`, so a forgotten lab
//! does not run for ever). Every service is stopped on the way out.
//!
//! ```text
//! trustwatch-service-lab --ip 127.0.0.1 --dir DIR [--layout well-known|high-ports] [--max-secs N]
//! {"ip":"127.0.0.1","layout":"well-known","dir":"…","services":[…]}
//! ```
//!
//! `--dir` must be empty or not exist yet; it is kept afterwards (logs).
//! The well-known layout binds ports 21–11211 on `--ip`: run it as root
//! inside a network namespace of its own (`unshare -n`, `lo` up), as
//! bench/services.sh does. Its stdin must stay open while the lab is
//! wanted (a pipe from the caller): `</dev/null` stops it at once.

use std::io::Write as _;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use trustwatch_e2e::process;
use trustwatch_e2e::svclab::lab::{self, Layout};

const USAGE: &str = "usage: trustwatch-service-lab --ip IP --dir DIR \
                     [--layout well-known|high-ports] [--max-secs N]";

struct Args {
    ip: Ipv4Addr,
    dir: PathBuf,
    layout: Layout,
    max: Duration,
}

fn parse() -> Result<Args, String> {
    let mut ip = None;
    let mut dir = None;
    let mut layout = Layout::WellKnown;
    let mut max = Duration::from_secs(3 * 3600);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--ip" => {
                let parsed: Ipv4Addr = value
                    .parse()
                    .map_err(|_| format!("--ip takes an IPv4 address, not {value:?}"))?;
                ip = Some(parsed);
            }
            "--dir" => dir = Some(PathBuf::from(value)),
            "--layout" => layout = value.parse()?,
            "--max-secs" => {
                let secs: u64 = value
                    .parse()
                    .map_err(|_| format!("--max-secs takes seconds, not {value:?}"))?;
                max = Duration::from_secs(secs);
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    let ip = ip.ok_or("--ip is required")?;
    // The lab serves real daemons with open doors: only ever on loopback
    // or in a namespace the caller made, which for IPv4 means 127/8 here.
    if !ip.is_loopback() {
        return Err(format!("--ip {ip} is not a loopback address"));
    }
    Ok(Args {
        ip,
        dir: dir.ok_or("--dir is required")?,
        layout,
        max,
    })
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("trustwatch-service-lab: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let lab = lab::start(&args.dir, args.ip, args.layout);
    let json = serde_json::to_string(lab.manifest()).expect("manifest JSON");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{json}");
    let _ = out.flush();
    drop(out);

    let why = process::wait_for_stop(args.max, true);
    eprintln!("trustwatch-service-lab: {why}, stopping the lab");
    drop(lab);
    ExitCode::SUCCESS
}
