//! The attributes every Trustwatch OCSF event carries: the base event
//! (category, class, activity, type, time, severity, status, metadata),
//! `finding_info`, and the host as `device`.
//!
//! Enumerations follow the OCSF 1.1.0 dictionary and the Findings
//! category (https://schema.ocsf.io/1.1.0/classes/compliance_finding and
//! .../vulnerability_finding).

use std::net::IpAddr;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use trustwatch_rules::{Severity, Status};

use super::Occurrence;
use crate::store::query::FindingRow;

/// The OCSF schema version every event states in `metadata.version`.
pub const OCSF_VERSION: &str = "1.1.0";

/// OCSF category 2: Findings.
const FINDINGS_CATEGORY: u32 = 2;

/// The Findings category's activities (`activity_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// First seen.
    Create = 1,
    /// Its status changed.
    Update = 2,
    /// Resolved (passes after failing) or no longer reported.
    Close = 3,
}

impl Activity {
    pub fn id(self) -> u32 {
        self as u32
    }

    fn name(self) -> &'static str {
        match self {
            Activity::Create => "Create",
            Activity::Update => "Update",
            Activity::Close => "Close",
        }
    }
}

/// `severity_id`: a failing or erroring finding carries its rule's
/// severity (info 1 Informational, low 2, medium 3, high 4, critical 5);
/// a pass or not-applicable result is 1 Informational, since there is
/// nothing to act on whatever the rule's weight.
pub fn severity_id(severity: Severity, status: Status) -> u32 {
    if matches!(status, Status::Pass | Status::NotApplicable) {
        return 1;
    }
    match severity {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

fn severity_name(id: u32) -> &'static str {
    match id {
        1 => "Informational",
        2 => "Low",
        3 => "Medium",
        4 => "High",
        _ => "Critical",
    }
}

/// The finding's lifecycle `status_id`: 4 Resolved once closed or when
/// there is nothing to fix (pass, not applicable), 3 Suppressed for a
/// failure a live exception (an accepted risk) covers, else 1 New.
fn status_id(row: &FindingRow, activity: Activity) -> (u32, &'static str) {
    if activity == Activity::Close || matches!(row.status, Status::Pass | Status::NotApplicable) {
        (4, "Resolved")
    } else if row.exception.is_some() {
        (3, "Suppressed")
    } else {
        (1, "New")
    }
}

/// `finding_info.uid`: the same for every event about one agent's result
/// of one rule on one target, so a SIEM can correlate create, update and
/// close. A hash, because targets hold characters (`[::1]:443`) some SIEMs
/// treat specially in ids.
pub fn finding_uid(agent: &str, target: &str, rule_id: &str) -> String {
    let mut h = Sha256::new();
    for part in [agent, target, rule_id] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("trustwatch-{}", &hex::encode(h.finalize())[..32])
}

pub(super) fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The base event and the attributes both classes share; the class adds
/// its own primary object.
pub(super) fn base(
    row: &FindingRow,
    occurrence: Occurrence,
    class_uid: u32,
    class_name: &str,
) -> Map<String, Value> {
    let activity = occurrence.activity;
    let severity_id = severity_id(row.severity, row.status);
    let (status_id, status) = status_id(row, activity);
    let mut e = Map::new();
    let mut put = |k: &str, v: Value| {
        e.insert(k.to_owned(), v);
    };
    put("category_uid", json!(FINDINGS_CATEGORY));
    put("category_name", json!("Findings"));
    put("class_uid", json!(class_uid));
    put("class_name", json!(class_name));
    put("activity_id", json!(activity.id()));
    put("activity_name", json!(activity.name()));
    put("type_uid", json!(class_uid * 100 + activity.id()));
    put(
        "type_name",
        json!(format!("{class_name}: {}", activity.name())),
    );
    put("time", json!(millis(occurrence.at)));
    put("severity_id", json!(severity_id));
    put("severity", json!(severity_name(severity_id)));
    put("status_id", json!(status_id));
    put("status", json!(status));
    put(
        "message",
        json!(format!("{}: {}", row.rule_id, row.summary)),
    );
    put(
        "metadata",
        json!({
            "version": OCSF_VERSION,
            "product": {
                "name": "Trustwatch",
                "vendor_name": "Trustwatch",
                "version": env!("CARGO_PKG_VERSION"),
            },
        }),
    );
    put(
        "finding_info",
        json!({
            "uid": finding_uid(&row.agent, &row.target, &row.rule_id),
            "title": row.title,
            "desc": row.summary,
            "types": [row.rule_id],
            "first_seen_time": millis(row.first_seen),
            "last_seen_time": millis(row.last_seen),
            "modified_time": millis(row.last_changed),
        }),
    );
    // The host profile's `device`; OCSF 1.1.0's finding classes have no
    // `resources` (the official schema refuses it), and the exact target
    // (host:port, URL, mounted root) is in `unmapped`.
    put("device", device(&row.host));
    // What OCSF has no attribute for but an analyst needs to find the
    // result in Trustwatch: which agent saw it, at which site, and the
    // observed result (OCSF's lifecycle status is not the rule's result).
    let mut unmapped = json!({
        "trustwatch": {
            "agent": row.agent,
            "site": row.site,
            "target": row.target,
            "rule_id": row.rule_id,
            "result": row.status.as_str(),
            "reported_status": row.reported_status,
        }
    });
    if let Some(id) = row.report_id {
        unmapped["trustwatch"]["report_id"] = json!(id);
    }
    put("unmapped", unmapped);
    e
}

/// The scanned host: an address, a DNS name, or (for what is neither,
/// such as the folder of a mounted root the agent assessed) just a
/// `name`: OCSF's `hostname` must be a DNS name. `type_id` 0 (Unknown):
/// the agent does not tell servers from desktops.
fn device(host: &str) -> Value {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => json!({ "type_id": 0, "type": "Unknown", "ip": ip.to_string() }),
        Err(_) if is_hostname(host) => {
            json!({ "type_id": 0, "type": "Unknown", "hostname": host })
        }
        Err(_) => json!({ "type_id": 0, "type": "Unknown", "name": host }),
    }
}

/// Dot-separated labels of letters, digits and inner hyphens, as OCSF's
/// `hostname_t` allows.
fn is_hostname(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod device_tests {
    use super::device;

    #[test]
    fn the_host_becomes_an_ip_a_hostname_or_only_a_name() {
        assert_eq!(device("10.1.0.5")["ip"], "10.1.0.5");
        assert_eq!(device("[::1]")["ip"], "::1");
        assert_eq!(
            device("mail.example.nhs.uk")["hostname"],
            "mail.example.nhs.uk"
        );
        // A mounted root the agent assessed is no DNS name.
        let root = device("/srv/roots/ward-pc");
        assert_eq!(root["name"], "/srv/roots/ward-pc");
        assert!(root.get("hostname").is_none());
        assert!(device("-bad-.example")["hostname"].is_null());
    }
}
