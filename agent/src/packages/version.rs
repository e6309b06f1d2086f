//! Package versions compared the way each package manager compares them:
//! RPM's (the Red Hat family) through the `rpm-version` crate, dpkg's
//! (Debian, Ubuntu) in [`dpkg`] after dpkg's `verrevcmp`, apk's (Alpine) in
//! [`apk`] after apk-tools' `apk_version_compare`. The dpkg and RPM orders
//! are checked against the distributions' own code (python3-apt,
//! python3-rpm) on 100,000 generated pairs each in
//! `tests/tests/version_order.rs`; apk has no such oracle on Debian, so its
//! checks are apk-tools' own test pairs, property tests against a model,
//! and a cross-check with `univers` whose known differences are listed.

use std::cmp::Ordering;

mod apk;
mod dpkg;

/// Which package manager's ordering applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionScheme {
    /// `[epoch:]upstream[-revision]`, dpkg's order (`~` sorts first).
    Dpkg,
    /// `[epoch:]version[-release]`, rpmvercmp's order (`~` before, `^`
    /// after).
    Rpm,
    /// `digits{.digits}{letter}{_suffix{digits}}{~hash}{-rN}`, apk-tools'
    /// order (`_alpha` < `_beta` < `_pre` < `_rc` < none < `_cvs` < `_svn`
    /// < `_git` < `_hg` < `_p`).
    Apk,
}

impl VersionScheme {
    /// The package manager's name, as used in messages.
    pub fn name(self) -> &'static str {
        match self {
            VersionScheme::Dpkg => "dpkg",
            VersionScheme::Rpm => "rpm",
            VersionScheme::Apk => "apk",
        }
    }
}

/// A version string the scheme cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{version:?} is not a valid {scheme} version: {reason}")]
pub struct VersionError {
    pub scheme: &'static str,
    pub version: String,
    pub reason: String,
}

impl VersionError {
    fn new(scheme: VersionScheme, version: &str, reason: impl Into<String>) -> Self {
        VersionError {
            scheme: scheme.name(),
            version: version.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Orders `a` against `b` in `scheme`'s order.
pub fn compare(scheme: VersionScheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match scheme {
        VersionScheme::Dpkg => dpkg::compare(a, b),
        // rpmvercmp reads any string: there is no invalid RPM version.
        VersionScheme::Rpm => Ok(rpm_version::rpm_evr_compare(a, b)),
        VersionScheme::Apk => apk::compare(a, b),
    }
}

/// Checks that `scheme` can read `version`, for readers that must refuse a
/// corrupt record before anything compares with it.
pub fn validate(scheme: VersionScheme, version: &str) -> Result<(), VersionError> {
    // Comparing a version with itself parses it and nothing more.
    compare(scheme, version, version).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_and_epochs_in_rpm_order() {
        let lt = |a, b| compare(VersionScheme::Rpm, a, b).unwrap() == Ordering::Less;
        assert!(lt("1.0~rc1-1", "1.0-1"));
        assert!(lt("1.0-1", "1.0^git1-1"));
        assert!(lt("9.9-1", "1:0.1-1"));
        assert!(lt("3.0.7-24.el9", "3.0.7-25.el9"));
    }

    #[test]
    fn errors_name_the_scheme() {
        let err = compare(VersionScheme::Apk, "1.0", "v1.0").unwrap_err();
        assert_eq!(err.scheme, "apk");
        assert_eq!(err.version, "v1.0");
        assert!(err
            .to_string()
            .starts_with("\"v1.0\" is not a valid apk version: "));
    }
}
