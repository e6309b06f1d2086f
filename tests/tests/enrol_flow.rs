//! Issue 7 end to end with the real binaries: a token from the collector's
//! CLI, `trustwatch-agent enrol` with it, a central policy set on the
//! collector and fetched by the agent at check-in (it names the only target
//! the agent scans), the report stored under the enrolled identity, then
//! `agent revoke` refusing the agent's next upload; and an agent whose
//! certificate is in the last third of its life renewing it at check-in.

use std::process::Command;
use std::time::Duration;

use time::{Duration as Span, OffsetDateTime};
use trustwatch_e2e::load::agents::AgentMint;
use trustwatch_e2e::process::run_bounded;
use trustwatch_e2e::{binary, Collector};

const BOUND: Duration = Duration::from_secs(120);

fn ok(cmd: &mut Command, what: &str) -> String {
    let out = run_bounded(cmd, BOUND);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn reports_of(collector: &Collector, agent: &str) -> Vec<(String, String, i64)> {
    let db = collector.data_dir().join("trustwatch.db");
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT r.site, f.target, COUNT(*) FROM reports r JOIN findings f ON f.report_id = r.id
             WHERE r.agent = ?1 GROUP BY r.site, f.target",
        )
        .unwrap();
    let rows = stmt
        .query_map([agent], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn enrol_fetch_policy_report_then_revoke() {
    let tmp = tempfile::tempdir().unwrap();
    let cdir = tmp.path().join("collector");
    let adir = tmp.path().join("agent");
    std::fs::create_dir_all(&cdir).unwrap();
    let collector = Collector::start(&cdir);
    let collector_bin = binary("trustwatch-collector");
    let agent_bin = binary("trustwatch-agent");

    let token = ok(
        Command::new(&collector_bin)
            .args([
                "token", "create", "--site", "north", "--ttl", "1h", "--config",
            ])
            .arg(&collector.config),
        "token create",
    );
    assert!(token.starts_with("twe1_"), "{token}");

    ok(
        Command::new(&agent_bin)
            .args(["enrol", &token, "--name", "ward-1", "--dir"])
            .arg(&adir),
        "agent enrol",
    );
    for file in ["agent.key", "agent.crt", "ca.crt", "agent.toml"] {
        assert!(adir.join(file).is_file(), "enrol did not write {file}");
    }
    // The token was for one use: a second enrolment is refused.
    let again = run_bounded(
        Command::new(&agent_bin)
            .args(["enrol", &token, "--name", "ward-2", "--dir"])
            .arg(tmp.path().join("agent2")),
        BOUND,
    );
    assert_eq!(again.status.code(), Some(1), "a used-up token was accepted");

    // Central policy: the collector's own ingest listener is the target.
    let policy = tmp.path().join("north.toml");
    let target = collector.ingest.to_string();
    std::fs::write(&policy, format!("tls_targets = [\"{target}\"]\n")).unwrap();
    ok(
        Command::new(&collector_bin)
            .args(["policy", "set", "--site", "north", "--config"])
            .arg(&collector.config)
            .arg(&policy),
        "policy set",
    );

    let agent_config = adir.join("agent.toml");
    ok(
        Command::new(&agent_bin)
            .args(["run", "--once", "--config"])
            .arg(&agent_config),
        "agent run --once",
    );
    let stored = reports_of(&collector, "ward-1");
    assert!(
        stored
            .iter()
            .any(|(site, t, n)| site == "north" && *t == target && *n > 0),
        "no findings for the policy's target under the enrolled identity: {stored:?}"
    );

    ok(
        Command::new(&collector_bin)
            .args(["agent", "revoke", "ward-1", "--config"])
            .arg(&collector.config),
        "agent revoke",
    );
    let refused = run_bounded(
        Command::new(&agent_bin)
            .args(["run", "--once", "--config"])
            .arg(&agent_config),
        BOUND,
    );
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a revoked agent's upload was accepted: {}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(
        reports_of(&collector, "ward-1")
            .iter()
            .map(|r| r.2)
            .sum::<i64>(),
        stored.iter().map(|r| r.2).sum::<i64>(),
        "the revoked agent's report was stored"
    );
    let samples = trustwatch_e2e::scrape::parse(&collector.scrape());
    let revoked = trustwatch_e2e::scrape::value(
        &samples,
        "trustwatch_collector_auth_refusals_total",
        &[("reason", "revoked")],
    )
    .unwrap();
    assert!(
        revoked >= 1.0,
        "the revoked agent's refusal was not counted"
    );
}

#[test]
fn a_certificate_near_its_end_is_renewed_at_check_in() {
    let tmp = tempfile::tempdir().unwrap();
    let cdir = tmp.path().join("collector");
    let adir = tmp.path().join("agent");
    std::fs::create_dir_all(&cdir).unwrap();
    std::fs::create_dir_all(&adir).unwrap();
    let collector = Collector::start(&cdir);
    // Valid for four hours, three of them gone: under a third is left.
    let mint = AgentMint::from_data_dir(&collector.data_dir()).unwrap();
    let now = OffsetDateTime::now_utc();
    let (cert, key) = mint.certificate_pem(
        "ward-9",
        "south",
        now - Span::hours(3),
        now + Span::hours(1),
    );
    std::fs::write(adir.join("agent.crt"), &cert).unwrap();
    std::fs::write(adir.join("agent.key"), &key).unwrap();
    std::fs::copy(collector.ca_pem(), adir.join("ca.crt")).unwrap();
    let target = collector.ingest.to_string();
    std::fs::write(
        adir.join("agent.toml"),
        format!(
            "[agent]\nname = \"ward-9\"\n\n[collector]\nurl = \"https://{target}\"\n\
             ca = \"ca.crt\"\ncert = \"agent.crt\"\nkey = \"agent.key\"\n\n\
             [[tls]]\ntarget = \"{target}\"\n"
        ),
    )
    .unwrap();

    ok(
        Command::new(binary("trustwatch-agent"))
            .args(["run", "--once", "--config"])
            .arg(adir.join("agent.toml")),
        "agent run --once",
    );
    let renewed = std::fs::read_to_string(adir.join("agent.crt")).unwrap();
    assert_ne!(renewed, cert, "the certificate was not renewed");
    assert_ne!(
        std::fs::read_to_string(adir.join("agent.key")).unwrap(),
        key,
        "renewal kept the old key"
    );
    // The collector recorded the new certificate's expiry (7 days by
    // default), and the report went up under the same identity.
    let db = collector.data_dir().join("trustwatch.db");
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let not_after: i64 = conn
        .query_row(
            "SELECT cert_not_after FROM agents WHERE name = 'ward-9'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let days = (not_after - now.unix_timestamp()) as f64 / 86_400.0;
    assert!((6.9..7.1).contains(&days), "renewed for {days} days");
    assert!(!reports_of(&collector, "ward-9").is_empty());
}
