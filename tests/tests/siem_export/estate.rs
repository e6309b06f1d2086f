//! One agent's reports for the SIEM tests: baseline results of several
//! families plus missing fixes (PATCH-001 overdue fixes and PATCH-002
//! alert-listed CVEs with the evidence the rules record), uploaded over the
//! collector's mutual-TLS ingest with a certificate from its own CA.

use std::net::SocketAddr;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustwatch_e2e::load::agents::AgentMint;
use trustwatch_e2e::load::client::{post, Outcome};
use trustwatch_rules::{Catalogue, Evidence, Finding, Status};

pub const AGENT: &str = "ward-7-pc";
pub const SITE: &str = "north";

/// (rule, target, status)
pub type Row = (&'static str, &'static str, Status);

/// The first report: eight results, two of them missing fixes.
pub const FIRST: &[Row] = &[
    ("TLS-001", "10.1.0.5:443", Status::Fail),
    ("TLS-003", "10.1.0.5:443", Status::Pass),
    ("CERT-002", "10.1.0.5:443", Status::Fail),
    ("HTTP-001", "10.1.0.5:80", Status::Fail),
    ("SVC-003", "10.1.0.5:3389", Status::Error),
    ("OS-001", "ward-7-pc.north.example", Status::Pass),
    ("PATCH-001", "ward-7-pc.north.example", Status::Fail),
    ("PATCH-002", "ward-7-pc.north.example", Status::Fail),
];

/// The second: TLS-001 fixed (close), CERT-002 now errors (update),
/// HTTP-001 no longer reported for a target the report covers (absent:
/// close), SVC-003 unchanged, TLS-004 new (create). Four changes.
pub const SECOND: &[Row] = &[
    ("TLS-001", "10.1.0.5:443", Status::Pass),
    ("TLS-003", "10.1.0.5:443", Status::Pass),
    ("CERT-002", "10.1.0.5:443", Status::Error),
    ("TLS-004", "10.1.0.5:443", Status::Fail),
    ("HTTP-002", "10.1.0.5:80", Status::Pass),
    ("SVC-003", "10.1.0.5:3389", Status::Error),
    ("OS-001", "ward-7-pc.north.example", Status::Pass),
    ("PATCH-001", "ward-7-pc.north.example", Status::Fail),
    ("PATCH-002", "ward-7-pc.north.example", Status::Fail),
];

/// Changes the second report makes: TLS-001, CERT-002, TLS-004,
/// HTTP-001 (absent) and HTTP-002 (new).
pub const SECOND_CHANGES: usize = 5;

fn evidence(rule_id: &str, target: &str) -> Evidence {
    let mut ev = Evidence::new();
    ev.insert("observed", json!(format!("{rule_id} on {target}")));
    match rule_id {
        "PATCH-001" => {
            ev.insert(
                "overdue",
                json!([
                    {"advisory": "DSA-5532-1", "cves": ["CVE-2023-5678", "CVE-2023-5363"],
                     "ecosystem": "Debian:12", "package": "openssl", "binaries": ["libssl3"],
                     "installed": "3.0.9-1", "fixed": "3.0.11-1~deb12u2",
                     "published": "2023-10-24T00:00:00Z", "severity_basis": "rating high",
                     "rating": "high", "cvss": null, "days_since_published": 60, "days_overdue": 46},
                    {"advisory": "DLA-3623-1", "cves": [], "ecosystem": "Debian:12",
                     "package": "zlib", "binaries": ["zlib1g"], "installed": "1:1.2.13.dfsg-1",
                     "fixed": "1:1.2.13.dfsg-1+deb12u1", "published": "2023-10-01T00:00:00Z",
                     "severity_basis": "unrated", "rating": null, "cvss": null}
                ]),
            );
            ev.insert("undated", json!([]));
        }
        "PATCH-002" => {
            ev.insert("present_cves", json!(["CVE-2024-3094"]));
            ev.insert(
                "present",
                json!([{"cve": "CVE-2024-3094", "alert_reference": "CC-4482",
                        "advisory": "DSA-5649-1", "ecosystem": "Debian:12",
                        "package": "xz-utils", "binaries": ["liblzma5"],
                        "installed": "5.6.0-0.2", "fixed": "5.6.1+really5.4.5-1",
                        "published": "2024-03-29T00:00:00Z"}]),
            );
        }
        _ => {}
    }
    ev
}

/// The report of `rows` as sequence `sequence`.
pub fn report(catalogue: &Catalogue, rows: &[Row], sequence: u64) -> Vec<u8> {
    let now = OffsetDateTime::now_utc();
    let findings: Vec<Finding> = rows
        .iter()
        .map(|(rule_id, target, status)| {
            let rule = catalogue.rule(rule_id).expect("a catalogue rule");
            Finding::for_rule(
                rule,
                target,
                *status,
                format!("{rule_id} is {status} on {target}"),
                evidence(rule_id, target),
            )
        })
        .collect();
    serde_json::to_vec(&json!({
        "schema_version": trustwatch_rules::SCHEMA_VERSION,
        "scanned_at": now.format(&Rfc3339).expect("RFC 3339"),
        "baseline": catalogue.baseline_ref(),
        "vantage": AGENT,
        "findings": findings,
        "agent": AGENT,
        "report_id": format!("{:016x}{sequence:016x}", 0x51e3_u64),
        "sequence": sequence,
    }))
    .expect("report JSON")
}

/// Uploads `body` over mutual TLS and insists it is accepted.
pub fn upload(mint: &AgentMint, ingest: SocketAddr, body: Vec<u8>) {
    let tls = mint.agent_at(AGENT, SITE).tls;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let outcome = runtime.block_on(post(ingest, &tls, body));
    assert!(
        matches!(outcome, Outcome::Accepted { duplicate: false }),
        "the report was not accepted: {outcome:?}"
    );
}

/// The OCSF events in `envelopes`.
pub fn events(envelopes: &[Value]) -> Vec<&Value> {
    envelopes.iter().map(|e| &e["event"]).collect()
}
