//! `trustwatch-agent scan` over many endpoints on several 127.0.0.x
//! addresses: the per-host and global limits measured server-side, findings
//! in input order, and a bad targets file refused before any connection.

#[path = "support/pki.rs"]
mod pki;
#[path = "support/recording.rs"]
mod recording;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use pki::Pki;
use recording::Recording;
use serde_json::Value;

/// How long each connection is held before the server answers: long enough
/// that connections let through together overlap, short enough that a
/// probe's many sequential handshakes stay quick.
const HOLD: Duration = Duration::from_millis(15);

fn ips(first: u8, n: u8) -> Vec<Ipv4Addr> {
    (first..first + n)
        .map(|d| Ipv4Addr::new(127, 0, 0, d))
        .collect()
}

fn agent(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trustwatch-agent"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run trustwatch-agent")
}

/// The distinct targets of the findings, in the order they first appear.
fn targets_in_order(report: &Value) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for f in report["findings"].as_array().unwrap() {
        let t = f["target"].as_str().unwrap().to_owned();
        if seen.last() != Some(&t) {
            assert!(!seen.contains(&t), "{t} reported in two places");
            seen.push(t);
        }
    }
    seen
}

fn scan_file(file: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "scan",
        "--targets",
        file.to_str().unwrap(),
        "--format",
        "json",
        "--timeout",
        "10",
    ];
    args.extend_from_slice(extra);
    let out = agent(&args);
    assert_ne!(
        out.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON report")
}

/// Every endpoint reached: its TLS-003 passed (TLS 1.2+ negotiated).
fn assert_all_reached(report: &Value, targets: &[String]) {
    let passes: HashMap<&str, &str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "TLS-003")
        .map(|f| (f["target"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    for t in targets {
        assert_eq!(passes.get(t.as_str()), Some(&"pass"), "{t}");
    }
}

#[test]
fn thirty_endpoints_one_at_a_time_per_host_in_input_order() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    // Six addresses, five endpoints each.
    let lab = Recording::start(&ips(2, 6), 5, HOLD, &leaf);
    // Listed interleaved and shuffled (a fixed permutation), with comments
    // and blank lines, so input order differs from address order.
    let mut order: Vec<SocketAddr> = lab.addrs.clone();
    let n = order.len();
    order = (0..n).map(|i| order[(i * 7) % n]).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    let mut text = String::from("# the lab\n\n");
    for (i, addr) in order.iter().enumerate() {
        text.push_str(&format!("{addr}   # endpoint {i}\n"));
        if i % 10 == 9 {
            text.push('\n');
        }
    }
    std::fs::write(&file, text).unwrap();

    let report = scan_file(&file, &["--concurrency", "4", "--per-host", "1"]);

    let expected: Vec<String> = order.iter().map(|a| a.to_string()).collect();
    assert_eq!(targets_in_order(&report), expected, "input order");
    assert_all_reached(&report, &expected);
    let per_ip = lab.counts.max_per_ip();
    assert_eq!(per_ip.len(), 6, "{per_ip:?}");
    assert!(
        per_ip.values().all(|&m| m == 1),
        "one at a time per host: {per_ip:?}"
    );
    // Six hosts ready at once: the global limit, not the hosts, is what
    // held the scan to four.
    assert_eq!(
        lab.counts.max_total(),
        4,
        "global limit reached, never passed"
    );
}

#[test]
fn per_host_limit_of_two_is_reached_and_never_passed() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    let lab = Recording::start(&ips(8, 3), 4, HOLD, &leaf);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    // Two endpoints by flag, the rest from the file: flags come first.
    let (flags, rest) = lab.addrs.split_at(2);
    let text: String = rest.iter().map(|a| format!("{a}\n")).collect();
    std::fs::write(&file, text).unwrap();
    let (a, b) = (flags[0].to_string(), flags[1].to_string());
    let report = scan_file(
        &file,
        &[
            "--tls",
            &a,
            "--tls",
            &b,
            "--per-host",
            "2",
            "--concurrency",
            "64",
        ],
    );
    let expected: Vec<String> = lab.addrs.iter().map(|a| a.to_string()).collect();
    assert_eq!(targets_in_order(&report), expected);
    assert_all_reached(&report, &expected);
    let per_ip = lab.counts.max_per_ip();
    assert!(per_ip.values().all(|&m| m == 2), "{per_ip:?}");
    assert!(lab.counts.max_total() <= 6);
}

#[test]
fn bad_targets_line_exits_2_naming_file_and_line_before_any_connection() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    let lab = Recording::start(&ips(11, 1), 1, HOLD, &leaf);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    std::fs::write(
        &file,
        format!(
            "{}\n# next one is wrong\n10.0.0.1:443 starttls=smtps\n",
            lab.addrs[0]
        ),
    )
    .unwrap();
    let out = agent(&[
        "scan",
        "--tls",
        &lab.addrs[0].to_string(),
        "--targets",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end(),
        format!(
            "trustwatch-agent: {} line 3: unknown STARTTLS protocol `smtps` (expected smtp, imap, pop3, ftp, ldap, postgres or none)",
            file.display()
        )
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        lab.counts.accepted(),
        0,
        "validated before any socket opened"
    );
}

#[test]
fn missing_targets_file_and_bad_limits_exit_2() {
    let out = agent(&["scan", "--targets", "/nonexistent/targets.txt"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("trustwatch-agent: --targets /nonexistent/targets.txt: cannot be read"),
        "{err}"
    );
    for bad in [
        ["--concurrency", "0"],
        ["--concurrency", "1025"],
        ["--per-host", "0"],
        ["--per-host", "65"],
    ] {
        let out = agent(&["scan", "--tls", "127.0.0.1:443", bad[0], bad[1]]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.txt");
    std::fs::write(&file, "# nothing yet\n").unwrap();
    let out = agent(&["scan", "--targets", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to scan"));
}
