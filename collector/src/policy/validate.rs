//! The checks on a policy's values: addresses, names and rule ids well
//! formed, lists bounded, the interval within what an agent accepts.

use std::net::IpAddr;

use ipnet::IpNet;
use trustwatch_rules::Catalogue;

use super::{Fault, PolicyBody};

pub const MIN_INTERVAL_SECS: u64 = 10;
/// One week: a longer gap would make every agent stale (PATCH-006).
pub const MAX_INTERVAL_SECS: u64 = 604_800;
/// Entries per list: a policy is read by every agent at every check-in.
pub const MAX_ENTRIES: usize = 4096;

pub(super) fn check(p: &PolicyBody, catalogue: &Catalogue) -> Result<(), Fault> {
    if let Some(i) = p.interval_secs {
        if !(MIN_INTERVAL_SECS..=MAX_INTERVAL_SECS).contains(&i) {
            return Err(Fault {
                key: "interval_secs".into(),
                value: None,
                message: format!(
                    "{i} is outside {MIN_INTERVAL_SECS}..={MAX_INTERVAL_SECS} (ten seconds to one week)"
                ),
            });
        }
    }
    list(&p.scope, "scope", scope_entry)?;
    list(&p.exclude, "exclude", scope_entry)?;
    list(&p.tls_targets, "tls_targets", tls_target)?;
    list(&p.domains, "domains", domain)?;
    list(&p.disabled_rules, "disabled_rules", |r| {
        disabled_rule(r, catalogue)
    })?;
    Ok(())
}

fn list(
    entries: &[String],
    key: &str,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<(), Fault> {
    if entries.len() > MAX_ENTRIES {
        return Err(Fault {
            key: key.into(),
            value: None,
            message: format!(
                "has {} entries; at most {MAX_ENTRIES} are allowed",
                entries.len()
            ),
        });
    }
    for (i, entry) in entries.iter().enumerate() {
        check(entry).map_err(|message| Fault {
            key: format!("{key}[{i}]"),
            value: Some(entry.chars().take(300).collect()),
            message,
        })?;
    }
    Ok(())
}

/// A CIDR (network address only), an IP address or a host name.
fn scope_entry(s: &str) -> Result<(), String> {
    if s.contains('/') {
        let net: IpNet = s
            .parse()
            .map_err(|_| "is not a CIDR such as 10.1.0.0/16".to_owned())?;
        if net.trunc() != net {
            return Err(format!("has host bits set; write {}", net.trunc()));
        }
        return Ok(());
    }
    if s.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    host_name(s).map_err(|m| format!("is not a CIDR, an IP address or a host name: {m}"))
}

/// `host:port`, `[v6]:port`; the host an IP address or a host name.
fn tls_target(s: &str) -> Result<(), String> {
    let shape =
        || "is not HOST:PORT (e.g. pacs.example.nhs.uk:443 or [2001:db8::1]:443)".to_owned();
    let (host, port) = s.rsplit_once(':').ok_or_else(shape)?;
    match port.parse::<u16>() {
        Ok(p) if p > 0 => {}
        _ => return Err(format!("has the port `{port}`, not 1 to 65535")),
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6
            .parse::<std::net::Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| format!("has `{v6}` in brackets, which is not an IPv6 address"));
    }
    if host.contains(':') {
        return Err(shape());
    }
    if host.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    host_name(host).map_err(|m| format!("has a host that is not an IP address or a host name: {m}"))
}

/// A domain for DNS checks: a host name with at least two labels.
fn domain(s: &str) -> Result<(), String> {
    host_name(s).map_err(|m| format!("is not a domain name: {m}"))?;
    if !s.contains('.') || s.parse::<IpAddr>().is_ok() {
        return Err("is not a domain name such as example.nhs.uk".into());
    }
    Ok(())
}

fn host_name(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 253 {
        return Err("it must be 1 to 253 characters".into());
    }
    for label in s.split('.') {
        let ok = (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "the label `{label}` is not 1 to 63 letters, digits or inner hyphens"
            ));
        }
    }
    Ok(())
}

/// A catalogue rule id, or a prefix ending in `*` that matches some rule.
fn disabled_rule(s: &str, catalogue: &Catalogue) -> Result<(), String> {
    if let Some(prefix) = s.strip_suffix('*') {
        if prefix.is_empty() || prefix.contains('*') {
            return Err("must be a rule id or a prefix such as PATCH-* (not `*` alone)".into());
        }
        if !catalogue.rules().iter().any(|r| r.id.starts_with(prefix)) {
            return Err("matches no rule of the baseline catalogue".into());
        }
        return Ok(());
    }
    if catalogue.rule(s).is_none() {
        return Err("is not a rule of the baseline catalogue (a prefix ends in `*`)".into());
    }
    Ok(())
}
