//! Query parameters, checked strictly: a misspelt filter must be an error,
//! not silently ignored and answered with everything. Unknown keys,
//! repeated keys and bad values each get one sentence.

use std::collections::BTreeMap;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustwatch_rules::{Severity, Status};

use crate::store::{
    AgentFilter, AgentState, Cursor, ExceptionFilter, ExceptionQuery, ExceptionState,
    FindingFilter, HistoryFilter, HostFilter, MAX_FINDINGS_LIMIT,
};

/// The pairs of one request, each key known and given once.
pub(super) struct Params(BTreeMap<String, String>);

impl Params {
    pub(super) fn new(pairs: &[(String, String)], allowed: &[&str]) -> Result<Params, String> {
        let mut map = BTreeMap::new();
        for (key, value) in pairs {
            if !allowed.contains(&key.as_str()) {
                return Err(format!(
                    "unknown query parameter `{key}` (expected {})",
                    one_of(allowed)
                ));
            }
            if map.insert(key.clone(), value.clone()).is_some() {
                return Err(format!("query parameter `{key}` is given more than once"));
            }
        }
        Ok(Params(map))
    }

    /// 1 to 256 characters.
    pub(super) fn text(&self, key: &str) -> Result<Option<String>, String> {
        match self.0.get(key) {
            None => Ok(None),
            Some(v) if v.is_empty() || v.len() > 256 => Err(format!(
                "query parameter `{key}` must be 1 to 256 characters long"
            )),
            Some(v) => Ok(Some(v.clone())),
        }
    }

    fn parsed<T>(
        &self,
        key: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Result<Option<T>, String> {
        match self.0.get(key) {
            None => Ok(None),
            Some(v) => parse(v)
                .map(Some)
                .ok_or_else(|| format!("{key} `{}` is not {expected}", shorten(v))),
        }
    }

    /// RFC 3339, as unix seconds.
    pub(super) fn time(&self, key: &str) -> Result<Option<i64>, String> {
        self.parsed(
            key,
            |v| {
                OffsetDateTime::parse(v, &Rfc3339)
                    .ok()
                    .map(|t| t.unix_timestamp())
            },
            "an RFC 3339 time such as 2026-03-01T12:00:00Z",
        )
    }

    pub(super) fn limit(&self) -> Result<Option<u32>, String> {
        self.parsed(
            "limit",
            |v| {
                v.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_FINDINGS_LIMIT).contains(n))
            },
            &format!("a whole number from 1 to {MAX_FINDINGS_LIMIT}"),
        )
    }

    pub(super) fn cursor(&self) -> Result<Option<Cursor>, String> {
        self.parsed(
            "cursor",
            Cursor::decode,
            "a cursor this API issued (next_cursor)",
        )
    }

    pub(super) fn severity(&self) -> Result<Option<Severity>, String> {
        self.parsed(
            "severity",
            |v| v.parse::<Severity>().ok(),
            "one of critical, high, medium, low, info",
        )
    }

    pub(super) fn status(&self) -> Result<Option<Status>, String> {
        self.parsed(
            "status",
            |v| Status::ALL.into_iter().find(|s| s.as_str() == v),
            "one of pass, fail, error, not_applicable",
        )
    }
}

fn shorten(v: &str) -> String {
    v.chars().take(60).collect()
}

fn one_of(keys: &[&str]) -> String {
    match keys {
        [] => "none".into(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

pub(super) fn finding_filter(pairs: &[(String, String)]) -> Result<FindingFilter, String> {
    let p = Params::new(
        pairs,
        &[
            "site",
            "agent",
            "host",
            "target",
            "rule_id",
            "severity",
            "status",
            "since",
            "until",
            "changed_since",
            "exception",
            "limit",
            "cursor",
        ],
    )?;
    let exception = p
        .parsed(
            "exception",
            |v| match v {
                "include" => Some(ExceptionFilter::Include),
                "only" => Some(ExceptionFilter::Only),
                "exclude" => Some(ExceptionFilter::Exclude),
                _ => None,
            },
            "one of include, only, exclude",
        )?
        .unwrap_or_default();
    Ok(FindingFilter {
        site: p.text("site")?,
        agent: p.text("agent")?,
        host: p.text("host")?,
        target: p.text("target")?,
        rule_id: p.text("rule_id")?,
        severity: p.severity()?,
        status: p.status()?,
        since: p.time("since")?,
        until: p.time("until")?,
        changed_since: p.time("changed_since")?,
        exception,
        coverage: None,
        after: p.cursor()?,
        limit: p.limit()?,
    })
}

pub(super) fn history_filter(
    pairs: &[(String, String)],
    per_finding: bool,
) -> Result<HistoryFilter, String> {
    let keys: &[&str] = if per_finding {
        &[
            "site", "agent", "target", "rule_id", "since", "until", "limit", "cursor",
        ]
    } else {
        &["site", "agent", "since", "until", "limit", "cursor"]
    };
    let p = Params::new(pairs, keys)?;
    Ok(HistoryFilter {
        site: p.text("site")?,
        agent: p.text("agent")?,
        target: p.text("target")?,
        rule_id: p.text("rule_id")?,
        since: p.time("since")?,
        until: p.time("until")?,
        after: p.cursor()?,
        limit: p.limit()?,
    })
}

pub(super) fn host_filter(pairs: &[(String, String)]) -> Result<HostFilter, String> {
    let p = Params::new(pairs, &["site", "limit", "cursor"])?;
    Ok(HostFilter {
        site: p.text("site")?,
        after: p.cursor()?,
        limit: p.limit()?,
    })
}

pub(super) fn agent_filter(
    pairs: &[(String, String)],
    stale_after_secs: i64,
) -> Result<AgentFilter, String> {
    let p = Params::new(pairs, &["site", "state", "limit", "cursor"])?;
    Ok(AgentFilter {
        site: p.text("site")?,
        state: p.parsed(
            "state",
            |v| AgentState::ALL.into_iter().find(|s| s.as_str() == v),
            "one of active, stale, revoked",
        )?,
        stale_after_secs,
        after: p.cursor()?,
        limit: p.limit()?,
    })
}

pub(super) fn exception_query(pairs: &[(String, String)]) -> Result<ExceptionQuery, String> {
    let p = Params::new(pairs, &["site", "rule_id", "state", "limit", "cursor"])?;
    Ok(ExceptionQuery {
        site: p.text("site")?,
        rule_id: p.text("rule_id")?,
        state: p.parsed(
            "state",
            ExceptionState::parse,
            "one of active, expired, withdrawn",
        )?,
        after: p.cursor()?,
        limit: p.limit()?,
    })
}

/// `site` alone, required.
pub(super) fn site(pairs: &[(String, String)]) -> Result<String, String> {
    let p = Params::new(pairs, &["site"])?;
    p.text("site")?
        .ok_or_else(|| "query parameter `site` is required".to_owned())
}

/// `limit` and `cursor` only.
pub(super) fn page(pairs: &[(String, String)]) -> Result<(Option<Cursor>, Option<u32>), String> {
    let p = Params::new(pairs, &["limit", "cursor"])?;
    Ok((p.cursor()?, p.limit()?))
}

/// No parameters at all.
pub(super) fn none(pairs: &[(String, String)]) -> Result<(), String> {
    Params::new(pairs, &[]).map(|_| ())
}

#[cfg(test)]
mod tests;
