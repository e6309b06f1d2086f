//! A small trust estate with 13 weeks of history, stored the way the
//! collector stores it: weekly reports ingested through `Store::ingest`
//! (so findings, their changes, scan summaries and `finding_counts` agree)
//! and exceptions added and withdrawn through the register.
//!
//! What the report should then say (`as_of` = now):
//! - B3.b Not achieved: portal's certificate expired 4 weeks ago (critical).
//! - B4.b Achieved: its rules with results all pass.
//! - B4.d Not achieved: srv-3 misses a high fix for 3 weeks.
//! - C1.a, A3.a Partially achieved: srv-4 silent for 5 weeks (PATCH-006),
//!   srv-2's unsupported OS accepted by the SIRO.
//! - Coverage 5 of 6 agents; 1 unsupported system, accepted; 2 exposed
//!   criticals; mail 2 of 2 domains protected; 1 certificate expiring.
//! - Top risks: the RDP exposure 20, the portal's certificate near expiry
//!   for 8 weeks 16, expired 15, weak key exchange 12, the accepted OS 10.
//! - Exceptions: 2 live (one lapses in 2 days), 1 withdrawn.

use time::{Duration, OffsetDateTime};
use trustwatch_collector::store::{Actor, Change, IncomingReport, NewException};
use trustwatch_collector::{AgentIdentity, Store};
use trustwatch_rules::{
    BaselineRef, Catalogue, Evidence, Finding, Report, Severity, Status, SCHEMA_VERSION,
};

/// Reports go back this many weeks: past the 90-day period's start.
pub const WEEKS: i64 = 13;

use Status::{Fail, Pass};

/// (target, rule, status, severity override) for `weeks_ago`.
type Row = (&'static str, &'static str, Status, Option<Severity>);

/// What agent `name` reports `weeks_ago`; `None`: it is silent that week.
fn findings(name: &str, weeks_ago: i64) -> Option<Vec<Row>> {
    let since = |weeks: i64| if weeks_ago <= weeks { Fail } else { Pass };
    Some(match name {
        "srv-1" => vec![
            (
                "srv-1",
                "PATCH-001",
                if weeks_ago > 6 { Fail } else { Pass },
                None,
            ),
            ("srv-1", "OS-001", Pass, None),
            ("srv-1", "HOST-011", Pass, None),
            ("srv-1", "HOST-008", Pass, None),
        ],
        "srv-2" => vec![
            ("srv-2", "PATCH-001", Pass, None),
            ("srv-2", "OS-001", Fail, None),
            ("srv-2", "HOST-011", Pass, None),
        ],
        "srv-3" => vec![
            ("srv-3", "PATCH-001", since(3), None),
            ("srv-3", "OS-001", Pass, None),
        ],
        "srv-4" if weeks_ago >= 5 => vec![
            ("srv-4", "PATCH-001", Pass, None),
            ("srv-4", "OS-001", Pass, None),
        ],
        "edge" => vec![
            ("203.0.113.10:3389", "SVC-003", Fail, None),
            ("www.example.nhs.uk:443", "TLS-001", Pass, None),
            ("www.example.nhs.uk:443", "CERT-001", Pass, None),
            (
                "www.example.nhs.uk:443",
                "CERT-002",
                since(2),
                Some(Severity::Medium),
            ),
            ("portal.example.nhs.uk:443", "TLS-001", Pass, None),
            ("portal.example.nhs.uk:443", "CERT-001", since(4), None),
            (
                "portal.example.nhs.uk:443",
                "CERT-002",
                since(8),
                Some(if weeks_ago <= 4 {
                    Severity::High
                } else {
                    Severity::Medium
                }),
            ),
            ("203.0.113.20:443", "TLS-006", since(10), None),
        ],
        "mail" => {
            let mut rows = Vec::new();
            for rule in [
                "MAIL-001", "MAIL-002", "MAIL-003", "MAIL-004", "MAIL-007", "MAIL-009",
            ] {
                rows.push(("example.nhs.uk", rule, Pass, None));
                let late = rule == "MAIL-004" && weeks_ago > 3;
                rows.push((
                    "legacy.example.nhs.uk",
                    rule,
                    if late { Fail } else { Pass },
                    None,
                ));
            }
            rows
        }
        _ => return None,
    })
}

pub const AGENTS: [&str; 6] = ["srv-1", "srv-2", "srv-3", "srv-4", "edge", "mail"];

/// Fills `store` (empty) with history ending just before `now`.
pub async fn seed(store: &Store, now: OffsetDateTime) {
    let catalogue = Catalogue::embedded().unwrap();
    for weeks_ago in (0..=WEEKS).rev() {
        for (i, name) in AGENTS.iter().enumerate() {
            let Some(rows) = findings(name, weeks_ago) else {
                continue;
            };
            let at =
                now - Duration::weeks(weeks_ago) - Duration::hours(2) + Duration::minutes(i as i64);
            let sequence = (WEEKS - weeks_ago + 1) as u64;
            let findings = rows
                .iter()
                .map(|(target, rule, status, severity)| {
                    let rule = catalogue.rule(rule).unwrap();
                    let f = Finding::for_rule(rule, target, *status, "", Evidence::new());
                    match severity {
                        Some(s) => f.with_severity(*s),
                        None => f,
                    }
                })
                .collect();
            store
                .ingest(report(name, sequence, at, findings))
                .await
                .unwrap();
        }
    }
    let today = now.date();
    let add =
        |rule: &str, target: &str, owner: &str, accepted: i64, expires: Duration| NewException {
            site: Some("north".into()),
            rule_id: rule.into(),
            target: target.into(),
            owner: owner.into(),
            siro_accepted_on: today - Duration::days(accepted),
            compensating_control: "segregated VLAN, no internet route".into(),
            reason: "clinical system supplier has no supported version yet".into(),
            expires_on: today + expires,
        };
    let actor = Actor::cli();
    let xp = add(
        "OS-001",
        "srv-2",
        "Clinical Systems Manager",
        200,
        Duration::days(2),
    );
    store.add_exception(&xp, &actor).await.unwrap();
    let rdp = add("SVC-001", "*", "Estates IT lead", 30, Duration::days(700));
    store.add_exception(&rdp, &actor).await.unwrap();
    let tls = add(
        "TLS-006",
        "203.0.113.20:443",
        "Network manager",
        10,
        Duration::days(300),
    );
    let tls = store.add_exception(&tls, &actor).await.unwrap();
    match store.withdraw_exception(tls.id, &actor).await.unwrap() {
        Change::Done(_) => {}
        _ => panic!("withdrawing exception {} changed nothing", tls.id),
    }
}

fn report(
    agent: &str,
    sequence: u64,
    at: OffsetDateTime,
    findings: Vec<Finding>,
) -> IncomingReport {
    let report = Report {
        schema_version: SCHEMA_VERSION,
        scanned_at: at,
        baseline: BaselineRef {
            id: "trustwatch-nhs-baseline".into(),
            version: "2026.11.1".into(),
        },
        tool: None,
        vantage: Some(agent.into()),
        findings,
        services: vec![],
        data_sources: vec![],
        agent: Some(agent.into()),
        report_id: Some(format!("{:016x}{sequence:016x}", fnv(agent))),
        sequence: Some(sequence),
    };
    IncomingReport {
        agent: AgentIdentity {
            name: agent.into(),
            site: "north".into(),
            cert_fingerprint: format!("fp-{agent}"),
        },
        received_at: at,
        body: serde_json::to_string(&report).unwrap(),
        report,
    }
}

/// A small stable hash, so report ids differ between agents.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
