//! Observations of a system's software and patch state: what the agent reads
//! from a root filesystem (the running host's `/` or a mounted image) and
//! which advisories its installed packages match.
//!
//! The agent fills these in (inventory readers, the advisory index, each
//! ecosystem's version ordering); the OS-001 and PATCH-001…004 rules read
//! them. Anything the agent could not read is recorded as a problem or a
//! `None`, never guessed, so the rules can say `error` rather than pass.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Everything read from one system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemObservation {
    /// The finding target: the host name for the running host, or the
    /// root directory given with `--root`.
    pub target: String,
    /// The root directory read (`/` for the running host).
    pub root: String,
    /// From os-release; `None` when no os-release could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsRelease>,
    /// Which package databases were read, e.g. `/var/lib/dpkg/status`.
    #[serde(default)]
    pub package_sources: Vec<String>,
    pub packages: Vec<InstalledPackage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<KernelState>,
    pub reboot: RebootState,
    pub auto_updates: AutoUpdates,
    /// One sentence per thing that could not be read (a corrupt paragraph
    /// of the dpkg status file, an unreadable rpmdb), naming the file and
    /// the record. Everything else was still read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// The fields of os-release(5) the rules need.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsRelease {
    /// `ID`: `debian`, `ubuntu`, `rhel`, `rocky`, `almalinux`, `alpine`,
    /// `centos`, … (`windows` for a Windows system).
    pub id: String,
    /// `ID_LIKE`, split on spaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    /// `VERSION_ID`: `12`, `22.04`, `9.4`, `3.19.1`; for Windows the build
    /// (`10.0.19045`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `VERSION_CODENAME`: `bookworm`, `jammy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// `PRETTY_NAME`, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// Edition or variant where the lifecycle depends on it (Windows
    /// `Enterprise`/`Pro`/`Server`; os-release `VARIANT_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    /// Paid or community extended support the system is seen to be enrolled
    /// in (Ubuntu Pro ESM, Freexian ELTS, RHEL ELS), from its package
    /// sources; the lifecycle table says which dates it extends to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended_support: Vec<String>,
}

/// The package format, which also fixes the version ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageFormat {
    Dpkg,
    Rpm,
    Apk,
}

impl PackageFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            PackageFormat::Dpkg => "dpkg",
            PackageFormat::Rpm => "rpm",
            PackageFormat::Apk => "apk",
        }
    }
}

/// One installed binary package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledPackage {
    pub format: PackageFormat,
    /// The binary package name (`libssl3`, `openssl-libs`, `musl`).
    pub name: String,
    /// The full version as the package manager writes it, epoch included
    /// (`1:2.3-4`, `1:3.0.7-27.el9`, `1.2.4-r2`).
    pub version: String,
    /// The source package (dpkg `Source:`, rpm `SOURCERPM` without
    /// `-version-release.src.rpm`, apk `o:`); `None` when it equals `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The source version when it differs from `version` (dpkg binNMUs
    /// and `Source: name (version)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
}

impl InstalledPackage {
    /// The source package name: what Debian, Ubuntu and Alpine advisories
    /// name.
    pub fn source(&self) -> &str {
        self.source_name.as_deref().unwrap_or(&self.name)
    }

    /// The source version, falling back to the binary version.
    pub fn source_version(&self) -> &str {
        self.source_version.as_deref().unwrap_or(&self.version)
    }
}

/// Running versus installed kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelState {
    /// `uname -r` of the running kernel; `None` when assessing a `--root`
    /// that is not the running system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<String>,
    /// Kernel releases installed on disk (`/lib/modules/*`, kernel
    /// packages), newest last, in the package format's order.
    pub installed: Vec<String>,
    /// True when a newer kernel than the running one is installed; `None`
    /// when that cannot be told (no running kernel, nothing installed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newer_installed: Option<bool>,
    /// When the newest installed kernel was put on disk (the modification
    /// time of its module folder or image): it dates a pending reboot where
    /// no marker does, as on the Red Hat family.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub newest_installed_at: Option<OffsetDateTime>,
}

/// Reboot-required markers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebootState {
    /// A marker says a reboot is needed (`/run/reboot-required`, or
    /// `/var/run/reboot-required`).
    pub required: bool,
    /// When the marker was written (its modification time), for the
    /// 14-day allowance.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub since: Option<OffsetDateTime>,
    /// Packages that asked for it (`reboot-required.pkgs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    /// The marker files looked at.
    #[serde(default)]
    pub checked: Vec<String>,
}

/// Automatic update configuration and its last success.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoUpdates {
    /// `unattended-upgrades`, `dnf-automatic`, `apk` (none exists); `None`
    /// when no automatic-update tool is installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Configured to install updates (APT::Periodic::Unattended-Upgrade
    /// "1"; dnf-automatic `apply_updates = yes` with its timer enabled).
    pub enabled: bool,
    /// The configuration lines that decided `enabled`, with their files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The last successful run, from the tool's stamp or log.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_success: Option<OffsetDateTime>,
    /// Where `last_success` was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success_source: Option<String>,
}

/// An advisory whose affected range contains an installed package version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvisoryMatch {
    /// OSV id: `DSA-5532-1`, `DLA-3623-1`, `USN-6315-1`,
    /// `ALPINE-CVE-2023-5678`, `RHSA-2024:0001`, `DEBIAN-CVE-2024-1234`.
    pub id: String,
    /// The CVE ids it covers (the id itself when it is a CVE, plus OSV
    /// `aliases` and `upstream`).
    #[serde(default)]
    pub cves: Vec<String>,
    /// The OSV ecosystem it was matched in (`Debian:12`).
    pub ecosystem: String,
    /// The package name the advisory names (a source package for Debian,
    /// Ubuntu and Alpine; a binary one for the Red Hat family).
    pub package: String,
    /// The installed binary packages built from it.
    pub binaries: Vec<String>,
    pub installed_version: String,
    /// The version that fixes it; `None` when no fix is published yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    /// When the fix was published: the advisory's `published` date.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub published: Option<OffsetDateTime>,
    pub severity: AdvisorySeverity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// An advisory's severity as its publisher rated it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdvisorySeverity {
    /// The publisher's word, lower case (`critical`, `high`, `important`,
    /// `medium`, `moderate`, `low`, `negligible`); `None` if unrated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<String>,
    /// CVSS v3 (or v4) base score computed from the record's vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
}

/// A versioned data file a result depends on (advisory index, lifecycle
/// table, alert list), recorded in every report so that a finding can be
/// re-justified at audit time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSource {
    /// `advisories`, `lifecycle`, `alerts`.
    pub kind: String,
    /// The file or directory read.
    pub path: String,
    /// The data's own version (the lifecycle table's `version`, the KEV
    /// `catalogVersion`, the index's import id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The data's date: the newest `modified` among the advisories, the
    /// table's or list's release date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Records it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    /// SHA-256 of the data file(s), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}
