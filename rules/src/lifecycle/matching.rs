//! How an os-release `VERSION_ID` is matched with the table's `version`
//! key, per operating system, and which key shapes the table may use.

use crate::observe::OsRelease;

/// How many dotted components of `VERSION_ID` make the match key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    /// Debian and the Red Hat family: `12`, `9` (from `9.4`).
    Major,
    /// Ubuntu: `22.04`, compared whole.
    Exact,
    /// Alpine: `3.19` (from `3.19.1`).
    MajorMinor,
    /// Windows: `10.0.19045` (from `10.0.19045.4529`).
    Build,
}

fn scheme(os: &str) -> Option<Scheme> {
    Some(match os {
        "debian" | "rhel" | "rocky" | "almalinux" | "centos" => Scheme::Major,
        "ubuntu" => Scheme::Exact,
        "alpine" => Scheme::MajorMinor,
        "windows" | "windows-server" => Scheme::Build,
        _ => return None,
    })
}

/// The os id to look up: `ID` in lower case, except that a Windows system
/// whose edition names a server is looked up as `windows-server`, because
/// client and server releases share build numbers.
pub(super) fn table_os(os: &OsRelease) -> String {
    let id = os.id.trim().to_ascii_lowercase();
    let server = os
        .edition
        .as_deref()
        .is_some_and(|e| e.to_ascii_lowercase().contains("server"));
    if id == "windows" && server {
        "windows-server".into()
    } else {
        id
    }
}

/// The key `version_id` matches under `os`'s scheme, or `None` when the
/// code has no scheme for `os` (the caller then matches by prefix).
pub(super) fn match_key(os: &str, version_id: &str) -> Option<String> {
    let take = |n: usize| version_id.split('.').take(n).collect::<Vec<_>>().join(".");
    Some(match scheme(os)? {
        Scheme::Major => take(1),
        Scheme::Exact => version_id.to_owned(),
        Scheme::MajorMinor => take(2),
        Scheme::Build => take(3),
    })
}

/// True when `key` is `version_id` or its leading dotted components
/// (`8` of `8.9`, but not `8` of `80`).
pub(super) fn is_dotted_prefix(key: &str, version_id: &str) -> bool {
    version_id == key
        || version_id
            .strip_prefix(key)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// Checks a table key's shape for its OS; the message says what is wanted.
pub(super) fn check_key(os: &str, key: &str) -> Result<(), String> {
    let parts: Vec<&str> = key.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let (ok, wanted) = match scheme(os) {
        Some(Scheme::Major) => (numeric && parts.len() == 1, "a major version such as `12`"),
        Some(Scheme::Exact) => (
            numeric && parts.len() == 2 && parts.iter().all(|p| p.len() == 2),
            "a release such as `22.04`",
        ),
        Some(Scheme::MajorMinor) => (numeric && parts.len() == 2, "a major.minor such as `3.19`"),
        Some(Scheme::Build) => (numeric && parts.len() == 3, "a build such as `10.0.19045`"),
        None => (numeric, "dotted numbers such as `8` or `8.9`"),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("`{key}` is not {wanted} for os `{os}`"))
    }
}

/// Checks an os id: lower case letters, digits, `.`, `_` and `-`, as
/// os-release(5) allows.
pub(super) fn check_os(os: &str) -> Result<(), String> {
    let ok = !os.is_empty()
        && os.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{os}` is not an os-release ID (lower case letters, digits, `.`, `_`, `-`)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_each_scheme() {
        assert_eq!(match_key("debian", "12").as_deref(), Some("12"));
        assert_eq!(match_key("rhel", "9.4").as_deref(), Some("9"));
        assert_eq!(match_key("rocky", "8.10").as_deref(), Some("8"));
        assert_eq!(match_key("ubuntu", "22.04").as_deref(), Some("22.04"));
        assert_eq!(match_key("alpine", "3.19.1").as_deref(), Some("3.19"));
        assert_eq!(
            match_key("windows", "10.0.19045.4529").as_deref(),
            Some("10.0.19045")
        );
        assert_eq!(match_key("ol", "8.9"), None);
    }

    #[test]
    fn prefixes_respect_dots() {
        assert!(is_dotted_prefix("8", "8.9"));
        assert!(is_dotted_prefix("8.9", "8.9"));
        assert!(!is_dotted_prefix("8", "80"));
        assert!(!is_dotted_prefix("8.9", "8"));
    }

    #[test]
    fn key_shapes_are_checked_per_os() {
        assert!(check_key("debian", "12").is_ok());
        assert!(check_key("debian", "12.1").is_err());
        assert!(check_key("ubuntu", "22.04").is_ok());
        assert!(check_key("ubuntu", "22.4").is_err());
        assert!(check_key("alpine", "3.19").is_ok());
        assert!(check_key("alpine", "3").is_err());
        assert!(check_key("windows", "10.0.19045").is_ok());
        assert!(check_key("windows-server", "6.3.9600").is_ok());
        assert!(check_key("windows", "10.0").is_err());
        assert!(check_key("ol", "8").is_ok());
        assert!(check_key("ol", "eight").is_err());
        assert!(check_os("windows-server").is_ok());
        assert!(check_os("Debian").is_err());
        assert!(check_os("").is_err());
    }

    #[test]
    fn windows_servers_are_looked_up_as_servers() {
        let mut os = OsRelease {
            id: "Windows".into(),
            edition: Some("ServerDatacenter".into()),
            ..OsRelease::default()
        };
        assert_eq!(table_os(&os), "windows-server");
        os.edition = Some("Enterprise".into());
        assert_eq!(table_os(&os), "windows");
        os.id = "debian".into();
        os.edition = Some("server".into());
        assert_eq!(table_os(&os), "debian");
    }
}
