//! DICOM's association results in the standard's own words (PS3.8
//! §9.3.4, §9.3.8, §9.3.3.2), and the product behind an implementation
//! class UID / version name.

/// `rejected-permanent by service-user: called-AE-title-not-recognized`.
pub(super) fn rejection(result: u8, source: u8, reason: u8) -> String {
    let result = match result {
        1 => "rejected-permanent".to_owned(),
        2 => "rejected-transient".to_owned(),
        n => format!("rejected (result {n})"),
    };
    let (source, reason) = match (source, reason) {
        (1, 1) => ("service-user", "no-reason-given".to_owned()),
        (1, 2) => (
            "service-user",
            "application-context-name-not-supported".to_owned(),
        ),
        (1, 3) => ("service-user", "calling-AE-title-not-recognized".to_owned()),
        (1, 7) => ("service-user", "called-AE-title-not-recognized".to_owned()),
        (1, n) => ("service-user", format!("reason {n}")),
        (2, 1) => ("service-provider (ACSE)", "no-reason-given".to_owned()),
        (2, 2) => (
            "service-provider (ACSE)",
            "protocol-version-not-supported".to_owned(),
        ),
        (2, n) => ("service-provider (ACSE)", format!("reason {n}")),
        (3, 1) => (
            "service-provider (presentation)",
            "temporary-congestion".to_owned(),
        ),
        (3, 2) => (
            "service-provider (presentation)",
            "local-limit-exceeded".to_owned(),
        ),
        (3, n) => ("service-provider (presentation)", format!("reason {n}")),
        (s, n) => {
            return format!("{result} by source {s}: reason {n}");
        }
    };
    format!("{result} by {source}: {reason}")
}

/// `aborted by service-provider: unexpected-PDU`.
pub(super) fn abort(source: u8, reason: u8) -> String {
    match source {
        0 => "aborted by service-user".to_owned(),
        2 => {
            let reason = match reason {
                0 => "reason-not-specified".to_owned(),
                1 => "unrecognized-PDU".to_owned(),
                2 => "unexpected-PDU".to_owned(),
                4 => "unrecognized-PDU-parameter".to_owned(),
                5 => "unexpected-PDU-parameter".to_owned(),
                6 => "invalid-PDU-parameter-value".to_owned(),
                n => format!("reason {n}"),
            };
            format!("aborted by service-provider: {reason}")
        }
        s => format!("aborted by source {s}: reason {reason}"),
    }
}

/// The result of a presentation context in an A-ASSOCIATE-AC.
pub(super) fn context_result(result: u8) -> String {
    match result {
        0 => "acceptance".to_owned(),
        1 => "user-rejection".to_owned(),
        2 => "no-reason (provider-rejection)".to_owned(),
        3 => "abstract-syntax-not-supported (provider-rejection)".to_owned(),
        4 => "transfer-syntaxes-not-supported (provider-rejection)".to_owned(),
        n => format!("result {n}"),
    }
}

/// DCMTK's implementation class UID root: `<root>.<major>.<minor>.<patch>`.
const DCMTK_UID_ROOT: &str = "1.2.276.0.7230010.3.0.";
/// pynetdicom's: `<root>.<major>.<minor>.<patch>`.
const PYNETDICOM_UID_ROOT: &str = "1.2.826.0.1.3680043.9.3811.";

/// Product and version from what the peer said of its implementation:
/// DCMTK (`OFFIS_DCMTK_367`), pynetdicom (`PYNETDICOM_210`), dcm4che
/// (`dcm4che-5.31.0`); any other version name is the product itself.
pub(super) fn product(
    class_uid: Option<&str>,
    version_name: Option<&str>,
) -> (Option<String>, Option<String>) {
    let uid_version = |root: &str| {
        class_uid
            .and_then(|u| u.strip_prefix(root))
            .filter(|v| is_dotted(v))
    };
    if let Some(digits) = version_name.and_then(|n| n.strip_prefix("OFFIS_DCMTK_")) {
        let version = uid_version(DCMTK_UID_ROOT)
            .map(str::to_owned)
            .or_else(|| dotted_digits(digits));
        return (Some("DCMTK".into()), version);
    }
    if let Some(version) = uid_version(DCMTK_UID_ROOT) {
        return (Some("DCMTK".into()), Some(version.to_owned()));
    }
    if let Some(digits) = version_name.and_then(|n| n.strip_prefix("PYNETDICOM_")) {
        let version = uid_version(PYNETDICOM_UID_ROOT)
            .map(str::to_owned)
            .or_else(|| dotted_digits(digits));
        return (Some("pynetdicom".into()), version);
    }
    if let Some(version) = version_name.and_then(|n| n.strip_prefix("dcm4che-")) {
        return (Some("dcm4che".into()), Some(version.to_owned()));
    }
    match version_name {
        Some(name) if name.chars().any(|c| c.is_ascii_alphabetic()) => {
            (Some(name.to_owned()), None)
        }
        _ => (None, None),
    }
}

fn is_dotted(v: &str) -> bool {
    !v.is_empty()
        && v.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `367` → `3.6.7`, `3610` → `3.6.10`: major and minor are one digit each
/// in these names, the patch level takes the rest.
fn dotted_digits(digits: &str) -> Option<String> {
    if digits.len() < 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!(
        "{}.{}.{}",
        &digits[..1],
        &digits[1..2],
        &digits[2..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_in_words() {
        assert_eq!(
            rejection(1, 1, 7),
            "rejected-permanent by service-user: called-AE-title-not-recognized"
        );
        assert_eq!(
            rejection(2, 3, 1),
            "rejected-transient by service-provider (presentation): temporary-congestion"
        );
        assert_eq!(
            rejection(9, 9, 9),
            "rejected (result 9) by source 9: reason 9"
        );
    }

    #[test]
    fn aborts_in_words() {
        assert_eq!(abort(2, 2), "aborted by service-provider: unexpected-PDU");
        assert_eq!(abort(0, 0), "aborted by service-user");
    }

    #[test]
    fn products() {
        assert_eq!(
            product(Some("1.2.276.0.7230010.3.0.3.6.7"), Some("OFFIS_DCMTK_367")),
            (Some("DCMTK".into()), Some("3.6.7".into()))
        );
        assert_eq!(
            product(None, Some("OFFIS_DCMTK_368")),
            (Some("DCMTK".into()), Some("3.6.8".into()))
        );
        assert_eq!(
            product(Some("1.2.276.0.7230010.3.0.3.6.10"), None),
            (Some("DCMTK".into()), Some("3.6.10".into()))
        );
        assert_eq!(
            product(
                Some("1.2.826.0.1.3680043.9.3811.2.1.0"),
                Some("PYNETDICOM_210")
            ),
            (Some("pynetdicom".into()), Some("2.1.0".into()))
        );
        assert_eq!(
            product(None, Some("dcm4che-5.31.0")),
            (Some("dcm4che".into()), Some("5.31.0".into()))
        );
        assert_eq!(
            product(Some("1.2.3"), Some("ACME_PACS")),
            (Some("ACME_PACS".into()), None)
        );
        assert_eq!(product(Some("1.2.3"), Some("1.0")), (None, None));
        assert_eq!(product(None, None), (None, None));
    }
}
