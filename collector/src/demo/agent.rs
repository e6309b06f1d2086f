//! The demo's agent side: its config file (in the format the agent binary
//! reads; key names are the agent's contract) and finding and starting the
//! real `trustwatch-agent` binary as a child process.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio::process::{Child, Command};

use crate::error::{Error, Result};

pub const AGENT_BIN_ENV: &str = "TRUSTWATCH_AGENT_BIN";
pub const AGENT_BIN_NAME: &str = "trustwatch-agent";
pub const AGENT_CONFIG_FILE: &str = "agent.toml";

#[derive(Debug, Serialize)]
pub struct AgentToml {
    pub agent: AgentSection,
    pub collector: CollectorSection,
    pub schedule: ScheduleSection,
    pub scan: ScanSection,
    pub tls: Vec<TlsTarget>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packages: Option<PackagesSection>,
}

/// The agent's `[packages]` table: a system to assess for patch levels.
#[derive(Debug, Serialize)]
pub struct PackagesSection {
    pub root: String,
    pub advisories: String,
    pub alerts: String,
}

#[derive(Debug, Serialize)]
pub struct AgentSection {
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct CollectorSection {
    pub url: String,
    pub ca: String,
    pub cert: String,
    pub key: String,
}

#[derive(Debug, Serialize)]
pub struct ScheduleSection {
    pub interval_secs: u64,
}

#[derive(Debug, Serialize)]
pub struct ScanSection {
    pub timeout_secs: u64,
}

#[derive(Debug, Serialize)]
pub struct TlsTarget {
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ca: Vec<String>,
}

/// Writes `dir/agent.toml` (serialised, never string-pasted, so a target
/// can not inject TOML).
pub fn write_config(dir: &Path, config: &AgentToml) -> Result<PathBuf> {
    let path = dir.join(AGENT_CONFIG_FILE);
    let body = toml::to_string(config).map_err(|e| Error::Io {
        action: "write",
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    let text = format!(
        "# Written by `trustwatch-collector demo`; rewritten on every demo run.\n\
         # Relative paths are relative to this file's folder.\n\n{body}"
    );
    crate::ca::write_public(&path, text.as_bytes())?;
    Ok(path)
}

/// The address an agent on this host uses to reach a listener: a wildcard
/// bind is reached on loopback.
pub fn reachable(addr: SocketAddr) -> SocketAddr {
    let mut out = addr;
    if addr.ip().is_unspecified() {
        out.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    out
}

/// Checks a `--tls HOST:PORT` value.
pub fn check_tls_target(value: &str) -> Result<()> {
    let bad = |reason: &str| Error::InvalidArgument {
        what: "--tls target",
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let (host, port) = value
        .rsplit_once(':')
        .ok_or_else(|| bad("it must be HOST:PORT"))?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty()
        || host.len() > 253
        || host.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad("the host is empty or not a host name"));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(bad("the port must be a number from 1 to 65535")),
    }
}

/// The agent binary: `$TRUSTWATCH_AGENT_BIN`, else beside this executable
/// (how `cargo build` and packages lay them out), else on `PATH`.
pub fn find_binary() -> Result<PathBuf> {
    let mut searched = Vec::new();
    if let Some(path) = std::env::var_os(AGENT_BIN_ENV).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(path);
        }
        // An explicit setting that is wrong must not fall back silently.
        return Err(Error::AgentBinaryMissing {
            searched: format!("{AGENT_BIN_ENV}={}", path.display()),
        });
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_owned))
    {
        let candidate = dir.join(AGENT_BIN_NAME);
        if candidate.is_file() {
            return Ok(candidate);
        }
        searched.push(candidate.display().to_string());
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(AGENT_BIN_NAME);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
        searched.push("PATH".to_owned());
    }
    Err(Error::AgentBinaryMissing {
        searched: searched.join(", "),
    })
}

/// Starts `agent run --config FILE [--once]`, sharing our stdout/stderr so
/// the user sees the agent's own messages; killed if we drop it.
pub fn spawn(binary: &Path, config: &Path, once: bool) -> Result<Child> {
    let mut cmd = Command::new(binary);
    cmd.arg("run").arg("--config").arg(config);
    if once {
        cmd.arg("--once");
    }
    cmd.kill_on_drop(true)
        .stdin(std::process::Stdio::null())
        .spawn()
        .map_err(|source| Error::AgentSpawn {
            path: binary.to_owned(),
            source,
        })
}
