//! Query parameters of `/api/v1/findings`, checked strictly: a misspelt
//! filter must be an error, not silently ignored and answered with
//! everything.

use trustwatch_rules::{Severity, Status};

use crate::store::{FindingFilter, MAX_FINDINGS_LIMIT};

pub(super) fn finding_filter(pairs: &[(String, String)]) -> Result<FindingFilter, String> {
    let mut filter = FindingFilter::default();
    for (key, value) in pairs {
        let slot_taken = match key.as_str() {
            "site" => filter.site.replace(text(key, value)?).is_some(),
            "rule_id" => filter.rule_id.replace(text(key, value)?).is_some(),
            "status" => {
                let status = Status::ALL
                    .into_iter()
                    .find(|s| s.as_str() == value)
                    .ok_or_else(|| {
                        format!("status `{value}` is not one of pass, fail, error, not_applicable")
                    })?;
                filter.status.replace(status).is_some()
            }
            "severity" => {
                let severity = value
                    .parse::<Severity>()
                    .map_err(|_| format!("severity `{value}` is not one of critical, high, medium, low, info"))?;
                filter.severity.replace(severity).is_some()
            }
            "limit" => {
                let limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_FINDINGS_LIMIT).contains(n))
                    .ok_or_else(|| format!("limit `{value}` is not a whole number from 1 to {MAX_FINDINGS_LIMIT}"))?;
                filter.limit.replace(limit).is_some()
            }
            other => {
                return Err(format!(
                    "unknown query parameter `{other}` (expected site, status, severity, rule_id or limit)"
                ))
            }
        };
        if slot_taken {
            return Err(format!("query parameter `{key}` is given more than once"));
        }
    }
    Ok(filter)
}

fn text(key: &str, value: &str) -> Result<String, String> {
    if value.is_empty() || value.len() > 256 {
        return Err(format!(
            "query parameter `{key}` must be 1 to 256 characters long"
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn accepts_every_filter() {
        let f = finding_filter(&pairs(&[
            ("site", "a"),
            ("status", "fail"),
            ("severity", "HIGH"),
            ("rule_id", "TLS-001"),
            ("limit", "5"),
        ]))
        .unwrap();
        assert_eq!(f.site.as_deref(), Some("a"));
        assert_eq!(f.status, Some(Status::Fail));
        assert_eq!(f.severity, Some(Severity::High));
        assert_eq!(f.rule_id.as_deref(), Some("TLS-001"));
        assert_eq!(f.limit, Some(5));
    }

    #[test]
    fn refuses_bad_values_unknown_keys_and_repeats() {
        for (list, needle) in [
            (pairs(&[("status", "broken")]), "status `broken`"),
            (pairs(&[("severity", "huge")]), "severity `huge`"),
            (pairs(&[("limit", "0")]), "limit `0`"),
            (pairs(&[("limit", "x")]), "limit `x`"),
            (pairs(&[("sight", "a")]), "unknown query parameter `sight`"),
            (pairs(&[("site", "a"), ("site", "b")]), "more than once"),
            (pairs(&[("site", "")]), "`site` must be"),
        ] {
            let err = finding_filter(&list).unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
    }
}
