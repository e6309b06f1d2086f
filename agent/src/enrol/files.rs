//! The files enrolment leaves behind, each written atomically.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::EnrolError;
use crate::fsio;

pub const KEY_FILE: &str = "agent.key";
pub const CERT_FILE: &str = "agent.crt";
pub const CA_FILE: &str = "ca.crt";
pub const CONFIG_FILE: &str = "agent.toml";

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> EnrolError + '_ {
    move |source| EnrolError::Write {
        path: path.to_owned(),
        source,
    }
}

/// Writes the CA (when given), then the key and certificate as one pair
/// (see [`crate::renew::install`]); returns the paths written.
pub fn write_identity(
    dir: &Path,
    key_pem: &str,
    cert_pem: &str,
    ca_pem: Option<&str>,
) -> Result<Vec<PathBuf>, EnrolError> {
    std::fs::create_dir_all(dir).map_err(write_error(dir))?;
    let mut written = Vec::new();
    if let Some(ca) = ca_pem {
        let path = dir.join(CA_FILE);
        fsio::write_atomic(&path, ca.as_bytes(), Some(0o644)).map_err(write_error(&path))?;
        written.push(path);
    }
    let (cert, key) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
    crate::renew::install(&cert, &key, cert_pem, key_pem)
        .map_err(|(path, source)| EnrolError::Write { path, source })?;
    written.push(key);
    written.push(cert);
    Ok(written)
}

#[derive(Serialize)]
struct MinimalConfig<'a> {
    collector: CollectorTable<'a>,
}

#[derive(Serialize)]
struct CollectorTable<'a> {
    url: &'a str,
    ca: &'a str,
    cert: &'a str,
    key: &'a str,
}

/// Writes `dir/agent.toml` pointing at the enrolment files, unless one is
/// there already (a person's config is never overwritten). Returns the
/// path when written.
pub fn write_config_if_absent(dir: &Path, url: &str) -> Result<Option<PathBuf>, EnrolError> {
    let path = dir.join(CONFIG_FILE);
    if path.exists() {
        return Ok(None);
    }
    let body = toml::to_string(&MinimalConfig {
        collector: CollectorTable {
            url,
            ca: CA_FILE,
            cert: CERT_FILE,
            key: KEY_FILE,
        },
    })
    .map_err(|e| EnrolError::Write {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    let text = format!(
        "# Written by `trustwatch-agent enrol`. Relative paths are relative to this\n\
         # file's folder. Add what this agent scans ([[tls]], [[discovery]],\n\
         # [packages], [domains]); the site's central policy on the collector can\n\
         # add targets too. Run it with `trustwatch-agent run --config {CONFIG_FILE}`.\n\n{body}"
    );
    fsio::write_atomic(&path, text.as_bytes(), Some(0o644)).map_err(write_error(&path))?;
    Ok(Some(path))
}
