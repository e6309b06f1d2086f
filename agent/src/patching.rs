//! A patch-level scan (`scan --packages`, the `[packages]` config table):
//! read a system's inventory, match it against the advisory index, and
//! judge it with OS-001 and PATCH-001…004.
//!
//! The plan is validated first, like every other scan: the root must be a
//! folder, the lifecycle table and alert list must parse, and the advisory
//! data must open, all before anything is read from the system. Damaged
//! records inside the data (a truncated OSV record, a bad alert line) do not
//! stop the scan: they are reported and the rest is used.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use trustwatch_rules::evaluate::{self, PackageScan};
use trustwatch_rules::observe::{DataSource, SystemObservation};
use trustwatch_rules::{AlertList, Catalogue, Finding, Lifecycle};

use crate::advisories::Index;
use crate::packages::{self, InventoryOptions};

/// Where the advisories come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdvisoryInput {
    /// The curated bundle compiled into the agent (`builtin`): real records,
    /// enough for a demonstration, not for assurance.
    Builtin,
    /// An index made by `advisories import`, or OSV data (a record, a
    /// folder, a zip export) imported into memory for this scan.
    Path(PathBuf),
}

impl AdvisoryInput {
    /// `builtin`, or a path.
    pub fn parse(text: &str) -> AdvisoryInput {
        if text == "builtin" {
            AdvisoryInput::Builtin
        } else {
            AdvisoryInput::Path(PathBuf::from(text))
        }
    }
}

/// Which part of a package scan a problem is about, so the command line
/// and the config file can each name their own flag or key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageField {
    Root,
    Advisories,
    Lifecycle,
    Alerts,
}

/// A package scan that cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct PackagePlanError {
    pub field: PackageField,
    pub problem: String,
}

/// What a package scan was asked to do, as written.
#[derive(Debug, Clone)]
pub struct PackageInput {
    /// The root filesystem to assess; `None` is the running system (`/`).
    pub root: Option<PathBuf>,
    pub advisories: AdvisoryInput,
    pub lifecycle: Option<PathBuf>,
    pub alerts: Option<PathBuf>,
}

/// A validated package scan: its data loaded, nothing read from the system
/// yet.
#[derive(Debug)]
pub struct PackagePlan {
    root: PathBuf,
    running: bool,
    index: Index,
    lifecycle: Lifecycle,
    lifecycle_source: DataSource,
    alerts: Option<(AlertList, DataSource)>,
    /// Problems met while loading the data (bad records skipped).
    pub data_problems: Vec<String>,
}

/// What a package scan found.
#[derive(Debug)]
pub struct PackageResult {
    pub findings: Vec<Finding>,
    pub data_sources: Vec<DataSource>,
    pub system: SystemObservation,
    /// Everything that could not be read or matched, one sentence each,
    /// naming the file and record: the data's, the inventory's and the
    /// matcher's.
    pub problems: Vec<String>,
}

impl PackagePlan {
    pub fn from_input(input: PackageInput) -> Result<PackagePlan, PackagePlanError> {
        let fail = |field, problem: String| PackagePlanError { field, problem };
        let (root, running) = match &input.root {
            None => (PathBuf::from("/"), true),
            Some(dir) if dir.is_dir() => (dir.clone(), is_running_root(dir)),
            Some(dir) => {
                return Err(fail(
                    PackageField::Root,
                    format!("{} is not a folder", dir.display()),
                ))
            }
        };
        // The errors of both files already name the file, line and key.
        let (lifecycle, lifecycle_source) = match &input.lifecycle {
            None => Lifecycle::embedded().map(|t| {
                let source = t.data_source("builtin");
                (t, source)
            }),
            Some(path) => Lifecycle::load(path).map(|t| {
                let source = t.data_source(&path.display().to_string());
                (t, source)
            }),
        }
        .map_err(|e| fail(PackageField::Lifecycle, e.to_string()))?;
        let mut data_problems = Vec::new();
        let alerts = match &input.alerts {
            None => None,
            Some(path) => {
                let list =
                    AlertList::load(path).map_err(|e| fail(PackageField::Alerts, e.to_string()))?;
                data_problems.extend(list.problems().iter().cloned());
                let source = list.data_source();
                Some((list, source))
            }
        };
        let index = match &input.advisories {
            AdvisoryInput::Builtin => Index::bundled(),
            AdvisoryInput::Path(path) => Index::load(path).map(|(index, summary)| {
                // Raw OSV data imported for this scan: its bad records are
                // the scan's problems; an index file reported its own when
                // it was made.
                if let Some(summary) = summary {
                    data_problems.extend(summary.problems);
                }
                index
            }),
        }
        .map_err(|e| fail(PackageField::Advisories, e.to_string()))?;
        Ok(PackagePlan {
            root,
            running,
            index,
            lifecycle,
            lifecycle_source,
            alerts,
            data_problems,
        })
    }

    /// Reads the system, matches it and judges it at `now`.
    pub fn run(&self, catalogue: &Catalogue, now: OffsetDateTime) -> PackageResult {
        let target = if self.running {
            crate::scan::local_host_name().unwrap_or_else(|| "localhost".into())
        } else {
            self.root.display().to_string()
        };
        let system = packages::read_system(
            &self.root,
            &InventoryOptions {
                target,
                running: self.running,
                now,
            },
        );
        let assessment = self.index.assess(&system);
        let findings = evaluate::packages(
            catalogue,
            &PackageScan {
                system: &system,
                matches: &assessment.matches,
                lifecycle: &self.lifecycle,
                alerts: self.alerts.as_ref().map(|(list, _)| list),
                advisories_assessed: !assessment.ecosystems.is_empty(),
                now,
            },
        );
        let mut data_sources = vec![self.index.data_source(), self.lifecycle_source.clone()];
        data_sources.extend(self.alerts.as_ref().map(|(_, source)| source.clone()));
        let mut problems = self.data_problems.clone();
        problems.extend(system.problems.iter().cloned());
        problems.extend(assessment.problems);
        // Each is also in the report where it matters (a finding's
        // evidence); the log tells the operator at once.
        for problem in &problems {
            tracing::warn!("{problem}");
        }
        PackageResult {
            findings,
            data_sources,
            system,
            problems,
        }
    }
}

/// A `--root` of `/` (however written) is the running system: its kernel
/// can be compared with what is installed.
fn is_running_root(dir: &Path) -> bool {
    match (dir.canonicalize(), Path::new("/").canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
