//! DMARC policy discovery (RFC 7489 section 6.6.3) and record parsing
//! (sections 6.3 and 6.4).

use trustwatch_rules::observe::mail::is_report_uri;
use trustwatch_rules::observe::{DmarcObservation, DmarcPolicy, DmarcRecord};

use super::tags::TagList;
use super::{is_transient, observed};
use crate::dns::answer::normalise;
use crate::dns::{Answer, RecordType, Resolve};

/// The organisational domain of `domain` (RFC 7489 section 3.2): the
/// public suffix plus one label, or `None` when `domain` is itself a
/// public suffix.
///
/// The list is the `psl` crate's: Mozilla's public suffix list compiled
/// into the binary and republished whenever the list changes, so scans
/// need no list file and make no fetch; `publicsuffix` would load the list
/// at run time, which an agent with no outbound web access cannot do.
/// Names under a top-level domain the list does not know (`.test`, a
/// private TLD) take the list's default rule `*`: the last label is the
/// suffix, so `sub.orgdmarc.test` belongs to `orgdmarc.test`.
pub fn organisational_domain(domain: &str) -> Option<String> {
    let domain = normalise(domain);
    psl::domain_str(&domain).map(str::to_owned)
}

/// Discovers the DMARC record that applies to `domain`: `_dmarc.<domain>`,
/// then, when that holds no DMARC record (not when it could not be read),
/// `_dmarc.<organisational domain>`.
pub async fn dmarc<R: Resolve>(resolver: &R, domain: &str) -> DmarcObservation {
    let domain = normalise(domain);
    let org_domain = organisational_domain(&domain);
    let mut obs = DmarcObservation {
        domain: domain.clone(),
        org_domain: org_domain.clone(),
        lookups: Vec::new(),
        fallback: false,
        found_at: None,
        records: Vec::new(),
        discarded: Vec::new(),
        resolver: resolver.describe(),
    };
    let own = resolver
        .lookup(&format!("_dmarc.{domain}"), RecordType::Txt)
        .await;
    if !read(&mut obs, &own) {
        return obs;
    }
    let Some(org) = org_domain.filter(|org| *org != domain) else {
        return obs;
    };
    if !obs.records.is_empty() {
        return obs;
    }
    let org_answer = resolver
        .lookup(&format!("_dmarc.{org}"), RecordType::Txt)
        .await;
    obs.fallback = true;
    read(&mut obs, &org_answer);
    obs
}

/// Records `answer` in `obs`, making its name the one whose records apply.
/// False when the lookup could not say, so discovery stops there.
fn read(obs: &mut DmarcObservation, answer: &Answer) -> bool {
    obs.lookups.push(observed(answer));
    if is_transient(answer) {
        obs.found_at = None;
        return false;
    }
    obs.found_at = Some(answer.name.clone());
    for text in answer.texts() {
        match parse_record(text) {
            Some(record) => obs.records.push(record),
            // Other TXT records may share the name; only near-misses are
            // worth showing.
            None if text.to_ascii_lowercase().contains("dmarc") => {
                obs.discarded.push(text.to_owned())
            }
            None => {}
        }
    }
    true
}

/// Parses one TXT string as a DMARC record; `None` when it does not start
/// with `v=DMARC1`, which receivers discard.
pub fn parse_record(text: &str) -> Option<DmarcRecord> {
    let list = TagList::parse(text);
    if !list.starts_with_version("DMARC1") {
        return None;
    }
    let mut record = DmarcRecord {
        text: text.to_owned(),
        ..DmarcRecord::default()
    };
    for piece in &list.malformed {
        record
            .ignored
            .push(format!("{piece:?} is not a tag=value pair"));
    }
    let mut seen: Vec<&str> = vec!["v"];
    let mut p_seen = false;
    for (name, value) in &list.tags[1..] {
        if seen.contains(&name.as_str()) {
            record
                .ignored
                .push(format!("{name} appears more than once; the first is used"));
            continue;
        }
        seen.push(name);
        match name.as_str() {
            "p" => {
                p_seen = true;
                match policy(value) {
                    Some(p) => record.p = Some(p),
                    None => record
                        .problems
                        .push(format!("p={value} is not none, quarantine or reject")),
                }
            }
            "sp" => match policy(value) {
                Some(sp) => record.sp = Some(sp),
                None => record
                    .problems
                    .push(format!("sp={value} is not none, quarantine or reject")),
            },
            "pct" => match value.parse::<u8>() {
                Ok(pct) if pct <= 100 => record.pct = Some(pct),
                _ => record.ignored.push(format!(
                    "pct={value} is not a number from 0 to 100; 100 applies"
                )),
            },
            "rua" | "ruf" => {
                let uris = uris(value);
                for uri in uris.iter().filter(|u| !is_report_uri(u)) {
                    record.ignored.push(format!(
                        "{name} URI {uri:?} is not a mailto: address or https: URL"
                    ));
                }
                if name == "rua" {
                    record.rua = uris;
                } else {
                    record.ruf = uris;
                }
            }
            "adkim" | "aspf" => {
                if value != "r" && value != "s" {
                    record
                        .ignored
                        .push(format!("{name}={value} is not r or s; r applies"));
                } else if name == "adkim" {
                    record.adkim = Some(value.clone());
                } else {
                    record.aspf = Some(value.clone());
                }
            }
            "fo" => {
                if !value
                    .split(':')
                    .all(|o| matches!(o.trim(), "0" | "1" | "d" | "s"))
                {
                    record
                        .ignored
                        .push(format!("fo={value} is not a list of 0, 1, d and s"));
                }
                record.fo = Some(value.clone());
            }
            "rf" => record.rf = Some(value.clone()),
            "ri" => {
                if value.parse::<u32>().is_err() {
                    record
                        .ignored
                        .push(format!("ri={value} is not a number of seconds"));
                }
                record.ri = Some(value.clone());
            }
            _ => record.unknown_tags.push(name.clone()),
        }
    }
    if !p_seen {
        record
            .problems
            .push("no p tag: a policy record requires one".into());
    }
    Some(record)
}

fn policy(value: &str) -> Option<DmarcPolicy> {
    // Values are case-insensitive (RFC 7489 section 6.4, quoted ABNF).
    match value.to_ascii_lowercase().as_str() {
        "none" => Some(DmarcPolicy::None),
        "quarantine" => Some(DmarcPolicy::Quarantine),
        "reject" => Some(DmarcPolicy::Reject),
        _ => None,
    }
}

/// A comma-separated URI list.
fn uris(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect()
}
