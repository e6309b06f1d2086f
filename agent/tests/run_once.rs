//! `trustwatch-agent run --config … --once` against a stand-in collector
//! on 127.0.0.1 that requires the agent's client certificate.

#[path = "support/agent_run.rs"]
mod agent_run;
#[path = "support/collector.rs"]
mod collector;
#[path = "support/pki.rs"]
mod pki;
#[path = "support/servers.rs"]
mod servers;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use agent_run::stderr;
use collector::FakeCollector;
use pki::Pki;
use servers::free_port;
use trustwatch_rules::observe::TlsVersion;
use trustwatch_rules::{Report, Status};

fn config(url: &str, target: &str) -> String {
    format!(
        r#"[agent]
name = "demo-agent"

[collector]
url = "{url}"
ca = "ca.pem"
cert = "agent.pem"
key = "agent.key"

[schedule]
interval_secs = 3600

[scan]
timeout_secs = 5

[[tls]]
target = "{target}"
sni = "localhost"
ca = ["ca.pem"]
"#
    )
}

/// The agent, once, logging at `warn`.
async fn run_once(dir: &Path, text: &str) -> Output {
    agent_run::run_once(dir, text, "warn").await
}

#[tokio::test]
async fn once_uploads_the_report_over_mutual_tls() {
    let pki = Pki::new();
    let server = pki.good_leaf();
    pki.client("agent");
    let collector = FakeCollector::start(&server.cert, &server.key, &pki.ca_cert).await;
    // The agent scans the collector itself: a real mutual-TLS endpoint.
    let target = format!("127.0.0.1:{}", collector.port);

    let out = run_once(pki.dir.path(), &config(&collector.url(), &target)).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));

    let received = collector.received();
    let posts: Vec<_> = received.iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 1, "{received:?}");
    assert_eq!(posts[0].path, "/api/v1/reports");
    assert_eq!(posts[0].content_type.as_deref(), Some("application/json"));

    let report: Report = serde_json::from_slice(&posts[0].body).expect("body is a Report");
    assert_eq!(report.vantage.as_deref(), Some("demo-agent"));
    // Stamped for delivery: the certificate's name, a fresh id, sequence 1.
    assert_eq!(report.agent.as_deref(), Some("agent"));
    assert_eq!(report.sequence, Some(1));
    let id = report.report_id.as_deref().unwrap_or_default();
    assert!(
        id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{id:?}"
    );
    // The policy was asked for first (the stand-in has none: 404).
    assert_eq!(received[0].method, "GET");
    assert_eq!(received[0].path, "/api/v1/policy");
    // Delivered: the spool beside the config is empty again.
    let spool = pki.dir.path().join("spool");
    let waiting = std::fs::read_dir(&spool)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .filter(|e| e.file_name() != "state.json")
        .count();
    assert_eq!(waiting, 0);
    assert_eq!(
        report.tool.as_ref().map(|t| t.name.as_str()),
        Some("trustwatch-agent")
    );
    assert_eq!(
        report.findings.len(),
        trustwatch_rules::evaluate::TLS_PROBE_RULES.len()
    );
    let status = |rule: &str| {
        report
            .findings
            .iter()
            .find(|f| f.rule_id == rule)
            .map(|f| f.status)
    };
    assert_eq!(status("TLS-003"), Some(Status::Pass));
    assert_eq!(status("TLS-004"), Some(Status::Pass));
    assert_eq!(
        status("CERT-003"),
        Some(Status::Pass),
        "trusted via the [[tls]] ca"
    );
    assert_eq!(
        status("CERT-004"),
        Some(Status::Pass),
        "checked against sni = localhost"
    );

    let protocols = &report.findings[0]
        .evidence
        .get("protocols")
        .expect("protocols evidence");
    let tls12 = protocols[TlsVersion::Tls12.as_str()]["cipher_suite"]
        .as_str()
        .unwrap_or_default();
    assert!(
        tls12.ends_with("(client certificate required)"),
        "{protocols}"
    );
}

#[tokio::test]
async fn once_exits_1_when_the_collector_is_unreachable() {
    let pki = Pki::new();
    pki.client("agent");
    let url = format!("https://127.0.0.1:{}", free_port());
    let target = format!("127.0.0.1:{}", free_port());
    let out = run_once(pki.dir.path(), &config(&url, &target)).await;
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let expected =
        format!("trustwatch-agent: upload to {url}/api/v1/reports failed: connection refused");
    assert!(
        stderr(&out).lines().any(|l| l.starts_with(&expected)),
        "{}",
        stderr(&out)
    );
    // The report waits in the spool for the next run, and the next run
    // sends it first.
    assert!(
        stderr(&out).contains("the report stays in the spool"),
        "{}",
        stderr(&out)
    );
    assert!(pki
        .dir
        .path()
        .join("spool")
        .join("00000000000000000001.json")
        .is_file());
}

#[tokio::test]
async fn once_sends_what_an_earlier_run_spooled_first() {
    let pki = Pki::new();
    let server = pki.good_leaf();
    pki.client("agent");
    let down = format!("https://127.0.0.1:{}", free_port());
    let target = format!("127.0.0.1:{}", free_port());
    let out = run_once(pki.dir.path(), &config(&down, &target)).await;
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));

    let collector = FakeCollector::start(&server.cert, &server.key, &pki.ca_cert).await;
    let out = run_once(pki.dir.path(), &config(&collector.url(), &target)).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let sequences: Vec<Option<u64>> = collector
        .received()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| serde_json::from_slice::<Report>(&r.body).unwrap().sequence)
        .collect();
    assert_eq!(sequences, [Some(1), Some(2)]);
}

#[tokio::test]
async fn once_exits_1_when_the_collector_refuses_the_client_certificate() {
    let pki = Pki::new();
    let server = pki.good_leaf();
    let collector = FakeCollector::start(&server.cert, &server.key, &pki.ca_cert).await;
    // An identity from another CA: the collector must not accept it.
    let stranger = Pki::new();
    let agent = stranger.client("agent");
    std::fs::copy(&agent.cert, pki.path("agent.pem")).unwrap();
    std::fs::copy(&agent.key, pki.path("agent.key")).unwrap();
    let target = format!("127.0.0.1:{}", free_port());
    let out = run_once(pki.dir.path(), &config(&collector.url(), &target)).await;
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    assert!(collector.received().is_empty());
}

#[tokio::test]
async fn bad_config_exits_2_naming_file_line_and_key() {
    let pki = Pki::new();
    pki.client("agent");
    let text = config("http://127.0.0.1:8443", "127.0.0.1:1");
    let out = run_once(pki.dir.path(), &text).await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    let file = pki.path("agent.toml");
    assert!(
        err.starts_with(&format!(
            "trustwatch-agent: {} line 5, key `collector.url`: ",
            file.display()
        )),
        "{err}"
    );
}

#[tokio::test]
async fn daemon_uploads_then_stops_promptly_on_shutdown() {
    use trustwatch_agent::config::Config;
    use trustwatch_agent::daemon::Daemon;

    let pki = Pki::new();
    let server = pki.good_leaf();
    pki.client("agent");
    let collector = FakeCollector::start(&server.cert, &server.key, &pki.ca_cert).await;
    let target = format!("127.0.0.1:{}", free_port());
    let text =
        config(&collector.url(), &target).replace("interval_secs = 3600", "interval_secs = 10");
    let file = pki.path("agent.toml");
    std::fs::write(&file, text).unwrap();
    let daemon = Daemon::new(Config::load(&file).unwrap()).unwrap();

    // Shut down once the first report has arrived: the loop must then stop
    // during its 10 s sleep instead of starting another cycle.
    let received = collector.received.clone();
    let shutdown = async move {
        for _ in 0..400 {
            if received.lock().unwrap().iter().any(|r| r.method == "POST") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(30), daemon.run(shutdown))
        .await
        .expect("the daemon stops when told to");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let received = collector.received();
    assert_eq!(
        received.iter().filter(|r| r.method == "POST").count(),
        1,
        "{received:?}"
    );
}
