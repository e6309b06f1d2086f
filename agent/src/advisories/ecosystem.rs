//! OSV ecosystem strings for the distributions Trustwatch assesses, and
//! which of them apply to a system.
//!
//! The strings are the ones OSV publishes (osv-schema's ecosystem list and
//! the publishers' own records):
//!
//! | publisher | OSV ecosystem | key |
//! |---|---|---|
//! | Debian | `Debian:12`, `Debian:11` | `Debian:12` |
//! | Ubuntu | `Ubuntu:22.04:LTS`, `Ubuntu:24.10` | `Ubuntu:22.04` |
//! | Ubuntu Pro (ESM) | `Ubuntu:Pro:18.04:LTS` | `Ubuntu:Pro:18.04` |
//! | Alpine | `Alpine:v3.19` | `Alpine:v3.19` |
//! | Red Hat | `Red Hat:enterprise_linux:9::appstream`, `…::baseos` | `Red Hat:9` |
//! | Rocky Linux | `Rocky Linux:9` | `Rocky Linux:9` |
//! | AlmaLinux | `AlmaLinux:9` | `AlmaLinux:9` |
//!
//! Each publisher's records apply to its own distribution only: RHEL
//! records to `rhel`, Rocky's to `rocky`, AlmaLinux's to `almalinux`. A
//! rebuild's fixed versions carry its own release tags and arrive on its own
//! dates, so judging Rocky against Red Hat's errata would report fixes the
//! system cannot yet install. CentOS has no OSV publisher and gets no key.
//! Red Hat's extended-support streams (`rhel_eus:9.2`, `rhel_aus`, `rhel_e4s`)
//! and Ubuntu's FIPS streams need enrolment this agent does not yet observe
//! and are reported as not assessed.

use std::fmt;

use trustwatch_rules::observe::packages::{OsRelease, PackageFormat};

use crate::packages::version::VersionScheme;

/// A distribution with an OSV publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Distro {
    Debian,
    Ubuntu,
    /// Ubuntu Pro's ESM archive: `Ubuntu:Pro:…` records.
    UbuntuPro,
    Alpine,
    RedHat,
    Rocky,
    Alma,
}

/// An assessed ecosystem: a distribution and its release, normalised so that
/// records and systems meet (`Ubuntu:22.04:LTS` and VERSION_ID `22.04` both
/// give `Ubuntu:22.04`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EcosystemKey {
    pub distro: Distro,
    /// `12`, `22.04`, `3.19`, `9`.
    pub release: String,
}

impl EcosystemKey {
    /// Reads an OSV ecosystem string; `None` for ecosystems Trustwatch does
    /// not assess.
    pub fn parse(ecosystem: &str) -> Option<EcosystemKey> {
        let parts: Vec<&str> = ecosystem.split(':').collect();
        let key = |distro, release: &str| {
            Some(EcosystemKey {
                distro,
                release: release.to_owned(),
            })
        };
        match parts.as_slice() {
            ["Debian", release] if is_number(release) => key(Distro::Debian, release),
            ["Ubuntu", "Pro", release, rest @ ..] if ubuntu_release(release, rest) => {
                key(Distro::UbuntuPro, release)
            }
            ["Ubuntu", release, rest @ ..] if ubuntu_release(release, rest) => {
                key(Distro::Ubuntu, release)
            }
            ["Alpine", release] => {
                let release = release.strip_prefix('v')?;
                is_dotted(release, 2).then_some(())?;
                key(Distro::Alpine, release)
            }
            // CPE-shaped: `Red Hat:enterprise_linux:9::appstream`. Only the
            // main stream; EUS/AUS/E4S are minor-release streams.
            ["Red Hat", "enterprise_linux", major, ..] if is_number(major) => {
                key(Distro::RedHat, major)
            }
            ["Rocky Linux", major] if is_number(major) => key(Distro::Rocky, major),
            ["AlmaLinux", major] if is_number(major) => key(Distro::Alma, major),
            _ => None,
        }
    }

    /// The version order of the distribution's packages.
    pub fn scheme(&self) -> VersionScheme {
        match self.distro {
            Distro::Debian | Distro::Ubuntu | Distro::UbuntuPro => VersionScheme::Dpkg,
            Distro::Alpine => VersionScheme::Apk,
            Distro::RedHat | Distro::Rocky | Distro::Alma => VersionScheme::Rpm,
        }
    }

    /// The package format whose packages this ecosystem's records name.
    pub fn format(&self) -> PackageFormat {
        match self.scheme() {
            VersionScheme::Dpkg => PackageFormat::Dpkg,
            VersionScheme::Rpm => PackageFormat::Rpm,
            VersionScheme::Apk => PackageFormat::Apk,
        }
    }

    /// Whether the records name source packages (Debian, Ubuntu, Alpine) or
    /// binary packages (the Red Hat family).
    pub fn names_source_packages(&self) -> bool {
        !matches!(self.distro, Distro::RedHat | Distro::Rocky | Distro::Alma)
    }
}

impl fmt::Display for EcosystemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.release;
        match self.distro {
            Distro::Debian => write!(f, "Debian:{r}"),
            Distro::Ubuntu => write!(f, "Ubuntu:{r}"),
            Distro::UbuntuPro => write!(f, "Ubuntu:Pro:{r}"),
            Distro::Alpine => write!(f, "Alpine:v{r}"),
            Distro::RedHat => write!(f, "Red Hat:{r}"),
            Distro::Rocky => write!(f, "Rocky Linux:{r}"),
            Distro::Alma => write!(f, "AlmaLinux:{r}"),
        }
    }
}

/// The ecosystems whose records apply to a system, from its os-release.
/// Empty when none do (an unknown distribution, a missing VERSION_ID).
pub fn ecosystems_for(os: &OsRelease) -> Vec<EcosystemKey> {
    let Some(version) = os.version_id.as_deref() else {
        return Vec::new();
    };
    let key = |distro, release: &str| EcosystemKey {
        distro,
        release: release.to_owned(),
    };
    let major = version.split('.').next().unwrap_or_default();
    match os.id.as_str() {
        "debian" if is_number(major) => vec![key(Distro::Debian, major)],
        "ubuntu" if is_dotted(version, 2) => {
            let mut keys = vec![key(Distro::Ubuntu, version)];
            // ESM fixes are only installable with Ubuntu Pro enrolled.
            if os.extended_support.iter().any(|s| s == "ubuntu-pro-esm") {
                keys.push(key(Distro::UbuntuPro, version));
            }
            keys
        }
        "alpine" => {
            let mut parts = version.split('.');
            match (parts.next(), parts.next()) {
                (Some(a), Some(b)) if is_number(a) && is_number(b) => {
                    vec![key(Distro::Alpine, &format!("{a}.{b}"))]
                }
                _ => Vec::new(),
            }
        }
        "rhel" if is_number(major) => vec![key(Distro::RedHat, major)],
        "rocky" if is_number(major) => vec![key(Distro::Rocky, major)],
        "almalinux" if is_number(major) => vec![key(Distro::Alma, major)],
        _ => Vec::new(),
    }
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// `n.n` (with `parts` numbers).
fn is_dotted(text: &str, parts: usize) -> bool {
    let split: Vec<&str> = text.split('.').collect();
    split.len() == parts && split.iter().all(|p| is_number(p))
}

/// `22.04` optionally followed by `LTS` and nothing else.
fn ubuntu_release(release: &str, rest: &[&str]) -> bool {
    is_dotted(release, 2) && matches!(rest, [] | ["LTS"])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str) -> Option<String> {
        EcosystemKey::parse(s).map(|k| k.to_string())
    }

    #[test]
    fn osv_ecosystem_strings() {
        assert_eq!(parsed("Debian:12").as_deref(), Some("Debian:12"));
        assert_eq!(parsed("Debian:11").as_deref(), Some("Debian:11"));
        assert_eq!(parsed("Ubuntu:22.04:LTS").as_deref(), Some("Ubuntu:22.04"));
        assert_eq!(parsed("Ubuntu:24.10").as_deref(), Some("Ubuntu:24.10"));
        assert_eq!(
            parsed("Ubuntu:Pro:18.04:LTS").as_deref(),
            Some("Ubuntu:Pro:18.04")
        );
        assert_eq!(parsed("Alpine:v3.19").as_deref(), Some("Alpine:v3.19"));
        assert_eq!(
            parsed("Red Hat:enterprise_linux:9::appstream").as_deref(),
            Some("Red Hat:9")
        );
        assert_eq!(
            parsed("Red Hat:enterprise_linux:8::baseos").as_deref(),
            Some("Red Hat:8")
        );
        assert_eq!(parsed("Rocky Linux:9").as_deref(), Some("Rocky Linux:9"));
        assert_eq!(parsed("AlmaLinux:9").as_deref(), Some("AlmaLinux:9"));
        for other in [
            "Debian",
            "Debian:sid",
            "Ubuntu:Pro:FIPS-updates:22.04:LTS",
            "Ubuntu:22.04:LTS:extra",
            "Alpine:3.19",
            "Alpine:v3",
            "Red Hat:rhel_eus:9.2::appstream",
            "openEuler:22.03-LTS",
            "PyPI",
            "",
        ] {
            assert_eq!(parsed(other), None, "{other}");
        }
    }

    #[test]
    fn schemes() {
        let scheme = |s| EcosystemKey::parse(s).unwrap().scheme();
        assert_eq!(scheme("Debian:12"), VersionScheme::Dpkg);
        assert_eq!(scheme("Ubuntu:Pro:16.04:LTS"), VersionScheme::Dpkg);
        assert_eq!(scheme("Alpine:v3.20"), VersionScheme::Apk);
        assert_eq!(scheme("AlmaLinux:8"), VersionScheme::Rpm);
    }

    fn os(id: &str, version: Option<&str>, ext: &[&str]) -> OsRelease {
        OsRelease {
            id: id.into(),
            version_id: version.map(Into::into),
            extended_support: ext.iter().map(|s| s.to_string()).collect(),
            ..OsRelease::default()
        }
    }

    #[test]
    fn keys_from_os_release() {
        let keys = |o: &OsRelease| -> Vec<String> {
            ecosystems_for(o).iter().map(ToString::to_string).collect()
        };
        assert_eq!(keys(&os("debian", Some("12"), &[])), ["Debian:12"]);
        assert_eq!(keys(&os("ubuntu", Some("22.04"), &[])), ["Ubuntu:22.04"]);
        assert_eq!(
            keys(&os("ubuntu", Some("22.04"), &["ubuntu-pro-esm"])),
            ["Ubuntu:22.04", "Ubuntu:Pro:22.04"]
        );
        assert_eq!(keys(&os("alpine", Some("3.19.1"), &[])), ["Alpine:v3.19"]);
        assert_eq!(keys(&os("rhel", Some("9.4"), &[])), ["Red Hat:9"]);
        assert_eq!(keys(&os("rocky", Some("9.3"), &[])), ["Rocky Linux:9"]);
        assert_eq!(keys(&os("almalinux", Some("9.4"), &[])), ["AlmaLinux:9"]);
        assert!(keys(&os("centos", Some("9"), &[])).is_empty());
        assert!(keys(&os("debian", None, &[])).is_empty());
        assert!(keys(&os("windows", Some("10.0.19045"), &[])).is_empty());
        // Records and systems meet on the same key.
        assert_eq!(
            ecosystems_for(&os("ubuntu", Some("22.04"), &[]))[0],
            EcosystemKey::parse("Ubuntu:22.04:LTS").unwrap()
        );
    }
}
