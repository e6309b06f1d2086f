//! The HTTP step of the TLS probe against real servers on 127.0.0.1: nginx
//! with a hardened, a weak and a bare site, `openssl s_server -www`, and
//! listeners that misbehave. Each rule's status is asserted on each server.

#[path = "support/nginx.rs"]
mod nginx;
#[path = "support/pki.rs"]
mod pki;
#[path = "support/servers.rs"]
mod servers;

use std::time::{Duration, Instant};

use nginx::{Nginx, Site};
use pki::Pki;
use rustls_pki_types::ServerName;
use servers::{free_port, Listener, OpensslServer};
use trustwatch_agent::net::Endpoint;
use trustwatch_agent::probe::http::{self, HttpCheck, HttpTarget};
use trustwatch_agent::probe::Limits;
use trustwatch_rules::observe::{HttpObservation, HttpsOutcome, PlainHttp};
use trustwatch_rules::{evaluate, Catalogue, Finding, Status};

const TIMEOUT: Duration = Duration::from_secs(3);

async fn observe(port: u16, plain_port: Option<u16>) -> HttpObservation {
    let endpoint = Endpoint {
        addrs: vec!["127.0.0.1".parse().unwrap()],
        port,
        starttls: None,
    };
    let server_name = ServerName::try_from("127.0.0.1").unwrap().to_owned();
    let target = format!("127.0.0.1:{port}");
    let to = HttpTarget {
        target: &target,
        endpoint: &endpoint,
        server_name: &server_name,
        host: "127.0.0.1",
    };
    http::observe(to, HttpCheck { plain_port }, Limits::with_timeout(TIMEOUT)).await
}

fn judge(obs: &HttpObservation) -> Vec<Finding> {
    evaluate::http(&Catalogue::embedded().unwrap(), obs)
}

/// Asserts HTTP-001…HTTP-005 have exactly `expected` statuses, in order.
fn assert_statuses(findings: &[Finding], expected: [Status; 5]) {
    let got: Vec<(&str, Status)> = findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.status))
        .collect();
    let want: Vec<(&str, Status)> = evaluate::HTTP_PROBE_RULES
        .iter()
        .copied()
        .zip(expected)
        .collect();
    assert_eq!(got, want, "{findings:#?}");
}

async fn nginx_site(site: Site) -> (HttpObservation, Vec<Finding>) {
    let obs = observe(site.https, Some(site.plain)).await;
    let f = judge(&obs);
    (obs, f)
}

fn summary<'a>(f: &'a [Finding], id: &str) -> &'a str {
    &f.iter().find(|f| f.rule_id == id).unwrap().summary
}

#[tokio::test]
async fn nginx_sites_hardened_weak_and_bare() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    let server = Nginx::start(&leaf.cert, &leaf.key);
    use Status::{Fail, NotApplicable as NA, Pass};

    // Hardened: 301 to https://same host, HSTS two years with
    // includeSubDomains and preload, all headers, no version.
    let (obs, f) = nginx_site(server.hardened).await;
    assert_statuses(&f, [Pass; 5]);
    match &obs.plain {
        PlainHttp::Response {
            response,
            body_bytes,
        } => {
            assert_eq!(response.status, 301);
            assert_eq!(
                response.header("location"),
                Some(format!("https://127.0.0.1:{}/", server.hardened.https).as_str())
            );
            // nginx's redirect notice: a body, but not content.
            assert!(*body_bytes > 0 && *body_bytes < 1024, "{body_bytes}");
        }
        other => panic!("{other:?}"),
    }
    let h3 = f.iter().find(|f| f.rule_id == "HTTP-003").unwrap();
    assert_eq!(h3.evidence.get("preload").unwrap(), true);
    match &obs.https {
        HttpsOutcome::Response(r) => assert_eq!(r.header("server"), Some("nginx")),
        other => panic!("{other:?}"),
    }

    // Weak: a temporary redirect, a one-day HSTS, a version, X-Frame-Options
    // only.
    let (_, f) = nginx_site(server.weak).await;
    assert_statuses(&f, [Fail, Pass, Fail, Fail, Fail]);
    assert!(summary(&f, "HTTP-001").contains("302"));
    assert!(summary(&f, "HTTP-003").contains("max-age 86400"));
    assert!(summary(&f, "HTTP-004").contains("Server: nginx/"));
    let h5 = summary(&f, "HTTP-005");
    assert!(h5.contains("X-Content-Type-Options") && h5.contains("Referrer-Policy"));
    assert!(!h5.contains("frame-ancestors"), "{h5}");

    // Bare: a page over plain HTTP, no HSTS, no headers, a version.
    let (obs, f) = nginx_site(server.bare).await;
    assert_statuses(&f, [Fail, Fail, NA, Fail, Fail]);
    match obs.plain {
        PlainHttp::Response {
            response,
            body_bytes,
        } => assert_eq!((response.status, body_bytes > 1024), (200, true)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn openssl_www_has_no_hsts_and_no_headers() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    let server = OpensslServer::start(&leaf.cert, &leaf.key, &pki.ca_cert, &[]);
    // Nothing listens on the plain port: refused, which passes HTTP-001.
    let obs = observe(server.port, Some(free_port())).await;
    assert!(matches!(obs.plain, PlainHttp::Closed { .. }), "{obs:?}");
    let f = judge(&obs);
    use Status::{Fail, NotApplicable as NA, Pass};
    // s_server sends no Server header: nothing disclosed.
    assert_statuses(&f, [Pass, Fail, NA, Pass, Fail]);
    match &obs.https {
        HttpsOutcome::Response(r) => assert_eq!(r.status, 200),
        other => panic!("{other:?}"),
    }

    // No plain port known: HTTP-001 does not apply.
    let obs = observe(server.port, None).await;
    assert_eq!(judge(&obs)[0].status, NA);
}

#[tokio::test]
async fn a_tls_port_checked_as_plain_http_is_an_error_not_a_pass() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    let server = OpensslServer::start(&leaf.cert, &leaf.key, &pki.ca_cert, &[]);
    let obs = observe(server.port, Some(server.port)).await;
    assert!(matches!(obs.plain, PlainHttp::Failed { .. }), "{obs:?}");
    assert_eq!(judge(&obs)[0].status, Status::Error);
}

/// Answers every connection with bytes that are neither TLS nor HTTP.
fn junk_listener() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        // Bounded: the test makes two connections.
        for conn in listener.incoming().take(2).flatten() {
            let mut conn = conn;
            let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = std::io::Read::read(&mut conn, &mut [0u8; 512]);
            let _ = std::io::Write::write_all(&mut conn, b"\x00\xffSSH-2.0-junk\r\n\r\n");
        }
    });
    port
}

#[tokio::test]
async fn misbehaving_servers_give_errors_within_the_timeout() {
    let silent = Listener::silent();
    for (name, port) in [("silent", silent.port), ("junk", junk_listener())] {
        let started = Instant::now();
        let obs = observe(port, Some(port)).await;
        // Two connections, each bounded by the timeout.
        assert!(
            started.elapsed() < 2 * TIMEOUT + Duration::from_secs(1),
            "{name}: {:?}",
            started.elapsed()
        );
        assert!(
            matches!(obs.https, HttpsOutcome::Failed { .. }),
            "{name}: {obs:?}"
        );
        assert!(
            matches!(obs.plain, PlainHttp::Failed { .. }),
            "{name}: {obs:?}"
        );
        for finding in judge(&obs) {
            assert_eq!(finding.status, Status::Error, "{name}: {finding:?}");
        }
    }
}

#[tokio::test]
async fn a_broken_plain_http_answer_still_counts_as_served() {
    // `HTTP/1.0 400` and junk: not TLS, but an HTTP answer on plain HTTP.
    let garbage = Listener::garbage();
    let obs = observe(garbage.port, Some(garbage.port)).await;
    match &obs.plain {
        PlainHttp::Response { response, .. } => assert_eq!(response.status, 400),
        other => panic!("{other:?}"),
    }
    let f = judge(&obs);
    assert_eq!(f[0].status, Status::Fail, "{:?}", f[0]);
    match &obs.https {
        HttpsOutcome::Failed { reason } => {
            assert!(reason.contains("TLS handshake failed"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

/// The real binary: `--http` adds HTTP-001…005 to an endpoint's findings,
/// `http=PORT` in a targets file does the same per line, and without either
/// a non-443 endpoint gets no HTTP rules.
#[test]
fn scan_wires_the_http_step_in_from_flags_and_targets_files() {
    let pki = Pki::new();
    let leaf = pki.good_leaf();
    let server = Nginx::start(&leaf.cert, &leaf.key);
    let bin = env!("CARGO_BIN_EXE_trustwatch-agent");
    let ca = pki.ca_cert.to_str().unwrap().to_owned();
    let run = |args: &[&str]| -> serde_json::Value {
        let out = std::process::Command::new(bin)
            .args(args)
            .args(["--ca", &ca, "--format", "json", "--timeout", "5"])
            .output()
            .unwrap();
        assert!(out.status.code().is_some_and(|c| c < 2), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let status = |report: &serde_json::Value, rule: &str| -> Option<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == rule)
            .map(|f| f["status"].as_str().unwrap().to_owned())
    };

    let bare = format!("127.0.0.1:{}", server.bare.https);
    let report = run(&["scan", "--tls", &bare]);
    assert_eq!(
        status(&report, "HTTP-002"),
        None,
        "no HTTP rules by default"
    );

    let plain = server.bare.plain.to_string();
    let report = run(&["scan", "--tls", &bare, "--http", "--http-port", &plain]);
    assert_eq!(status(&report, "HTTP-001").as_deref(), Some("fail"));
    assert_eq!(status(&report, "HTTP-002").as_deref(), Some("fail"));
    assert_eq!(status(&report, "TLS-003").as_deref(), Some("pass"));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    let hardened = format!(
        "127.0.0.1:{} http={}\n",
        server.hardened.https, server.hardened.plain
    );
    std::fs::write(&file, hardened).unwrap();
    let report = run(&["scan", "--targets", file.to_str().unwrap()]);
    for rule in trustwatch_rules::evaluate::HTTP_PROBE_RULES {
        assert_eq!(status(&report, rule).as_deref(), Some("pass"), "{rule}");
    }
}
