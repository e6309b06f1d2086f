//! The README's run command: `trustwatch-collector demo` on a fresh folder
//! shows a failing finding in /metrics within 30 s of start.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use trustwatch_e2e::process::run_bounded;
use trustwatch_e2e::{binary, http, scrape, Child};

/// The first `http://127.0.0.1:PORT/metrics` printed by the demo.
fn metrics_addr(line: &str) -> Option<SocketAddr> {
    let start = line.find("http://")? + "http://".len();
    let rest = &line[start..];
    let end = rest.find("/metrics")?;
    rest[..end].parse().ok()
}

#[test]
fn demo_shows_a_failing_finding_in_metrics_within_30_seconds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let mut child = Command::new(binary("trustwatch-collector"))
        .args([
            "demo",
            "--ingest-listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
            "--dir",
        ])
        .arg(tmp.path().join("demo"))
        .env("TRUSTWATCH_AGENT_BIN", binary("trustwatch-agent"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start demo");
    let stdout = child.stdout.take().expect("demo stdout");
    let child = Child(child);

    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = String::new();
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30).saturating_sub(started.elapsed()))
            .unwrap_or_else(|_| panic!("demo printed no /metrics URL within 30 s:\n{printed}"));
        printed.push_str(&line);
        printed.push('\n');
        if let Some(addr) = metrics_addr(&line) {
            break addr;
        }
    };

    let failing = loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no failing finding in /metrics within 30 s; demo printed:\n{printed}"
        );
        if let Ok((200, body)) = http::get(addr, "/metrics") {
            let samples = scrape::parse(&body);
            let fails: f64 = samples
                .iter()
                .filter(|s| {
                    s.name == "trustwatch_findings"
                        && s.labels.get("status").map(String::as_str) == Some("fail")
                })
                .map(|s| s.value)
                .sum();
            if fails > 0.0 {
                break samples;
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    // The deliberately expired demo endpoint fails CERT-001.
    assert_eq!(
        scrape::value(
            &failing,
            "trustwatch_rule_failing_targets",
            &[("rule_id", "CERT-001")]
        ),
        Some(1.0)
    );
    eprintln!(
        "demo: failing finding in /metrics after {:?}",
        started.elapsed()
    );
    // The printed curl command works as printed: an auditor token and the
    // failing findings, CERT-001 on the demo target among them.
    let curl = loop {
        if let Some(line) = printed
            .lines()
            .find(|l| l.trim_start().starts_with("curl "))
        {
            break line.trim().to_owned();
        }
        let line = rx
            .recv_timeout(Duration::from_secs(30).saturating_sub(started.elapsed()))
            .unwrap_or_else(|_| panic!("demo printed no curl command:\n{printed}"));
        printed.push_str(&line);
        printed.push('\n');
    };
    let quoted: Vec<&str> = curl.split('\'').skip(1).step_by(2).collect();
    let token = quoted[0]
        .strip_prefix("Authorization: Bearer ")
        .expect("bearer header");
    let url = quoted[1]
        .strip_prefix(&format!("http://{addr}"))
        .expect("demo URL");
    let (status, body) = http::get_with_token(addr, url, Some(token)).expect("findings API");
    assert_eq!(status, 200, "{curl}: {body}");
    let page: serde_json::Value = serde_json::from_str(&body).expect("findings JSON");
    assert!(
        page["findings"]
            .as_array()
            .expect("findings array")
            .iter()
            .any(|f| f["rule_id"] == "CERT-001" && f["reported_status"] == "fail"),
        "{body}"
    );
    // Ctrl-C, as a person would: the demo must stop its agent child too,
    // not leave it rescanning in the background.
    let agent_pid = find_agent_child(child.0.id());
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .expect("send SIGINT");
    assert!(status.success());
    let mut child = child;
    let stopped = Instant::now();
    while child.0.try_wait().expect("poll demo").is_none() {
        assert!(
            stopped.elapsed() < Duration::from_secs(20),
            "demo did not stop on Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    if let Some(pid) = agent_pid {
        let gone = Instant::now();
        while std::path::Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(pid) {
            assert!(
                gone.elapsed() < Duration::from_secs(10),
                "the demo's agent (pid {pid}) outlived it"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The pid of the `trustwatch-agent` child of `parent`, from /proc.
fn find_agent_child(parent: u32) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after_name = &stat[stat.rfind(')')? + 2..];
        let ppid: u32 = after_name.split_whitespace().nth(1)?.parse().ok()?;
        (ppid == parent && stat.contains("(trustwatch-agen")).then_some(pid)
    })
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

#[test]
fn demo_once_exits_zero_after_the_first_report() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = run_bounded(
        Command::new(binary("trustwatch-collector"))
            .args([
                "demo",
                "--once",
                "--ingest-listen",
                "127.0.0.1:0",
                "--http-listen",
                "127.0.0.1:0",
                "--dir",
            ])
            .arg(tmp.path().join("demo"))
            .env("TRUSTWATCH_AGENT_BIN", binary("trustwatch-agent")),
        Duration::from_secs(90),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo --once failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("/metrics"), "{stdout}");
    assert!(tmp.path().join("demo").is_dir());
    // The agent's scheduled package scan ([packages] in its config) judged
    // the demo's Ubuntu root against the built-in real advisories, and the
    // collector stored the failures: the tally names them by target.
    let system_line = stdout
        .lines()
        .find(|l| l.contains("demo-system:"))
        .unwrap_or_else(|| panic!("no demo-system findings in the tally: {stdout}"));
    for rule in [
        "PATCH-001 (high)",
        "PATCH-002 (critical)",
        "PATCH-003 (medium)",
        "PATCH-004 (medium)",
    ] {
        assert!(system_line.contains(rule), "{rule} missing: {system_line}");
    }
    assert!(
        !system_line.contains("OS-001"),
        "Ubuntu 22.04 is supported: {system_line}"
    );
}
