//! `[siem.hec]`: where `serve` pushes findings as OCSF events (a Splunk
//! HTTP Event Collector). Checked whole before any socket opens: the URL,
//! the token (inline or from a file) and the CA file.

use std::path::{Path, PathBuf};

use hyper::Uri;
use serde::Deserialize;

/// The validated `[siem]` table; `hec` is `None` when no push is set up.
#[derive(Debug, Clone, Default)]
pub struct SiemConfig {
    pub hec: Option<HecConfig>,
}

/// A Splunk HEC endpoint.
#[derive(Clone)]
pub struct HecConfig {
    /// `https://host[:port]` plus any base path, without a trailing `/`.
    pub url: String,
    pub host: String,
    pub port: u16,
    /// The URL's path below which `/services/collector/event` lives.
    pub base_path: String,
    /// The HEC token, sent as `Authorization: Splunk <token>`.
    pub token: String,
    pub index: Option<String>,
    /// Overrides the per-class `ocsf:compliance_finding` /
    /// `ocsf:vulnerability_finding`.
    pub sourcetype: Option<String>,
    /// Events per POST.
    pub batch_size: usize,
    /// Trust this CA (PEM) for the HEC's certificate instead of the public
    /// web roots: Splunk's own certificates come from a private CA.
    pub ca_file: Option<PathBuf>,
}

// The token must never reach a log line.
impl std::fmt::Debug for HecConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HecConfig")
            .field("url", &self.url)
            .field("token", &"(hidden)")
            .field("index", &self.index)
            .field("sourcetype", &self.sourcetype)
            .field("batch_size", &self.batch_size)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

pub const DEFAULT_HEC_BATCH: usize = 100;
pub const MAX_HEC_BATCH: usize = 1000;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawSiem {
    hec: Option<RawHec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawHec {
    url: String,
    token: Option<String>,
    token_file: Option<PathBuf>,
    index: Option<String>,
    sourcetype: Option<String>,
    batch_size: Option<usize>,
    ca_file: Option<PathBuf>,
}

type Problem = (&'static str, String);

pub(super) fn siem_config(raw: RawSiem, base: &Path) -> Result<SiemConfig, Problem> {
    let Some(raw) = raw.hec else {
        return Ok(SiemConfig { hec: None });
    };
    let (host, port, base_path) = parse_url(&raw.url).map_err(|m| ("url", m))?;
    let token = match (&raw.token, &raw.token_file) {
        (Some(_), Some(_)) => {
            return Err(("token", "give token or token_file, not both".into()));
        }
        (None, None) => {
            return Err((
                "token",
                "is required (or token_file naming a file that holds it)".into(),
            ));
        }
        (Some(t), None) => t.clone(),
        (None, Some(file)) => {
            let path = base.join(file);
            std::fs::read_to_string(&path)
                .map_err(|e| {
                    (
                        "token_file",
                        format!("{} cannot be read: {e}", path.display()),
                    )
                })?
                .trim()
                .to_owned()
        }
    };
    // Splunk tokens are GUIDs; anything printable without spaces passes,
    // since the value goes into an HTTP header.
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_graphic()) {
        let key = if raw.token.is_some() {
            "token"
        } else {
            "token_file"
        };
        return Err((
            key,
            "the token must be non-empty printable ASCII without spaces".into(),
        ));
    }
    for (key, value) in [("index", &raw.index), ("sourcetype", &raw.sourcetype)] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err((key, "must not be blank".into()));
        }
    }
    let batch_size = raw.batch_size.unwrap_or(DEFAULT_HEC_BATCH);
    if !(1..=MAX_HEC_BATCH).contains(&batch_size) {
        return Err((
            "batch_size",
            format!("{batch_size} is outside 1..={MAX_HEC_BATCH}"),
        ));
    }
    let ca_file = match raw.ca_file {
        None => None,
        Some(file) => {
            let path = base.join(file);
            let pem = std::fs::read(&path)
                .map_err(|e| ("ca_file", format!("{} cannot be read: {e}", path.display())))?;
            if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
                return Err((
                    "ca_file",
                    format!("{} holds no PEM certificate", path.display()),
                ));
            }
            Some(path)
        }
    };
    Ok(SiemConfig {
        hec: Some(HecConfig {
            url: raw.url.trim_end_matches('/').to_owned(),
            host,
            port,
            base_path,
            token,
            index: raw.index,
            sourcetype: raw.sourcetype,
            batch_size,
            ca_file,
        }),
    })
}

/// `https://HOST[:PORT][/PATH]`: HTTPS only, because the token and the
/// estate's weaknesses travel in it.
fn parse_url(url: &str) -> Result<(String, u16, String), String> {
    let uri: Uri = url.parse().map_err(|_| format!("`{url}` is not a URL"))?;
    if uri.scheme_str() != Some("https") {
        return Err(format!(
            "`{url}` must start with https:// (the HEC token travels in every request)"
        ));
    }
    let authority = uri
        .authority()
        .ok_or_else(|| format!("`{url}` has no host"))?;
    if authority.as_str().contains('@') || uri.query().is_some() {
        return Err(format!(
            "`{url}` must not carry user information or a query"
        ));
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    if host.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    // Splunk's HEC listens on 8088 unless told otherwise.
    let port = authority.port_u16().unwrap_or(8088);
    Ok((host, port, uri.path().trim_end_matches('/').to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<SiemConfig, Problem> {
        let raw: RawSiem = toml::from_str(toml_text).unwrap();
        siem_config(raw, Path::new("/nonexistent"))
    }

    #[test]
    fn a_complete_table_is_accepted() {
        let c = parse(
            "[hec]\nurl = \"https://splunk.example:8088/\"\ntoken = \"abc-123\"\nindex = \"sec\"\nbatch_size = 50\n",
        )
        .unwrap()
        .hec
        .unwrap();
        assert_eq!(c.host, "splunk.example");
        assert_eq!(c.port, 8088);
        assert_eq!(c.base_path, "");
        assert_eq!(c.batch_size, 50);
        assert!(!format!("{c:?}").contains("abc-123"));
        assert!(parse("").unwrap().hec.is_none());
    }

    #[test]
    fn bad_tables_name_the_key_at_fault() {
        let key = |t: &str| parse(t).unwrap_err().0;
        assert_eq!(
            key("[hec]\nurl = \"http://s:8088\"\ntoken = \"t\"\n"),
            "url"
        );
        assert_eq!(key("[hec]\nurl = \"https://s:8088\"\n"), "token");
        assert_eq!(
            key("[hec]\nurl = \"https://s\"\ntoken = \"t\"\ntoken_file = \"f\"\n"),
            "token"
        );
        assert_eq!(
            key("[hec]\nurl = \"https://s\"\ntoken = \"a b\"\n"),
            "token"
        );
        assert_eq!(
            key("[hec]\nurl = \"https://s\"\ntoken_file = \"nope\"\n"),
            "token_file"
        );
        assert_eq!(
            key("[hec]\nurl = \"https://s\"\ntoken = \"t\"\nbatch_size = 0\n"),
            "batch_size"
        );
        assert_eq!(
            key("[hec]\nurl = \"https://s\"\ntoken = \"t\"\nca_file = \"nope.pem\"\n"),
            "ca_file"
        );
    }
}
