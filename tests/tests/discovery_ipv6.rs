//! Discovery over IPv6: the real agent sweeps `::1` and identifies a real
//! web server there (CPython's `http.server`, a directory listing), so the
//! sweep, identification (the bracketed `Host:` header) and the rules all
//! work with v6 addresses.

use std::net::{Ipv6Addr, SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use trustwatch_e2e::net::wait_for_port;
use trustwatch_e2e::process::{binary, run_bounded, Child};

#[test]
fn a_web_server_on_ipv6_loopback_is_found_and_identified() {
    let port = TcpListener::bind((Ipv6Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let _server = Child(
        Command::new("python3")
            .args(["-m", "http.server", "--bind", "::1", &port.to_string()])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m http.server"),
    );
    assert!(
        wait_for_port(
            SocketAddr::from((Ipv6Addr::LOCALHOST, port)),
            Duration::from_secs(10)
        ),
        "http.server did not start on [::1]:{port}"
    );
    let out = run_bounded(
        Command::new(binary("trustwatch-agent")).args([
            "scan",
            "--hosts",
            "::1",
            "--ports",
            &port.to_string(),
            "--format",
            "json",
        ]),
        Duration::from_secs(30),
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let services = report["services"].as_array().expect("services");
    assert_eq!(services.len(), 1, "{report:#}");
    let web = &services[0];
    assert_eq!(web["host"], "::1");
    assert_eq!(web["service"], "http");
    assert_eq!(web["product"], "SimpleHTTP");
    assert_eq!(web["detail"]["default_page"], "directory listing");
    // HTTP-006 judged on the v6 endpoint, bracketed.
    let http006 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "HTTP-006")
        .expect("HTTP-006");
    assert_eq!(http006["status"], "fail");
    assert_eq!(http006["target"], format!("[::1]:{port}"));
}
