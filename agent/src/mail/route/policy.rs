//! MTA-STS text, pure: the `_mta-sts` TXT record (RFC 8461 3.1), the
//! policy file (3.2) and which MX hosts its `mx` patterns cover (4.1).
//!
//! Problems are sentences, not errors: a policy with a bad field still
//! yields every field that was good, so the evidence shows what was served.

use trustwatch_rules::observe::{MxCoverage, StsMode, StsPolicy};

use crate::dns::answer::normalise;

/// The largest `max_age` RFC 8461 allows (about a year).
pub const MAX_MAX_AGE: u64 = 31_557_600;

/// The TXT strings that are MTA-STS records: those beginning `v=STSv1`
/// followed by `;`, a space or nothing (3.1: all others are discarded).
pub fn sts_records<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    texts
        .into_iter()
        .filter(|t| {
            t.strip_prefix("v=STSv1")
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([';', ' ', '\t']))
        })
        .collect()
}

/// The `id` of one MTA-STS TXT record, or why the record is invalid.
pub fn record_id(record: &str) -> Result<String, String> {
    let mut fields = record.split(';').map(|f| f.trim_matches([' ', '\t']));
    if fields.next() != Some("v=STSv1") {
        return Err(format!("the record {record:?} does not start with v=STSv1"));
    }
    let mut id = None;
    for field in fields.filter(|f| !f.is_empty()) {
        let Some((key, value)) = field.split_once('=') else {
            return Err(format!("the record field {field:?} is not key=value"));
        };
        if key == "id" {
            if id.is_some() {
                return Err("the record has more than one id".into());
            }
            let good =
                (1..=32).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric());
            if !good {
                return Err(format!(
                    "the record's id {value:?} is not 1 to 32 letters and digits"
                ));
            }
            id = Some(value.to_owned());
        }
        // Other fields are extensions (3.1): ignored.
    }
    id.ok_or_else(|| "the record has no id".to_owned())
}

/// Parses a policy body. Lines end in LF or CRLF; keys are case-sensitive
/// (`%s` in the ABNF); unknown keys are extensions and are ignored.
pub fn parse_policy(body: &str) -> StsPolicy {
    let mut policy = StsPolicy::default();
    let mut seen_version = false;
    let mut seen_mode = false;
    let mut seen_max_age = false;
    for (n, line) in body.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            policy
                .problems
                .push(format!("line {} is not \"key: value\"", n + 1));
            continue;
        };
        let value = value.trim_matches([' ', '\t']);
        match key {
            "version" if first(&mut seen_version, key, &mut policy.problems) => {
                if value != "STSv1" {
                    policy
                        .problems
                        .push(format!("version is {value:?}, not STSv1"));
                }
                policy.version = Some(value.to_owned());
            }
            "mode" if first(&mut seen_mode, key, &mut policy.problems) => {
                policy.mode = match value {
                    "enforce" => Some(StsMode::Enforce),
                    "testing" => Some(StsMode::Testing),
                    "none" => Some(StsMode::None),
                    other => {
                        policy
                            .problems
                            .push(format!("mode {other:?} is not enforce, testing or none"));
                        None
                    }
                };
            }
            "max_age" if first(&mut seen_max_age, key, &mut policy.problems) => {
                match value.parse::<u64>() {
                    Ok(age) if value.len() <= 10 && value.bytes().all(|b| b.is_ascii_digit()) => {
                        if age > MAX_MAX_AGE {
                            policy
                                .problems
                                .push(format!("max_age {age} is more than {MAX_MAX_AGE}"));
                        }
                        policy.max_age = Some(age);
                    }
                    _ => policy
                        .problems
                        .push(format!("max_age {value:?} is not a number of seconds")),
                }
            }
            "mx" => {
                let pattern = normalise(value);
                if valid_pattern(&pattern) {
                    policy.mx.push(pattern);
                } else {
                    policy
                        .problems
                        .push(format!("mx {value:?} is not a host name or *.domain"));
                }
            }
            _ => {}
        }
    }
    for (seen, field) in [
        (seen_version, "version"),
        (seen_mode, "mode"),
        (seen_max_age, "max_age"),
    ] {
        if !seen {
            policy.problems.push(format!("{field} is missing"));
        }
    }
    if policy.mx.is_empty() && seen_mode && policy.mode != Some(StsMode::None) {
        policy.problems.push("there is no mx pattern".into());
    }
    policy
}

/// True the first time a single-valued field is seen; later times are a
/// problem (the first value counts).
fn first(seen: &mut bool, key: &str, problems: &mut Vec<String>) -> bool {
    if *seen {
        problems.push(format!("{key} is given more than once"));
        return false;
    }
    *seen = true;
    true
}

/// A host name, or `*.` then a host name (lower case, no trailing dot).
fn valid_pattern(p: &str) -> bool {
    let name = p.strip_prefix("*.").unwrap_or(p);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Whether `pattern` matches the MX host `host` (RFC 8461 4.1): exactly,
/// or, for `*.domain`, as one extra leftmost label (`*.example.test`
/// matches `mx.example.test`, not `example.test` nor `a.mx.example.test`).
pub fn matches(pattern: &str, host: &str) -> bool {
    let pattern = normalise(pattern);
    let host = normalise(host);
    match pattern.strip_prefix("*.") {
        Some(domain) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == domain),
        None => pattern == host,
    }
}

/// Each MX host with the first pattern that covers it.
pub fn coverage(patterns: &[String], mx: &[String]) -> Vec<MxCoverage> {
    mx.iter()
        .map(|host| MxCoverage {
            mx: host.clone(),
            pattern: patterns.iter().find(|p| matches(p, host)).cloned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_rfc_example_with_crlf_and_with_lf() {
        // RFC 8461 3.2's example.
        let crlf = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n\
                    mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n";
        let lf = crlf.replace("\r\n", "\n");
        for body in [crlf, lf.as_str()] {
            let p = parse_policy(body);
            assert!(p.is_valid(), "{:?}", p.problems);
            assert_eq!(p.version.as_deref(), Some("STSv1"));
            assert_eq!(p.mode, Some(StsMode::Enforce));
            assert_eq!(
                p.mx,
                ["mail.example.com", "*.example.net", "backupmx.example.com"]
            );
            assert_eq!(p.max_age, Some(604800));
        }
    }

    #[test]
    fn no_final_newline_whitespace_and_extensions_are_fine() {
        let p = parse_policy(
            "version: STSv1\nmode:testing\t\nmx: MX.Example.Test.\nmax_age: 86400\nx_ext: anything",
        );
        assert!(p.is_valid(), "{:?}", p.problems);
        assert_eq!(p.mode, Some(StsMode::Testing));
        assert_eq!(p.mx, ["mx.example.test"]);
    }

    #[test]
    fn missing_and_bad_fields_are_problems_and_good_fields_stay() {
        let p = parse_policy("mode: enforce\nmx: mx.example.test\n");
        assert_eq!(p.problems, ["version is missing", "max_age is missing"]);
        assert_eq!(p.mode, Some(StsMode::Enforce));

        let p = parse_policy("version: STSv2\nmode: Enforce\nmax_age: -1\nmx: bad..name\n");
        assert_eq!(
            p.problems,
            [
                "version is \"STSv2\", not STSv1",
                "mode \"Enforce\" is not enforce, testing or none",
                "max_age \"-1\" is not a number of seconds",
                "mx \"bad..name\" is not a host name or *.domain",
                "there is no mx pattern",
            ]
        );
        assert_eq!(p.mode, None);

        let p = parse_policy("version: STSv1\nmode: enforce\nmax_age: 99999999999\n");
        assert!(p.problems.contains(&"there is no mx pattern".to_owned()));
        assert!(p
            .problems
            .iter()
            .any(|e| e.starts_with("max_age \"99999999999\"")));

        let p = parse_policy("version: STSv1\nmode: enforce\nmode: none\nmax_age: 40000000\nmx: a.test\nthis line has no colon\n");
        assert_eq!(
            p.problems,
            [
                "mode is given more than once",
                "max_age 40000000 is more than 31557600",
                "line 6 is not \"key: value\"",
            ]
        );
        assert_eq!(p.mode, Some(StsMode::Enforce), "the first mode counts");
    }

    #[test]
    fn mode_none_needs_no_mx() {
        let p = parse_policy("version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n");
        assert!(p.is_valid(), "{:?}", p.problems);
        assert_eq!(p.mode, Some(StsMode::None));
    }

    #[test]
    fn html_served_as_a_policy_is_all_problems() {
        let p = parse_policy("<html>\n<body>Not here</body>\n</html>\n");
        assert!(p.problems.len() >= 4, "{:?}", p.problems);
        assert!(p.mx.is_empty());
    }

    #[test]
    fn wildcard_matches_exactly_one_leftmost_label() {
        assert!(matches("*.example.test", "mx.example.test"));
        assert!(matches("*.Example.Test.", "MX.example.test."));
        assert!(!matches("*.example.test", "example.test"));
        assert!(!matches("*.example.test", "a.mx.example.test"));
        assert!(!matches("*.example.test", "mxexample.test"));
        assert!(!matches("*.example.test", ".example.test"));
        assert!(matches("mx.example.test", "mx.example.test"));
        assert!(!matches("mx.example.test", "mx2.example.test"));
        // A wildcard is only a whole leftmost label.
        assert!(!matches("mx*.example.test", "mx1.example.test"));
    }

    #[test]
    fn coverage_names_the_first_matching_pattern_or_none() {
        let patterns = vec!["mail.example.test".to_owned(), "*.example.test".to_owned()];
        let mx = vec![
            "mail.example.test".to_owned(),
            "mx2.example.test".to_owned(),
            "mx.other.test".to_owned(),
        ];
        let c = coverage(&patterns, &mx);
        assert_eq!(c[0].pattern.as_deref(), Some("mail.example.test"));
        assert_eq!(c[1].pattern.as_deref(), Some("*.example.test"));
        assert_eq!(c[2].pattern, None);
    }

    #[test]
    fn txt_records_are_picked_and_their_id_checked() {
        let texts = [
            "v=spf1 -all",
            "v=STSv1; id=20160831085700Z;",
            "v=STSv10; id=1",
            "v=STSv1x",
        ];
        assert_eq!(sts_records(texts), ["v=STSv1; id=20160831085700Z;"]);
        assert_eq!(
            record_id("v=STSv1; id=20160831085700Z;").as_deref(),
            Ok("20160831085700Z")
        );
        assert_eq!(record_id("v=STSv1;id=abc ; ext=1").as_deref(), Ok("abc"));
        assert_eq!(record_id("v=STSv1;").unwrap_err(), "the record has no id");
        assert!(record_id("v=STSv1; id=bad-id").is_err());
        assert!(record_id(&format!("v=STSv1; id={}", "a".repeat(33))).is_err());
        assert!(record_id("v=STSv1; id=1; id=2").is_err());
        assert!(record_id("v=STSv1; junk").is_err());
    }
}
