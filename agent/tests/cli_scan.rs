//! The real `trustwatch-agent scan` binary against servers on 127.0.0.1:
//! exit status, the JSON contract and one-line errors.

#[path = "support/pki.rs"]
mod pki;
#[path = "support/servers.rs"]
mod servers;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use pki::Pki;
use serde_json::Value;
use servers::{free_port, OpensslServer};

fn agent(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trustwatch-agent"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run trustwatch-agent")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn finding<'a>(report: &'a Value, rule: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {report:#}"))
}

/// Exactly one line on stderr, which is returned.
fn one_line_error(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        err.lines().count(),
        1,
        "expected one stderr line, got:\n{err}"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout on bad input");
    err.trim_end().to_owned()
}

#[test]
fn expired_certificate_exits_1_with_cert_001_failing() {
    let pki = Pki::new();
    let leaf = pki.expired_leaf();
    let server = OpensslServer::start(&leaf.cert, &leaf.key, &pki.ca_cert, &[]);
    let target = server.target();
    let ca = pki.ca_cert.to_str().unwrap();
    let out = agent(&["scan", "--tls", &target, "--ca", ca, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let report = json(&out);
    assert_eq!(report["schema_version"], 1);
    let scanned_at = report["scanned_at"].as_str().unwrap();
    assert!(
        scanned_at.ends_with('Z')
            && time::OffsetDateTime::parse(
                scanned_at,
                &time::format_description::well_known::Rfc3339
            )
            .is_ok()
    );
    assert!(report["baseline"]["id"].is_string() && report["baseline"]["version"].is_string());
    assert_eq!(report["tool"]["name"], "trustwatch-agent");

    let cert = finding(&report, "CERT-001");
    assert_eq!(cert["status"], "fail");
    assert_eq!(cert["severity"], "critical");
    assert_eq!(cert["target"], target.as_str());
    assert!(cert["evidence"]["not_after"].is_string());
    assert!(cert["controls"].as_array().is_some_and(|c| !c.is_empty()));
    for key in ["title", "remediation", "summary"] {
        assert!(cert[key].is_string(), "{key}");
    }
}

#[test]
fn good_server_via_ca_exits_0() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    let server = OpensslServer::start(&leaf.cert, &leaf.key, &pki.ca_cert, &[]);
    let out = agent(&[
        "scan",
        "--tls",
        &server.target(),
        "--ca",
        pki.ca_cert.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Not a terminal, so JSON by default.
    let report = json(&out);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "pass" || f["rule_id"] == "TLS-007"),
        "{report:#}"
    );
}

#[test]
fn table_format_has_a_tally() {
    let out = agent(&[
        "scan",
        "--tls",
        &format!("127.0.0.1:{}", free_port()),
        "--format",
        "table",
        "--timeout",
        "2",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("RULE"), "{text}");
    assert!(
        text.trim_end()
            .ends_with("14 findings: 0 pass, 0 fail, 14 error, 0 not applicable"),
        "{text}"
    );
}

#[test]
fn closed_port_gives_error_findings_quickly() {
    let started = Instant::now();
    let out = agent(&[
        "scan",
        "--tls",
        &format!("127.0.0.1:{}", free_port()),
        "--timeout",
        "3",
        "--format",
        "json",
    ]);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(0), "errors are not failures");
    let report = json(&out);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(
        findings.len(),
        trustwatch_rules::evaluate::TLS_PROBE_RULES.len()
    );
    assert!(findings
        .iter()
        .all(|f| f["status"] == "error" && f["evidence"]["error"].is_string()));
}

#[test]
fn fail_on_critical_ignores_high_failures() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    let server = OpensslServer::start(&leaf.cert, &leaf.key, &pki.ca_cert, &[]);
    // Without --ca the chain is untrusted: CERT-003 (high) fails.
    let out = agent(&["scan", "--tls", &server.target(), "--fail-on", "critical"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(finding(&json(&out), "CERT-003")["status"], "fail");
    let out = agent(&["scan", "--tls", &server.target()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn bad_ca_file_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "not a certificate\n").unwrap();
    let out = agent(&[
        "scan",
        "--tls",
        "127.0.0.1:443",
        "--ca",
        ca.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        one_line_error(&out),
        format!(
            "trustwatch-agent: --ca {}: no PEM certificate found in the file",
            ca.display()
        )
    );
}

#[test]
fn bad_target_exits_2_naming_it() {
    let out = agent(&["scan", "--tls", "foo"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        one_line_error(&out),
        r#"trustwatch-agent: --tls "foo": expected HOST:PORT"#
    );
}

#[test]
fn no_target_exits_2() {
    let out = agent(&["scan"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line_error(&out).contains("nothing to scan"));
}

#[test]
fn malformed_baseline_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baseline.toml"),
        "id = \"x\"\nversion = 3\n",
    )
    .unwrap();
    let out = agent(&[
        "scan",
        "--tls",
        "127.0.0.1:443",
        "--baseline",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = one_line_error(&out);
    assert!(err.contains("baseline.toml line"), "{err}");
}

#[test]
fn bad_sni_and_timeout_exit_2() {
    let out = agent(&["scan", "--tls", "127.0.0.1:443", "--sni", "10.0.0.1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line_error(&out).starts_with("trustwatch-agent: --sni \"10.0.0.1\""));
    let out = agent(&["scan", "--tls", "127.0.0.1:443", "--timeout", "0"]);
    assert_eq!(out.status.code(), Some(2), "clap's own usage error");
}
