//! A real scrape, after a real report, checked by the real promtool.

use std::io::Write;
use std::process::{Command, Stdio};

use hyper::StatusCode;

use crate::support::{http_get, post_report, sample_report, Harness};

const PROMTOOL: &str = "promtool";

fn promtool_check(exposition: &str) -> (bool, String) {
    let mut child = Command::new(PROMTOOL)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run `{PROMTOOL}` ({e}); install it with `apt-get install -y prometheus`")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn value(exposition: &str, series: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn a_scrape_after_failing_findings_passes_promtool_without_lint_warnings() {
    let h = Harness::start(1 << 20).await;
    for (agent, site) in [("a1", "north"), ("a2", "north"), ("a3", "south")] {
        let (status, _) = post_report(
            h.ingest,
            h.agent_client(agent, site),
            serde_json::to_vec(&sample_report()).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    // One refused upload, so a rejects series carries a non-zero value.
    let (status, _) = post_report(
        h.ingest,
        h.agent_client("a1", "north"),
        b"nonsense".to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, text) = http_get(h.http, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let (ok, lint) = promtool_check(&text);
    assert!(ok, "promtool failed:\n{lint}\n---\n{text}");
    assert!(lint.trim().is_empty(), "promtool lint warnings:\n{lint}");

    // Labels come out sorted by name.
    // Aggregation: two agents at north scan the same two targets.
    let v =
        |series: &str| value(&text, series).unwrap_or_else(|| panic!("{series} missing:\n{text}"));
    assert_eq!(
        v(r#"trustwatch_findings{severity="critical",site="north",status="fail"}"#),
        2.0
    );
    assert_eq!(
        v(r#"trustwatch_findings{severity="high",site="north",status="fail"}"#),
        4.0
    );
    assert_eq!(
        v(r#"trustwatch_findings{severity="info",site="south",status="pass"}"#),
        0.0
    );
    assert_eq!(
        v(r#"trustwatch_rule_failing_targets{rule_id="TLS-002",site="north"}"#),
        2.0
    );
    assert_eq!(
        v(r#"trustwatch_rule_failing_targets{rule_id="CERT-001",site="south"}"#),
        1.0
    );
    // CAF:B4 at north: pass TLS-001 x2 + CERT-001 x2, fail CERT-001 x2 + TLS-002 x4;
    // TLS-004 is best practice and TLS-003 is an error: neither counts.
    let b4 = v(
        r#"trustwatch_compliance_ratio{baseline="trustwatch-nhs-baseline",control_family="CAF:B4",site="north"}"#,
    );
    assert!((b4 - 4.0 / 10.0).abs() < 1e-9, "{b4}");
    let ncsc = v(
        r#"trustwatch_compliance_ratio{baseline="trustwatch-nhs-baseline",control_family="NCSC-TLS",site="south"}"#,
    );
    assert!((ncsc - 1.0 / 3.0).abs() < 1e-9, "{ncsc}");
    assert!(!text.contains(r#"control_family="BP""#));
    assert_eq!(v(r#"trustwatch_agents{site="north",state="active"}"#), 2.0);
    assert_eq!(v(r#"trustwatch_agents{site="north",state="stale"}"#), 0.0);
    let feb_2026 = time::macros::datetime!(2026-02-01 00:00 UTC).unix_timestamp() as f64;
    assert_eq!(
        v(r#"trustwatch_certificate_expiry_earliest_timestamp_seconds{site="south"}"#),
        feb_2026
    );
    assert_eq!(
        v(
            r#"trustwatch_rule_info{rule_id="TLS-001",severity="critical",title="SSL 2.0/3.0 accepted"}"#
        ),
        1.0
    );
    assert_eq!(
        v(&format!(
            r#"trustwatch_build_info{{version="{}"}}"#,
            env!("CARGO_PKG_VERSION")
        )),
        1.0
    );
    assert_eq!(v("trustwatch_collector_reports_ingested_total"), 3.0);
    assert_eq!(v("trustwatch_collector_findings_ingested_total"), 21.0);
    assert_eq!(
        v(r#"trustwatch_collector_reports_rejected_total{reason="malformed"}"#),
        1.0
    );
    assert_eq!(
        v(r#"trustwatch_collector_reports_rejected_total{reason="storage"}"#),
        0.0
    );
    assert_eq!(v("trustwatch_collector_ingest_duration_seconds_count"), 3.0);
    assert!(v("trustwatch_collector_scrape_duration_seconds") >= 0.0);

    // Bounded cardinality: no target, host or agent name in any label.
    for needle in ["10.0.0.5", "10.0.0.6", "scanner-host", "\"a1\"", "\"a3\""] {
        assert!(!text.contains(needle), "{needle} leaked into a label");
    }
    let families = text.lines().filter(|l| l.starts_with("# HELP ")).count();
    let types = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
    assert_eq!(families, types);
    // 13 + hC's certificates_issued and certificate_requests_rejected.
    assert_eq!(families, 15, "{text}");
    h.stop().await;
}
