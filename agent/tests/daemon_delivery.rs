//! The daemon's policy and delivery against a stand-in collector on
//! 127.0.0.1 (mutual TLS) that serves a central policy and answers reports
//! as each test scripts: refusals go to `rejected/`, `Retry-After` is
//! obeyed, and a policy is applied and cached for when the collector is
//! away.

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
use std::time::{Duration, Instant};

use std::sync::Arc;

use agent_run::stderr;
use collector::{Answer, FakeCollector, RenewFn, Script};
use pki::Pki;
use servers::free_port;
use trustwatch_agent::config::Config;
use trustwatch_agent::daemon::Daemon;
use trustwatch_agent::delivery::Backoff;
use trustwatch_rules::Report;

fn config(url: &str, target: &str, interval: u64) -> String {
    format!(
        "[collector]\nurl = \"{url}\"\nca = \"ca.pem\"\ncert = \"agent.pem\"\nkey = \"agent.key\"\n\n\
         [schedule]\ninterval_secs = {interval}\n\n[scan]\ntimeout_secs = 2\n\n\
         [[tls]]\ntarget = \"{target}\"\n"
    )
}

/// The agent, once, logging at `info`.
async fn run_once(dir: &Path, text: &str) -> Output {
    agent_run::run_once(dir, text, "info").await
}

fn posted(collector: &FakeCollector) -> Vec<Report> {
    collector
        .received()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| serde_json::from_slice(&r.body).expect("a report"))
        .collect()
}

fn targets(report: &Report) -> std::collections::BTreeSet<String> {
    report.findings.iter().map(|f| f.target.clone()).collect()
}

#[tokio::test]
async fn the_central_policy_is_applied_cached_and_used_while_the_collector_is_away() {
    let pki = Pki::new();
    let server = pki.good_leaf();
    pki.client("agent");
    let local = format!("127.0.0.1:{}", free_port());
    let extra = format!("127.0.0.1:{}", free_port());
    let outside = "192.0.2.10:443";
    let policy = serde_json::json!({
        "site": "north", "version": 3,
        "scope": ["127.0.0.0/8"],
        "tls_targets": [extra, outside, "not a target"],
        "disabled_rules": ["CERT-*"],
    });
    let script = Script {
        policy: Some(policy.to_string()),
        ..Script::default()
    };
    let collector = FakeCollector::scripted(&server.cert, &server.key, &pki.ca_cert, script).await;
    let out = run_once(pki.dir.path(), &config(&collector.url(), &local, 3600)).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let err = stderr(&out);
    // One warning naming the bad entry; one line naming what is out of scope.
    assert!(
        err.contains("tls_targets entry \"not a target\" is skipped"),
        "{err}"
    );
    assert!(
        err.contains(outside) && err.contains("outside the central policy's scope"),
        "{err}"
    );

    let reports = posted(&collector);
    assert_eq!(reports.len(), 1);
    assert_eq!(targets(&reports[0]), [local.clone(), extra.clone()].into());
    assert!(reports[0]
        .findings
        .iter()
        .all(|f| !f.rule_id.starts_with("CERT-")));
    assert!(reports[0]
        .findings
        .iter()
        .any(|f| f.rule_id.starts_with("TLS-")));
    let cached = pki.dir.path().join("spool").join("policy.json");
    let cached: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cached).expect("policy cached")).unwrap();
    assert_eq!(cached["version"], 3);

    // The collector goes away: the next cycle still scans by the policy.
    drop(collector);
    let down = format!("https://127.0.0.1:{}", free_port());
    let out = run_once(pki.dir.path(), &config(&down, &local, 3600)).await;
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("using the cached one"),
        "{}",
        stderr(&out)
    );
    let spooled = pki
        .dir
        .path()
        .join("spool")
        .join("00000000000000000002.json");
    let report: Report = serde_json::from_slice(&std::fs::read(spooled).unwrap()).unwrap();
    assert_eq!(targets(&report), [local, extra].into());
    assert_eq!(report.sequence, Some(2));
}

#[tokio::test]
async fn a_report_refused_for_good_goes_to_rejected_and_is_not_sent_again() {
    let pki = Pki::new();
    let server = pki.good_leaf();
    pki.client("agent");
    let script = Script {
        reports: [Answer {
            status: 409,
            retry_after: None,
            body: r#"{"error": "older than the last report", "reason": "stale_sequence"}"#.into(),
        }]
        .into(),
        ..Script::default()
    };
    let collector = FakeCollector::scripted(&server.cert, &server.key, &pki.ca_cert, script).await;
    let target = format!("127.0.0.1:{}", free_port());
    let text = config(&collector.url(), &target, 3600);
    let out = run_once(pki.dir.path(), &text).await;
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    assert!(stderr(&out).contains("stale_sequence"), "{}", stderr(&out));
    let rejected = pki.dir.path().join("spool").join("rejected");
    assert!(rejected
        .join("00000000000000000001.stale_sequence.json")
        .is_file());

    let out = run_once(pki.dir.path(), &text).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let sequences: Vec<_> = posted(&collector).iter().map(|r| r.sequence).collect();
    assert_eq!(sequences, [Some(1), Some(2)]);
}

#[tokio::test]
async fn retry_after_is_obeyed_and_unauthorised_reports_are_kept() {
    let pki = Pki::new();
    let server = pki.good_leaf();
    pki.client("agent");
    let answer = |status, retry_after, reason: &str| Answer {
        status,
        retry_after,
        body: format!(r#"{{"error": "no", "reason": "{reason}"}}"#),
    };
    let script = Script {
        reports: [
            answer(429, Some(2), "busy"),
            answer(403, None, "revoked"),
            answer(503, None, "down"),
        ]
        .into(),
        ..Script::default()
    };
    let collector = FakeCollector::scripted(&server.cert, &server.key, &pki.ca_cert, script).await;
    let target = format!("127.0.0.1:{}", free_port());
    let file = pki.path("agent.toml");
    std::fs::write(&file, config(&collector.url(), &target, 3600)).unwrap();
    // A short backoff so the 403 and 503 retries come quickly; the 2 s
    // Retry-After must still be waited out in full.
    let daemon = Daemon::new(Config::load(&file).unwrap())
        .unwrap()
        .with_backoff(Backoff {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(200),
        });
    let received = collector.received.clone();
    let first = pki
        .dir
        .path()
        .join("spool")
        .join("00000000000000000001.json");
    // Stops once the fourth attempt was answered and its answer acted on.
    let shutdown = async move {
        for _ in 0..400 {
            let posts = received
                .lock()
                .unwrap()
                .iter()
                .filter(|r| r.method == "POST")
                .count();
            if posts >= 4 && !first.exists() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(30), daemon.run(shutdown))
        .await
        .expect("the daemon stops when told to");
    let reports = posted(&collector);
    assert_eq!(reports.len(), 4, "429, 403, 503, then 202");
    // The same bytes every time: one report, retried.
    let bodies: std::collections::BTreeSet<_> = collector
        .received()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.body.clone())
        .collect();
    assert_eq!(bodies.len(), 1);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let spool = pki.dir.path().join("spool");
    assert!(!spool.join("00000000000000000001.json").exists());
    assert!(std::fs::read_dir(spool.join("rejected"))
        .unwrap()
        .next()
        .is_none());
}

fn der_of(pem_file: &Path) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_file(pem_file)
        .unwrap()
        .as_ref()
        .to_vec()
}

#[tokio::test]
async fn a_certificate_in_its_last_third_is_renewed_and_used_at_once() {
    let pki = Pki::new();
    let server = pki.good_leaf();
    let now = time::OffsetDateTime::now_utc();
    // 6 days' life, 1 left: renewal is due.
    let agent = pki.client_valid(
        "agent",
        now - time::Duration::days(5),
        now + time::Duration::days(1),
    );
    let old_cert = der_of(&agent.cert);
    let signer = Arc::new(pki.sign_request_fn());
    let script = Script {
        renew: Some(RenewFn(Arc::new(move |csr: &str| Answer {
            status: 200,
            retry_after: None,
            body: signer(csr),
        }))),
        ..Script::default()
    };
    let collector = FakeCollector::scripted(&server.cert, &server.key, &pki.ca_cert, script).await;
    let target = format!("127.0.0.1:{}", free_port());
    let text = config(&collector.url(), &target, 3600);
    let out = run_once(pki.dir.path(), &text).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("client certificate renewed"),
        "{}",
        stderr(&out)
    );

    let received = collector.received();
    let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/api/v1/renew", "/api/v1/policy", "/api/v1/reports"]
    );
    // The renewal went over the old identity; the report over the new one.
    let new_cert = der_of(&agent.cert);
    assert_ne!(new_cert, old_cert);
    assert_eq!(
        received[0].client_cert.as_deref(),
        Some(old_cert.as_slice())
    );
    assert_eq!(
        received[2].client_cert.as_deref(),
        Some(new_cert.as_slice())
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&agent.key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Fresh for 7 days now: the next run does not renew again.
    let out = run_once(pki.dir.path(), &text).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let renewals = collector
        .received()
        .iter()
        .filter(|r| r.path == "/api/v1/renew")
        .count();
    assert_eq!(renewals, 1);
}

#[tokio::test]
async fn a_refused_renewal_keeps_the_current_certificate() {
    let pki = Pki::new();
    let server = pki.good_leaf();
    let now = time::OffsetDateTime::now_utc();
    let agent = pki.client_valid(
        "agent",
        now - time::Duration::days(5),
        now + time::Duration::days(1),
    );
    let old_cert = der_of(&agent.cert);
    let script = Script {
        renew: Some(RenewFn(Arc::new(|_: &str| Answer {
            status: 403,
            retry_after: None,
            body: r#"{"error": "revoked", "reason": "revoked"}"#.into(),
        }))),
        ..Script::default()
    };
    let collector = FakeCollector::scripted(&server.cert, &server.key, &pki.ca_cert, script).await;
    let target = format!("127.0.0.1:{}", free_port());
    let out = run_once(pki.dir.path(), &config(&collector.url(), &target, 3600)).await;
    // The report still goes (this stand-in accepts the old certificate).
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("the collector has revoked this agent"),
        "{}",
        stderr(&out)
    );
    assert_eq!(der_of(&agent.cert), old_cert);
    let names: Vec<_> = std::fs::read_dir(pki.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".next") || n.ends_with(".tmp"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}
