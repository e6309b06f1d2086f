//! A small two-site estate whose findings cover every rule family the
//! dashboards show, uploaded as reports over the collector's mutual-TLS
//! ingest by simulated agents (client certificates from the collector's own
//! CA), then shaped with the collector's CLI: an accepted risk, a withdrawn
//! exception, a revoked agent, and one agent aged past `stale_after_secs`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use time::OffsetDateTime;
use trustwatch_e2e::load::agents::AgentMint;
use trustwatch_e2e::load::client::{post, Outcome};
use trustwatch_e2e::process::{binary, run_bounded, Collector};
use trustwatch_rules::{Catalogue, Evidence, Finding, Status};

use trustwatch_rules::Status::{Error, Fail, Pass};

pub const DAY: i64 = 86_400;

/// (rule, target, status, certificate notAfter in days from now)
type Row = (&'static str, &'static str, Status, Option<i64>);

/// (agent, site, findings)
pub const AGENTS: &[(&str, &str, &[Row])] = &[
    (
        "north-web",
        "north",
        &[
            ("TLS-001", "10.1.0.5:443", Fail, None),
            ("TLS-002", "10.1.0.5:443", Fail, None),
            ("TLS-003", "10.1.0.5:443", Pass, None),
            ("TLS-004", "10.1.0.5:443", Fail, None),
            ("TLS-005", "10.1.0.9:443", Error, None),
            // The earliest expiry at north: 5 days, inside both alerts' windows.
            ("CERT-001", "10.1.0.5:443", Pass, Some(5)),
            ("CERT-002", "10.1.0.5:443", Fail, None),
            ("CERT-003", "10.1.0.6:443", Fail, None),
            ("HTTP-001", "10.1.0.5:80", Fail, None),
            ("HTTP-002", "10.1.0.5:443", Fail, None),
            ("HTTP-004", "10.1.0.5:443", Pass, None),
        ],
    ),
    (
        "north-edge",
        "north",
        &[
            ("SVC-001", "10.1.0.7:23", Pass, None),
            ("SVC-002", "10.1.0.7:21", Fail, None),
            ("SVC-003", "10.1.0.7:3389", Fail, None),
            ("SVC-008", "10.1.0.8:104", Fail, None),
            ("SVC-009", "10.1.0.7:8080", Fail, None),
            ("SMB-001", "10.1.0.7:445", Fail, None),
            ("RDP-001", "10.1.0.7:3389", Fail, None),
            ("SSH-004", "10.1.0.7:22", Fail, None),
            ("SNMP-001", "10.1.0.1:161", Fail, None),
        ],
    ),
    (
        "north-ws01",
        "north",
        &[
            ("OS-001", "ws01.north.example", Fail, None),
            ("OS-002", "ws01.north.example", Fail, None),
            ("PATCH-001", "ws01.north.example", Fail, None),
            ("PATCH-002", "ws01.north.example", Fail, None),
            ("PATCH-003", "ws01.north.example", Pass, None),
            ("PATCH-004", "ws01.north.example", Fail, None),
            ("PATCH-005", "ws01.north.example", Pass, None),
            // Accepted as a risk below.
            ("HOST-001", "ws01.north.example", Fail, None),
            ("HOST-002", "ws01.north.example", Pass, None),
        ],
    ),
    (
        "north-dns",
        "north",
        &[
            ("MAIL-001", "north.nhs.example", Fail, None),
            ("MAIL-002", "north.nhs.example", Pass, None),
            ("MAIL-003", "north.nhs.example", Fail, None),
            ("MAIL-004", "north.nhs.example", Fail, None),
            ("MAIL-007", "mx.north.nhs.example:25", Fail, None),
            ("MAIL-009", "north.nhs.example", Fail, None),
            ("MAIL-013", "north.nhs.example", Fail, None),
            ("DNS-001", "north.nhs.example", Fail, None),
            ("DNS-002", "north.nhs.example", Pass, None),
            ("DNS-003", "old.north.nhs.example", Fail, None),
        ],
    ),
    // Aged past stale_after_secs once stored: PATCH-006's failing target.
    (
        "north-old",
        "north",
        &[("HOST-002", "ws09.north.example", Pass, None)],
    ),
    // Revoked once stored.
    (
        "north-gone",
        "north",
        &[("HOST-002", "ws10.north.example", Pass, None)],
    ),
    (
        "south-web",
        "south",
        &[
            ("TLS-002", "10.2.0.5:443", Pass, None),
            ("CERT-001", "10.2.0.5:443", Pass, Some(200)),
            ("HTTP-001", "10.2.0.5:80", Pass, None),
            ("SVC-004", "10.2.0.9:445", Fail, None),
            ("OS-001", "ws01.south.example", Pass, None),
            ("PATCH-001", "ws01.south.example", Pass, None),
            ("MAIL-001", "south.nhs.example", Pass, None),
            ("DNS-003", "south.nhs.example", Pass, None),
        ],
    ),
];

pub const STALE_AGENT: &str = "north-old";
pub const REVOKED_AGENT: &str = "north-gone";

/// The report `agent` uploads as `sequence`, findings from [`AGENTS`].
pub fn report(catalogue: &Catalogue, agent: &str, sequence: u64) -> Vec<u8> {
    let (_, _, rows) = AGENTS
        .iter()
        .find(|(name, _, _)| *name == agent)
        .expect("agent of the estate");
    let now = OffsetDateTime::now_utc();
    let rfc3339 = |t: OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .expect("RFC 3339")
    };
    let findings: Vec<Finding> = rows
        .iter()
        .map(|(rule_id, target, status, not_after)| {
            let rule = catalogue.rule(rule_id).expect("a catalogue rule");
            let mut evidence = Evidence::new();
            evidence.insert("observed", json!(format!("{rule_id} on {target}")));
            if let Some(days) = not_after {
                evidence.insert(
                    "not_after",
                    json!(rfc3339(now + time::Duration::days(*days))),
                );
            }
            Finding::for_rule(
                rule,
                target,
                *status,
                format!("{rule_id} is {status} on {target}"),
                evidence,
            )
        })
        .collect();
    let index = AGENTS.iter().position(|(n, _, _)| *n == agent).unwrap_or(0);
    serde_json::to_vec(&json!({
        "schema_version": trustwatch_rules::SCHEMA_VERSION,
        "scanned_at": rfc3339(now),
        "baseline": catalogue.baseline_ref(),
        "vantage": agent,
        "findings": findings,
        "agent": agent,
        "report_id": format!("{:016x}{sequence:016x}", 0x7e57_0000_u64 + index as u64),
        "sequence": sequence,
    }))
    .expect("report JSON")
}

/// Uploads `body` as `agent` (at `site`) over mutual TLS.
pub fn upload(
    mint: &AgentMint,
    ingest: SocketAddr,
    agent: &str,
    site: &str,
    body: Vec<u8>,
) -> Outcome {
    let tls = mint.agent_at(agent, site).tls;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(post(ingest, &tls, body))
}

/// Uploads every agent's first report and shapes the registers; returns
/// once the store holds it all.
pub fn seed(collector: &Collector, catalogue: &Catalogue) -> AgentMint {
    let mint = AgentMint::from_data_dir(&collector.data_dir()).expect("the collector's CA");
    for (agent, site, _) in AGENTS {
        let outcome = upload(
            &mint,
            collector.ingest,
            agent,
            site,
            report(catalogue, agent, 1),
        );
        assert!(
            matches!(outcome, Outcome::Accepted { duplicate: false }),
            "{agent}'s report was not accepted: {outcome:?}"
        );
    }
    let db = rusqlite::Connection::open(
        collector
            .data_dir()
            .join(trustwatch_collector::store::DB_FILE),
    )
    .expect("open the collector's SQLite store");
    db.busy_timeout(Duration::from_secs(10))
        .expect("busy timeout");
    // 202 means queued for the writer: wait until every report is stored.
    let stored = || -> i64 {
        db.query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0))
            .expect("count reports")
    };
    let start = std::time::Instant::now();
    while stored() < AGENTS.len() as i64 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the collector stored {} of {} reports within 30 s",
            stored(),
            AGENTS.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // No upload can make an agent's last contact old: age it in the store,
    // as ten silent days would.
    let old = OffsetDateTime::now_utc().unix_timestamp() - 10 * DAY;
    let aged = db
        .execute(
            "UPDATE agents SET last_contact = ?1, last_seen = ?1 WHERE name = ?2",
            rusqlite::params![old, STALE_AGENT],
        )
        .expect("age an agent");
    assert_eq!(aged, 1, "{STALE_AGENT} is in the store");

    let today = OffsetDateTime::now_utc().date();
    let accepted = (today - time::Duration::days(7)).to_string();
    let expires = (today + time::Duration::days(90)).to_string();
    let exception = |rule: &str, target: &str, site: Option<&str>| -> String {
        let mut args = vec![
            "exception",
            "add",
            "--rule",
            rule,
            "--target",
            target,
            "--owner",
            "Head of IT",
            "--siro-accepted",
            accepted.as_str(),
            "--control",
            "isolated VLAN",
            "--reason",
            "clinical system pending replacement",
            "--expires",
            expires.as_str(),
        ];
        if let Some(site) = site {
            args.extend(["--site", site]);
        }
        cli(&collector.config, &args)
    };
    exception("HOST-001", "ws01.north.example", Some("north"));
    let added = exception("DNS-001", "*", None);
    let id = added
        .strip_prefix("added exception ")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("no exception id in: {added}"));
    cli(&collector.config, &["exception", "withdraw", id]);
    cli(
        &collector.config,
        &["agent", "revoke", REVOKED_AGENT, "--reason", "laptop lost"],
    );
    mint
}

/// Runs `trustwatch-collector ARGS --config CONFIG`; returns its stdout.
fn cli(config: &Path, args: &[&str]) -> String {
    let out = run_bounded(
        Command::new(binary("trustwatch-collector"))
            .args(args)
            .arg("--config")
            .arg(config),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "trustwatch-collector {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
