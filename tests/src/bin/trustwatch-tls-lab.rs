//! `trustwatch-tls-lab`: starts the TLS lab on loopback, writes its JSON
//! manifest and a Trustwatch targets file, prints their paths, and serves
//! until SIGTERM or SIGINT (or `--max-secs`, so a forgotten lab does not
//! run for ever). Every server is stopped on the way out.
//!
//! ```text
//! trustwatch-tls-lab [--dir DIR] [--max-secs N]
//! manifest /tmp/…/manifest.json
//! targets /tmp/…/targets.txt
//! ca /tmp/…/root.pem
//! ready
//! ```

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use trustwatch_e2e::process;
use trustwatch_e2e::tlslab::TlsLab;

const USAGE: &str = "usage: trustwatch-tls-lab [--dir DIR] [--max-secs N]";

struct Args {
    dir: Option<PathBuf>,
    max: Duration,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        dir: None,
        max: Duration::from_secs(3600),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--dir" => args.dir = Some(PathBuf::from(value)),
            "--max-secs" => {
                let secs: u64 = value
                    .parse()
                    .map_err(|_| format!("--max-secs takes seconds, not {value:?}"))?;
                args.max = Duration::from_secs(secs);
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("trustwatch-tls-lab: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let lab = match &args.dir {
        Some(dir) => TlsLab::start_in(dir),
        None => TlsLab::start(),
    };
    let (manifest_path, manifest) = lab.write_files();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "manifest {}", manifest_path.display());
    let _ = writeln!(out, "targets {}", manifest.targets_file.display());
    let _ = writeln!(out, "ca {}", manifest.ca.display());
    for e in &manifest.endpoints {
        let _ = writeln!(out, "endpoint {} {}", e.name, e.target_line());
    }
    let _ = writeln!(out, "ready");
    let _ = out.flush();
    drop(out);

    let why = process::wait_for_stop(args.max, false);
    eprintln!("trustwatch-tls-lab: {why}, stopping the lab");
    drop(lab);
    ExitCode::SUCCESS
}
