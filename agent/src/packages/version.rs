//! Package versions compared the way each package manager compares them:
//! RPM's (the Red Hat family) through the `rpm-version` crate, dpkg's
//! (Debian, Ubuntu) written here after dpkg's `verrevcmp`. The `debversion`
//! crate was tried first and disagreed with libapt on trailing zero runs
//! (`99deb11u00` = `99deb11u` to dpkg; `10.00~~` < `10.`), which is
//! exactly where Debian security revisions live. Both orders are checked
//! against the distributions' own code (python3-apt, python3-rpm) on
//! 100,000 generated pairs each in `tests/tests/version_order.rs`.

use std::cmp::Ordering;

/// Which package manager's ordering applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionScheme {
    /// `[epoch:]upstream[-revision]`, dpkg's order (`~` sorts first).
    Dpkg,
    /// `[epoch:]version[-release]`, rpmvercmp's order (`~` before, `^`
    /// after).
    Rpm,
    // TEMP(h2): replaced by h4's apk ordering at merge
    /// `version-rREL`, apk-tools' order (not implemented in this tree).
    Apk,
}

impl VersionScheme {
    pub fn name(self) -> &'static str {
        match self {
            VersionScheme::Dpkg => "dpkg",
            VersionScheme::Rpm => "rpm",
            // TEMP(h2): replaced by h4's apk ordering at merge
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

/// Orders `a` against `b` in `scheme`'s order.
pub fn compare(scheme: VersionScheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match scheme {
        VersionScheme::Dpkg => Ok(dpkg(a)?.cmp(&dpkg(b)?)),
        // rpmvercmp reads any string: there is no invalid RPM version.
        VersionScheme::Rpm => Ok(rpm_version::rpm_evr_compare(a, b)),
        // TEMP(h2): replaced by h4's apk ordering at merge
        VersionScheme::Apk => Err(VersionError {
            scheme: "apk",
            version: a.to_owned(),
            reason: "apk ordering is not in this build yet".to_owned(),
        }),
    }
}

/// A dpkg version split into its parts.
struct Dpkg<'a> {
    epoch: u64,
    upstream: &'a [u8],
    revision: &'a [u8],
}

impl Dpkg<'_> {
    fn cmp(&self, other: &Dpkg<'_>) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream, other.upstream))
            .then_with(|| verrevcmp(self.revision, other.revision))
    }
}

/// Parses `[epoch:]upstream[-revision]` as dpkg does: the epoch up to the
/// first colon, the revision after the last hyphen (absent is empty, which
/// dpkg orders equal to `0`).
fn dpkg(text: &str) -> Result<Dpkg<'_>, VersionError> {
    let bad = |reason: &str| VersionError {
        scheme: VersionScheme::Dpkg.name(),
        version: text.to_owned(),
        reason: reason.to_owned(),
    };
    let (epoch, rest) = match text.split_once(':') {
        Some((e, rest)) => {
            if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("the epoch is not a number"));
            }
            (
                e.parse::<u64>()
                    .map_err(|_| bad("the epoch is too large"))?,
                rest,
            )
        }
        None => (0, text),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((_, "")) => return Err(bad("the revision after the last hyphen is empty")),
        Some((u, r)) => (u, r),
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err(bad("the upstream version is empty"));
    }
    let allowed = |b: u8, extra: &[u8]| {
        b.is_ascii_alphanumeric() || b"+.~".contains(&b) || extra.contains(&b)
    };
    if !upstream.bytes().all(|b| allowed(b, b"-:")) || !revision.bytes().all(|b| allowed(b, b"")) {
        return Err(bad("it holds a character dpkg does not allow"));
    }
    Ok(Dpkg {
        epoch,
        upstream: upstream.as_bytes(),
        revision: revision.as_bytes(),
    })
}

/// dpkg's weight of one character: `~` before the end, the end (and a
/// digit, compared apart) at 0, letters by ASCII, everything else after.
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating runs of non-digits (by [`weight`]) and
/// digits (by numeric value, leading zeros ignored).
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let digit = |s: &[u8], i: usize| s.get(i).is_some_and(u8::is_ascii_digit);
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (wa, wb) = (weight(a.get(i).copied()), weight(b.get(j).copied()));
            if wa != wb {
                return wa.cmp(&wb);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backports_and_tildes_in_dpkg_order() {
        let lt = |a, b| compare(VersionScheme::Dpkg, a, b).unwrap() == Ordering::Less;
        // A Debian security fix of an older upstream is newer than the
        // release it patches, whatever upstream version numbers say.
        assert!(lt("1.1.1n-0+deb11u4", "1.1.1n-0+deb11u5"));
        assert!(lt("2.4.56-1~deb11u1", "2.4.56-1"));
        assert!(lt("1.0~rc1", "1.0"));
        assert!(lt("9.9", "1:0.1"));
        assert!(compare(VersionScheme::Dpkg, "", "1.0").is_err());
        assert!(compare(VersionScheme::Dpkg, "x:1.0", "1.0").is_err());
        assert!(compare(VersionScheme::Dpkg, "1.0-", "1.0").is_err());
        // Where the debversion crate disagreed with libapt.
        let eq = |a, b| compare(VersionScheme::Dpkg, a, b).unwrap() == Ordering::Equal;
        assert!(eq("99deb11u00", "99deb11u"));
        assert!(eq("1.0", "1.0-0"));
        assert!(lt("10.00~~", "10."));
        assert!(lt("1a00", "1a-01+"));
    }

    #[test]
    fn carets_and_epochs_in_rpm_order() {
        let lt = |a, b| compare(VersionScheme::Rpm, a, b).unwrap() == Ordering::Less;
        assert!(lt("1.0~rc1-1", "1.0-1"));
        assert!(lt("1.0-1", "1.0^git1-1"));
        assert!(lt("9.9-1", "1:0.1-1"));
        assert!(lt("3.0.7-24.el9", "3.0.7-25.el9"));
    }
}
