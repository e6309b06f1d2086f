//! `collector.toml`: parsed with `deny_unknown_fields`, then validated, before
//! any file is created or socket bound.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use trustwatch_rules::toml_location;

use crate::error::{Error, Result};

mod board;
mod siem;

pub use board::BoardConfig;
pub use siem::{HecConfig, SiemConfig};

/// Reports above this size are refused unless the operator raises it.
pub const DEFAULT_MAX_REPORT_BYTES: u64 = 8 * 1024 * 1024;
/// An upper bound on `max_report_bytes`: the whole body is held in memory.
pub const MAX_MAX_REPORT_BYTES: u64 = 256 * 1024 * 1024;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from, for messages.
    pub file: PathBuf,
    /// Resolved against the config file's folder.
    pub data_dir: PathBuf,
    pub ingest: IngestConfig,
    pub http: HttpConfig,
    pub agents: AgentsConfig,
    pub store: StoreConfig,
    pub retention: crate::store::RetentionPolicy,
    pub enrol: EnrolConfig,
    pub board: BoardConfig,
    /// `[siem.hec]`: the OCSF push to a Splunk HEC, if any.
    pub siem: SiemConfig,
}

/// Enrolment: how long the certificates issued to agents last. Agents renew
/// when a third of the lifetime remains, so a short life costs little and
/// bounds what a stolen key is worth.
#[derive(Debug, Clone)]
pub struct EnrolConfig {
    pub cert_days: i64,
}

pub const DEFAULT_CERT_DAYS: i64 = 7;
pub const MAX_CERT_DAYS: i64 = 90;

/// Where findings live: the embedded SQLite file in `data_dir` (the
/// default, one collector), or a PostgreSQL database several collectors
/// share behind one load balancer.
#[derive(Debug, Clone)]
pub enum StoreConfig {
    Sqlite,
    Postgres(Box<PostgresConfig>),
}

#[derive(Debug, Clone)]
pub struct PostgresConfig {
    /// Parsed from `store.url` (a libpq key=value string or a
    /// `postgresql://` URL); the password, if any, from `password_file`.
    pub connect: tokio_postgres::Config,
    /// At most this many connections per collector.
    pub pool_size: usize,
}

#[derive(Debug, Clone)]
pub struct IngestConfig {
    pub listen: SocketAddr,
    /// Names the server certificate carries besides the always-present
    /// loopback names.
    pub server_names: Vec<String>,
    pub max_report_bytes: u64,
    /// Reports accepted but not yet stored, at most; beyond, 429.
    pub max_queued_reports: usize,
    pub limits: ConnectionLimits,
    /// How agents reach the ingest listener (`https://host:port`), written
    /// into enrolment tokens; None: derived from server_names and listen.
    pub public_url: Option<String>,
}

/// Bounds on what one client can hold: not in the TOML yet, because the
/// defaults suit every estate we know of; tests shorten them.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub handshake_timeout: Duration,
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    /// A connection (with keep-alive) is closed after this long in any case.
    pub max_connection_age: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 256,
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(60),
            max_connection_age: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub listen: SocketAddr,
}

#[derive(Debug, Clone)]
pub struct AgentsConfig {
    pub stale_after: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data_dir: PathBuf,
    #[serde(default)]
    ingest: RawIngest,
    #[serde(default)]
    http: RawHttp,
    #[serde(default)]
    agents: RawAgents,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    retention: RawRetention,
    #[serde(default)]
    enrol: RawEnrol,
    #[serde(default)]
    board: board::RawBoard,
    #[serde(default)]
    siem: siem::RawSiem,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawEnrol {
    cert_days: i64,
}

impl Default for RawEnrol {
    fn default() -> Self {
        RawEnrol {
            cert_days: DEFAULT_CERT_DAYS,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawRetention {
    report_bodies_days: u32,
    history_days: u32,
}

impl Default for RawRetention {
    fn default() -> Self {
        RawRetention {
            report_bodies_days: DEFAULT_REPORT_BODIES_DAYS,
            history_days: DEFAULT_HISTORY_DAYS,
        }
    }
}

/// Report bodies (the evidence as received) are emptied after this.
pub const DEFAULT_REPORT_BODIES_DAYS: u32 = 90;
/// Finding changes and scan summaries are deleted after this: a year and
/// a month, so a year-on-year comparison always has its start.
pub const DEFAULT_HISTORY_DAYS: u32 = 400;
/// Ten years: beyond, "keep for ever" is what is meant, and the day
/// arithmetic stays far from overflow.
pub const MAX_RETENTION_DAYS: u32 = 3650;
/// Reports accepted and waiting to be stored before agents get 429.
pub const DEFAULT_MAX_QUEUED_REPORTS: usize = 256;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawStore {
    backend: String,
    url: Option<String>,
    password_file: Option<PathBuf>,
    pool_size: usize,
}

impl Default for RawStore {
    fn default() -> Self {
        RawStore {
            backend: "sqlite".into(),
            url: None,
            password_file: None,
            pool_size: DEFAULT_POOL_SIZE,
        }
    }
}

pub const DEFAULT_POOL_SIZE: usize = 16;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawIngest {
    listen: String,
    server_names: Vec<String>,
    max_report_bytes: u64,
    max_queued_reports: usize,
    public_url: Option<String>,
}

impl Default for RawIngest {
    fn default() -> Self {
        RawIngest {
            listen: "0.0.0.0:8443".into(),
            server_names: Vec::new(),
            max_report_bytes: DEFAULT_MAX_REPORT_BYTES,
            max_queued_reports: DEFAULT_MAX_QUEUED_REPORTS,
            public_url: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawHttp {
    listen: String,
}

impl Default for RawHttp {
    fn default() -> Self {
        RawHttp {
            listen: "127.0.0.1:9464".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawAgents {
    stale_after_secs: u64,
}

impl Default for RawAgents {
    fn default() -> Self {
        RawAgents {
            // PATCH-006: an agent silent for a week is a coverage gap.
            stale_after_secs: 604_800,
        }
    }
}

impl Config {
    /// Reads, parses and validates `file`.
    pub fn load(file: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(file).map_err(|source| Error::ConfigRead {
            file: file.to_owned(),
            source,
        })?;
        Config::parse(&text, file)
    }

    /// Parses and validates `text`, naming `file` in messages and resolving
    /// `data_dir` against its folder.
    pub fn parse(text: &str, file: &Path) -> Result<Config> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let (line, key) = toml_location::of_error(text, &e);
            Error::ConfigSyntax {
                file: file.to_owned(),
                line,
                key,
                message: e.message().trim().to_owned(),
            }
        })?;
        let invalid = |table: Option<&str>, key: &str, message: String| Error::ConfigInvalid {
            file: file.to_owned(),
            line: toml_location::line_of_key(text, table, key),
            key: match table {
                Some(t) => format!("{t}.{key}"),
                None => key.to_owned(),
            },
            message,
        };

        if raw.data_dir.as_os_str().is_empty() {
            return Err(invalid(None, "data_dir", "must name a folder".into()));
        }
        let base = file.parent().unwrap_or(Path::new(""));
        let data_dir = base.join(&raw.data_dir);

        let ingest_listen =
            parse_listen(&raw.ingest.listen).map_err(|m| invalid(Some("ingest"), "listen", m))?;
        for name in &raw.ingest.server_names {
            check_server_name(name).map_err(|m| invalid(Some("ingest"), "server_names", m))?;
        }
        let max = raw.ingest.max_report_bytes;
        if !(1024..=MAX_MAX_REPORT_BYTES).contains(&max) {
            return Err(invalid(
                Some("ingest"),
                "max_report_bytes",
                format!("{max} is outside 1024..={MAX_MAX_REPORT_BYTES}"),
            ));
        }
        let queued = raw.ingest.max_queued_reports;
        if !(1..=65_536).contains(&queued) {
            return Err(invalid(
                Some("ingest"),
                "max_queued_reports",
                format!("{queued} is outside 1..=65536"),
            ));
        }
        let public_url = match &raw.ingest.public_url {
            None => None,
            Some(url) => {
                Some(check_public_url(url).map_err(|m| invalid(Some("ingest"), "public_url", m))?)
            }
        };
        let cert_days = raw.enrol.cert_days;
        if !(1..=MAX_CERT_DAYS).contains(&cert_days) {
            return Err(invalid(
                Some("enrol"),
                "cert_days",
                format!("{cert_days} is outside 1..={MAX_CERT_DAYS}"),
            ));
        }
        let http_listen =
            parse_listen(&raw.http.listen).map_err(|m| invalid(Some("http"), "listen", m))?;
        if http_listen.port() != 0 && http_listen == ingest_listen {
            return Err(invalid(
                Some("http"),
                "listen",
                format!("{http_listen} is also the ingest listener's address"),
            ));
        }
        let stale = raw.agents.stale_after_secs;
        if !(60..=31_536_000).contains(&stale) {
            return Err(invalid(
                Some("agents"),
                "stale_after_secs",
                format!("{stale} is outside 60..=31536000 (one minute to one year)"),
            ));
        }

        let store =
            store_config(&raw.store, base).map_err(|(key, m)| invalid(Some("store"), key, m))?;
        let retention = retention_config(&raw.retention)
            .map_err(|(key, m)| invalid(Some("retention"), key, m))?;
        let board =
            board::board_config(raw.board).map_err(|(key, m)| invalid(Some("board"), key, m))?;
        let siem = siem::siem_config(raw.siem, base)
            .map_err(|(key, m)| invalid(Some("siem.hec"), key, m))?;

        Ok(Config {
            file: file.to_owned(),
            data_dir,
            store,
            retention,
            ingest: IngestConfig {
                listen: ingest_listen,
                server_names: raw.ingest.server_names,
                max_report_bytes: max,
                max_queued_reports: queued,
                limits: ConnectionLimits::default(),
                public_url,
            },
            http: HttpConfig {
                listen: http_listen,
            },
            agents: AgentsConfig {
                stale_after: Duration::from_secs(stale),
            },
            enrol: EnrolConfig { cert_days },
            board,
            siem,
        })
    }
}

/// Checks `[store]` without connecting: the URL must parse and the
/// password file must be readable now, not at the first report.
fn store_config(
    raw: &RawStore,
    base: &Path,
) -> std::result::Result<StoreConfig, (&'static str, String)> {
    match raw.backend.as_str() {
        "sqlite" => {
            if raw.url.is_some() || raw.password_file.is_some() {
                return Err(("url", "is only used with backend = \"postgres\"".into()));
            }
            Ok(StoreConfig::Sqlite)
        }
        "postgres" => {
            let url = raw.url.as_deref().ok_or((
                "url",
                "is required with backend = \"postgres\" (e.g. \"host=127.0.0.1 port=5432 user=trustwatch dbname=trustwatch\")".to_owned(),
            ))?;
            let mut connect: tokio_postgres::Config = url.parse().map_err(|e| {
                (
                    "url",
                    format!("`{url}` is not a PostgreSQL connection string: {e}"),
                )
            })?;
            if connect.get_hosts().is_empty() {
                return Err(("url", format!("`{url}` names no host")));
            }
            if connect.get_dbname().is_none() || connect.get_user().is_none() {
                return Err(("url", format!("`{url}` must name the user and dbname")));
            }
            if let Some(pf) = &raw.password_file {
                let path = base.join(pf);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    (
                        "password_file",
                        format!("{} cannot be read: {e}", path.display()),
                    )
                })?;
                connect.password(text.trim_end_matches(['\r', '\n']));
            }
            if !(1..=256).contains(&raw.pool_size) {
                return Err(("pool_size", format!("{} is outside 1..=256", raw.pool_size)));
            }
            Ok(StoreConfig::Postgres(Box::new(PostgresConfig {
                connect,
                pool_size: raw.pool_size,
            })))
        }
        other => Err((
            "backend",
            format!("`{other}` is not one of \"sqlite\" or \"postgres\""),
        )),
    }
}

/// Both periods within 1..=MAX_RETENTION_DAYS, and bodies no longer than
/// history: a report row (which holds the body) goes with its history.
fn retention_config(
    raw: &RawRetention,
) -> std::result::Result<crate::store::RetentionPolicy, (&'static str, String)> {
    for (key, days) in [
        ("report_bodies_days", raw.report_bodies_days),
        ("history_days", raw.history_days),
    ] {
        if !(1..=MAX_RETENTION_DAYS).contains(&days) {
            return Err((key, format!("{days} is outside 1..={MAX_RETENTION_DAYS}")));
        }
    }
    if raw.report_bodies_days > raw.history_days {
        return Err((
            "report_bodies_days",
            format!(
                "{} is longer than history_days ({}); a report's body cannot outlive its history",
                raw.report_bodies_days, raw.history_days
            ),
        ));
    }
    Ok(crate::store::RetentionPolicy {
        report_bodies_days: raw.report_bodies_days,
        history_days: raw.history_days,
    })
}

fn parse_listen(text: &str) -> std::result::Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        format!("`{text}` is not an IP address and port such as 0.0.0.0:8443 or [::1]:8443")
    })
}

/// The URL agents use for the ingest listener: `https://host[:port]`, no
/// path, query or user info. Returned without a trailing slash.
pub fn check_public_url(text: &str) -> std::result::Result<String, String> {
    let trimmed = text.strip_suffix('/').unwrap_or(text);
    let bad = |why: &str| Err(format!("`{text}` {why}; write https://HOST:PORT"));
    let Ok(uri) = trimmed.parse::<axum::http::Uri>() else {
        return bad("is not a URL");
    };
    if uri.scheme_str() != Some("https") {
        return bad("does not start with https://");
    }
    let Some(authority) = uri.authority() else {
        return bad("names no host");
    };
    if authority.as_str().contains('@') {
        return bad("carries user information");
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return bad("has a path or query");
    }
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if check_server_name(host).is_err() {
        return bad("names no valid host");
    }
    Ok(trimmed.to_owned())
}

/// A name for the server certificate: a DNS name or an IP address, no
/// wildcards (one collector is one host).
pub(crate) fn check_server_name(name: &str) -> std::result::Result<(), String> {
    if name.contains('*') {
        return Err(format!("`{name}` is a wildcard; list each host name"));
    }
    match rustls_pki_types::ServerName::try_from(name) {
        Ok(_) if !name.is_empty() => Ok(()),
        _ => Err(format!("`{name}` is not a DNS name or IP address")),
    }
}

#[cfg(test)]
mod tests;
