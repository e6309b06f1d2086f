//! The schema the SIEM test validates against is not vacuous: the
//! library's own events pass it, and each thing OCSF forbids is refused.

use serde_json::{json, Value};
use trustwatch_collector::ocsf::{event, Activity, Occurrence};
use trustwatch_collector::store::{FindingRow, FindingSource};
use trustwatch_rules::{Severity, Status};

use super::check::{refused, validate, write_ndjson};

/// Breaks one thing in an event.
type Spoil = fn(&mut Value);

/// The schema is not vacuous: the library's own events pass, and each
/// thing OCSF forbids is refused.
#[test]
fn the_schema_passes_our_events_and_refuses_what_ocsf_forbids() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let now = time::OffsetDateTime::now_utc();
    let row = FindingRow {
        agent: "a1".into(),
        site: "north".into(),
        target: "10.1.0.5:443".into(),
        host: "10.1.0.5".into(),
        rule_id: "TLS-001".into(),
        title: "SSL 2.0/3.0 accepted".into(),
        severity: Severity::Critical,
        status: Status::Fail,
        reported_status: "fail".into(),
        exception: None,
        summary: "SSLv3 accepted".into(),
        evidence: json!({}),
        controls: vec!["CAF:B4.d".into()],
        first_seen: now,
        last_seen: now,
        last_changed: now,
        resolved_at: None,
        report_id: Some(1),
        source: FindingSource::Report,
    };
    let good = event(
        &row,
        Occurrence {
            activity: Activity::Create,
            at: now,
        },
    );
    let file = tmp.path().join("good.ndjson");
    write_ndjson(&file, std::slice::from_ref(&good));
    assert_eq!(validate(&file, false), "valid 1 compliance 0 vulnerability");

    let broken: [(&str, Spoil); 6] = [
        ("type_uid", |e| e["type_uid"] = json!(200302)),
        ("uid", |e| {
            e["finding_info"]
                .as_object_mut()
                .expect("object")
                .remove("uid");
        }),
        ("colour", |e| e["colour"] = json!("red")),
        ("status_id", |e| e["compliance"]["status_id"] = json!(7)),
        ("time", |e| e["time"] = json!("2026-01-01T00:00:00Z")),
        ("version", |e| e["metadata"]["version"] = json!("0.9")),
    ];
    for (what, spoil) in broken {
        let mut e = good.clone();
        spoil(&mut e);
        let file = tmp.path().join(format!("{what}.ndjson"));
        write_ndjson(&file, &[e]);
        let complaint = refused(&file);
        assert!(complaint.contains("1 invalid event"), "{what}: {complaint}");
    }
}
