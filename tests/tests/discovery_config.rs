//! A `[[discovery]]` table in the agent's config, end to end: the real
//! `trustwatch-agent run --once` sweeps a real sshd (the weak variant of
//! the service lab's launcher) on a high port of 127.0.0.1, judges it
//! against an approved-services register named in the table, and uploads
//! the report to a real collector, whose API then serves the SVC and SSH
//! findings.

use std::fs;
use std::net::Ipv4Addr;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use trustwatch_e2e::net::free_port;
use trustwatch_e2e::process::{binary, run_bounded, Collector};
use trustwatch_e2e::svclab::sshd;
use trustwatch_e2e::{http, scrape};

const SITE: &str = "discovery";

/// The findings the collector holds for `rule_id` (one page is all of
/// them here), read with an auditor token made by the CLI.
fn findings(collector: &Collector, rule_id: &str) -> Vec<Value> {
    let token = collector.api_token("auditor");
    let (status, body) = http::get_with_token(
        collector.http,
        &format!("/api/v1/findings?rule_id={rule_id}&limit=1000"),
        Some(&token),
    )
    .expect("findings API");
    assert_eq!(status, 200, "{body}");
    let page: Value = serde_json::from_str(&body).expect("a JSON page of findings");
    page["findings"].as_array().expect("findings array").clone()
}

#[test]
fn scheduled_discovery_is_uploaded_with_its_service_findings() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ip = Ipv4Addr::LOCALHOST;
    let port = free_port();
    let _sshd = sshd::start(tmp.path(), ip, port, sshd::Variant::Weak);

    let cdir = tmp.path().join("collector");
    fs::create_dir_all(&cdir).expect("collector dir");
    let collector = Collector::start(&cdir);
    let adir = tmp.path().join("agent");
    fs::create_dir_all(&adir).expect("agent dir");
    collector.agent_cert("discovery-agent", SITE, &adir);

    // Relative to the config file, like every path in it.
    fs::write(
        adir.join("approved.toml"),
        format!("[[approved]]\nhost = \"{ip}\"\nport = {port}\nservice = \"ssh\"\nnote = \"test sshd\"\n"),
    )
    .expect("write register");
    let config = adir.join("agent.toml");
    fs::write(
        &config,
        format!(
            r#"[agent]
name = "discovery-agent"

[collector]
url = "https://{ingest}"
ca = "ca.crt"
cert = "agent.crt"
key = "agent.key"

[schedule]
interval_secs = 3600

[[discovery]]
hosts = ["{ip}"]
ports = "T:{port}"
rate = 50
host_rate = 10
timeout_secs = 5
approved = "approved.toml"
"#,
            ingest = collector.ingest,
        ),
    )
    .expect("write agent config");

    let out = run_bounded(
        Command::new(binary("trustwatch-agent"))
            .args(["run", "--once", "--config"])
            .arg(&config),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "agent run --once failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    let host = ip.to_string();
    let endpoint = format!("{ip}:{port}");
    let one = |rule_id: &str, target: &str| -> Value {
        let all = findings(&collector, rule_id);
        let matching: Vec<&Value> = all.iter().filter(|f| f["target"] == target).collect();
        assert_eq!(matching.len(), 1, "{rule_id} on {target}: {all:?}");
        matching[0].clone()
    };
    // Host-level SVC rules, judged on the one open port.
    let telnet = one("SVC-001", &host);
    assert_eq!(telnet["status"], "pass", "{telnet}");
    assert_eq!(telnet["site"], SITE, "{telnet}");
    let register = one("SVC-009", &host);
    assert_eq!(register["status"], "pass", "{register}");
    assert_eq!(register["evidence"]["open_ports"], 1, "{register}");
    // Per-service rules on the sshd, with the KEXINIT read.
    let weak = one("SSH-002", &endpoint);
    assert_eq!(weak["status"], "fail", "{weak}");
    assert!(
        weak["evidence"]["weak_kex"]
            .as_array()
            .is_some_and(|k| k.iter().any(|a| a == "diffie-hellman-group1-sha1")),
        "{weak}"
    );
    assert_eq!(one("SSH-003", &endpoint)["status"], "fail");
    assert_eq!(one("SSH-001", &endpoint)["status"], "pass");
    // Internet-facing rules stay out of an internal (default) discovery.
    assert!(findings(&collector, "SVC-005").is_empty());

    // And into the aggregates.
    let samples = scrape::parse(&collector.scrape());
    assert_eq!(
        scrape::value(
            &samples,
            "trustwatch_rule_failing_targets",
            &[("site", SITE), ("rule_id", "SSH-002")]
        ),
        Some(1.0)
    );
}
