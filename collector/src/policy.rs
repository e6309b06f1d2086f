//! Central scan policy: per site, set from a TOML file (`policy set`) or
//! the admin API, validated here, stored as JSON, served to the site's
//! agents over mutual TLS. The keys are exactly those of the wire contract
//! (`interval_secs`, `scope`, `exclude`, `tls_targets`, `domains`,
//! `disabled_rules`); `site` and `version` are the collector's to set.

mod validate;

use std::path::Path;

use serde::{Deserialize, Serialize};
use trustwatch_rules::{toml_location, Catalogue};

use crate::error::{Error, Result};

pub use validate::{MAX_ENTRIES, MAX_INTERVAL_SECS, MIN_INTERVAL_SECS};

/// What a site's agents are told, besides its site and version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_secs: Option<u64>,
    /// When non-empty, agents scan only targets inside it.
    #[serde(default)]
    pub scope: Vec<String>,
    /// Never scanned, on top of each agent's own exclusions.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// `host:port` TLS endpoints scanned in addition to the agent's own.
    #[serde(default)]
    pub tls_targets: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    /// Rule ids, or prefixes ending in `*`, whose findings are not reported.
    #[serde(default)]
    pub disabled_rules: Vec<String>,
}

/// A fault in a policy: the key (`scope[2]`), the value, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub key: String,
    pub value: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            Some(v) => write!(f, "policy key `{}`: `{v}` {}", self.key, self.message),
            None => write!(f, "policy key `{}`: {}", self.key, self.message),
        }
    }
}

impl PolicyBody {
    /// Every check, the first fault returned.
    pub fn validate(&self, catalogue: &Catalogue) -> std::result::Result<(), Fault> {
        validate::check(self, catalogue)
    }
}

/// Reads and validates a policy file, naming file, line and key on error.
pub fn load(file: &Path, catalogue: &Catalogue) -> Result<PolicyBody> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::ConfigRead {
        file: file.to_owned(),
        source,
    })?;
    parse_toml(&text, file, catalogue)
}

pub fn parse_toml(text: &str, file: &Path, catalogue: &Catalogue) -> Result<PolicyBody> {
    let body: PolicyBody = toml::from_str(text).map_err(|e| {
        let (line, key) = toml_location::of_error(text, &e);
        Error::ConfigSyntax {
            file: file.to_owned(),
            line,
            key,
            message: e.message().trim().to_owned(),
        }
    })?;
    body.validate(catalogue).map_err(|fault| {
        let base = fault.key.split('[').next().unwrap_or(&fault.key);
        // The value's own line when it is written once; else its key's.
        let line = fault
            .value
            .as_ref()
            .map(|v| format!("\"{v}\""))
            .filter(|quoted| text.matches(quoted.as_str()).count() == 1)
            .map(|quoted| toml_location::line_of_text(text, &quoted))
            .unwrap_or_else(|| toml_location::line_of_key(text, None, base));
        Error::ConfigInvalid {
            file: file.to_owned(),
            line,
            key: fault.key.clone(),
            message: match &fault.value {
                Some(v) => format!("`{v}` {}", fault.message),
                None => fault.message.clone(),
            },
        }
    })?;
    Ok(body)
}

/// A policy sent as JSON to the admin API; the error is one sentence.
pub fn parse_json(bytes: &[u8], catalogue: &Catalogue) -> std::result::Result<PolicyBody, String> {
    let body: PolicyBody = serde_json::from_slice(bytes)
        .map_err(|e| format!("the policy is not a JSON object with the policy keys: {e}"))?;
    body.validate(catalogue).map_err(|f| f.to_string())?;
    Ok(body)
}

#[cfg(test)]
mod tests;
