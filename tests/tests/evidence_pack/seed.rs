//! The store the pack is made from: reports ingested through
//! `Store::ingest`, a central policy and an exception.

use time::macros::datetime;
use time::{Date, OffsetDateTime};
use trustwatch_collector::policy::PolicyBody;
use trustwatch_collector::store::{Actor, IncomingReport, NewException};
use trustwatch_collector::{AgentIdentity, Store};
use trustwatch_rules::{BaselineRef, Evidence, Finding, Report, Severity, Status, ToolInfo};

type F<'a> = (&'a str, &'a str, Status);

fn report(
    agent: &str,
    site: &str,
    sequence: u64,
    at: OffsetDateTime,
    findings: &[F<'_>],
) -> IncomingReport {
    let mut evidence = Evidence::new();
    evidence.insert("protocols", serde_json::json!(["TLSv1.0", "TLSv1.2"]));
    let report = Report {
        schema_version: trustwatch_rules::SCHEMA_VERSION,
        scanned_at: at - time::Duration::minutes(1),
        baseline: BaselineRef {
            id: "trustwatch-nhs-baseline".into(),
            version: "1".into(),
        },
        tool: Some(ToolInfo {
            name: "trustwatch-agent".into(),
            version: "0.1.0".into(),
        }),
        vantage: Some(format!("{agent}.example.nhs.uk")),
        findings: findings
            .iter()
            .map(|(target, rule, status)| Finding {
                rule_id: (*rule).into(),
                title: format!("title of {rule}"),
                severity: Severity::High,
                status: *status,
                target: (*target).into(),
                summary: "a summary, with a comma and \"quotes\"".into(),
                evidence: evidence.clone(),
                controls: vec![
                    "CAF:B4.d".into(),
                    "DSPT:9.2.3".into(),
                    "CE:secure-configuration".into(),
                ],
                remediation: "fix it".into(),
            })
            .collect(),
        services: vec![],
        data_sources: vec![],
        agent: Some(agent.into()),
        report_id: Some(format!("{:0>16}{sequence:016x}", agent.len())),
        sequence: Some(sequence),
    };
    let mut body = serde_json::to_value(&report).unwrap();
    body["data_sources"] = serde_json::json!([
        {"kind": "lifecycle", "path": "/var/lib/trustwatch/lifecycle.toml", "version": "2026.01"}
    ]);
    IncomingReport {
        agent: AgentIdentity {
            name: agent.into(),
            site: site.into(),
            cert_fingerprint: format!("fp-{agent}"),
        },
        received_at: at,
        body: body.to_string(),
        report,
    }
}

/// Three agents, two sites, January 2026: on a1, TLS-002 on h1 fails on
/// the 2nd and passes on the 4th (remediated in 2 days) and h2 starts
/// failing on the 6th (open); a2's h3 fails throughout; b1 is elsewhere.
pub async fn seed(store: &Store) {
    let day = |d: u8| datetime!(2026-01-01 12:00 UTC) + time::Duration::days(i64::from(d) - 1);
    let reports = [
        report(
            "a1",
            "north",
            1,
            day(2),
            &[
                ("h1:443", "TLS-002", Status::Fail),
                ("h2:443", "TLS-002", Status::Pass),
            ],
        ),
        report(
            "a1",
            "north",
            2,
            day(4),
            &[
                ("h1:443", "TLS-002", Status::Pass),
                ("h2:443", "TLS-002", Status::Pass),
            ],
        ),
        report(
            "a1",
            "north",
            3,
            day(6),
            &[
                ("h1:443", "TLS-002", Status::Pass),
                ("h2:443", "TLS-002", Status::Fail),
            ],
        ),
        report(
            "a2",
            "north",
            1,
            day(3),
            &[
                ("h3:443", "CERT-001", Status::Fail),
                ("h4:443", "CERT-001", Status::Pass),
            ],
        ),
        report(
            "a2",
            "north",
            2,
            day(7),
            &[
                ("h3:443", "CERT-001", Status::Fail),
                ("h4:443", "CERT-001", Status::Pass),
            ],
        ),
        report(
            "b1",
            "south",
            1,
            day(5),
            &[("s1:443", "TLS-002", Status::Fail)],
        ),
    ];
    for r in reports {
        store.ingest(r).await.unwrap();
    }
    let policy = PolicyBody {
        scope: vec!["10.1.0.0/16".into()],
        exclude: vec!["10.1.99.0/24".into()],
        domains: vec!["north.example.nhs.uk".into()],
        ..PolicyBody::default()
    };
    store
        .set_policy("north", &policy, &Actor::cli())
        .await
        .unwrap();
    let date = |s: &str| {
        Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
    };
    store
        .add_exception(
            &NewException {
                site: Some("north".into()),
                rule_id: "CERT-001".into(),
                target: "h3:443".into(),
                owner: "Head of IT, North".into(),
                siro_accepted_on: date("2026-01-05"),
                compensating_control: "the service is reachable from the clinical VLAN only".into(),
                reason: "supplier appliance; certificate renewal due with the upgrade".into(),
                expires_on: date("2028-12-31"),
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
}
