//! The baseline catalogue: every rule's id, title, severity, mappings,
//! rationale and remediation, loaded from the TOML files under
//! `rules/baseline/` (embedded in the binary, or read from a folder a trust
//! maintains) and validated before anything uses it.

mod embedded;
mod load;
pub mod validate;

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::CatalogueError;
use crate::report::BaselineRef;
use crate::severity::Severity;

/// Where a rule's evidence is gathered from (baseline.md §2.1 "Mode").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// From the internet's side of the trust's perimeter.
    External,
    /// From an agent on the trust's own network segment.
    Internal,
    /// DNS and HTTPS lookups for the trust's domains.
    Dns,
    /// A local check by the agent on its own host.
    Agent,
    /// Computed by the collector from what agents report.
    Collector,
}

/// One rule of the baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub id: String,
    pub title: String,
    /// Severity for the internet-facing case.
    pub severity: Severity,
    /// Severity when the exposure is internal; one level lower unless the
    /// catalogue states it.
    pub internal_severity: Severity,
    /// Where the catalogue makes severity depend on the result.
    pub severity_note: Option<String>,
    pub modes: Vec<Mode>,
    pub evidence: String,
    pub pass_condition: String,
    pub rationale: String,
    pub remediation: String,
    pub controls: Vec<String>,
    /// Controls whose source wording could not be verified.
    pub unverified_controls: Vec<String>,
    /// No mandate was found: reported, but not counted against a
    /// CE/DSPT mapping on its own.
    pub best_practice: bool,
}

impl Rule {
    /// The family prefix of the id, e.g. `TLS` for `TLS-003`.
    pub fn family(&self) -> &str {
        self.id.split('-').next().unwrap_or(&self.id)
    }
}

/// The catalogue's own identity, from `baseline.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub id: String,
    pub version: String,
    pub title: String,
    /// The rule files, in the order they are read.
    pub files: Vec<String>,
}

/// A validated set of rules.
#[derive(Debug, Clone)]
pub struct Catalogue {
    baseline: Baseline,
    rules: Vec<Rule>,
    by_id: HashMap<String, usize>,
}

/// The name of the metadata file in a baseline folder.
pub const BASELINE_FILE: &str = "baseline.toml";

impl Catalogue {
    /// The catalogue compiled into this binary (the files under
    /// `rules/baseline/`). Its validity is asserted by this crate's tests.
    pub fn embedded() -> Result<Catalogue, CatalogueError> {
        let dir = Path::new("rules/baseline");
        load::from_sources(dir, embedded::BASELINE, |name| {
            embedded::rule_file(name).ok_or_else(|| CatalogueError::Invalid {
                file: dir.join(BASELINE_FILE),
                line: load::line_of_text(embedded::BASELINE, name),
                rule: "-".into(),
                key: "files".into(),
                message: format!("lists `{name}`, which is not compiled into this binary"),
            })
        })
    }

    /// Reads a catalogue from a folder holding `baseline.toml` and the rule
    /// files it lists.
    pub fn load_dir(dir: &Path) -> Result<Catalogue, CatalogueError> {
        load::from_dir(dir)
    }

    pub(crate) fn new(baseline: Baseline, rules: Vec<Rule>) -> Catalogue {
        let by_id = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        Catalogue {
            baseline,
            rules,
            by_id,
        }
    }

    pub fn baseline(&self) -> &Baseline {
        &self.baseline
    }

    pub fn baseline_ref(&self) -> BaselineRef {
        BaselineRef {
            id: self.baseline.id.clone(),
            version: self.baseline.version.clone(),
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }
}
