//! A real scrape, after a real report, checked by the real promtool.

use std::io::Write;
use std::process::{Command, Stdio};

use hyper::StatusCode;

use trustwatch_collector::store::{Actor, NewException};

use crate::support::{http_get, post_report, report_for, Harness};

const PROMTOOL: &str = "promtool";

pub fn promtool_check(exposition: &str) -> (bool, String) {
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
            serde_json::to_vec(&report_for(agent, 1)).unwrap(),
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
    // One accepted risk, so the exception families carry values.
    let today = time::OffsetDateTime::now_utc().date();
    h.store
        .add_exception(
            &NewException {
                site: Some("south".into()),
                rule_id: "TLS-004".into(),
                target: "10.0.0.5:443".into(),
                owner: "o".into(),
                siro_accepted_on: today,
                compensating_control: "c".into(),
                reason: "r".into(),
                expires_on: today.next_day().unwrap(),
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();

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
    // Two targets, each failing as seen by both agents: counted per
    // observation.
    assert_eq!(
        v(r#"trustwatch_rule_failing_targets{rule_id="TLS-002",site="north"}"#),
        4.0
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
    assert_eq!(v(r#"trustwatch_agents{site="north",state="revoked"}"#), 0.0);
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as f64;
    let oldest = v(r#"trustwatch_agent_last_contact_oldest_timestamp_seconds{site="north"}"#);
    assert!((now - oldest).abs() < 60.0, "{oldest}");
    assert_eq!(
        v(r#"trustwatch_findings_accepted_risk{severity="low",site="south"}"#),
        1.0
    );
    assert_eq!(
        v(r#"trustwatch_exceptions{site="south",state="active"}"#),
        1.0
    );
    assert_eq!(
        v(r#"trustwatch_exceptions{site="south",state="withdrawn"}"#),
        0.0
    );
    assert_eq!(v("trustwatch_collector_store_up"), 1.0);
    assert_eq!(
        v(r#"trustwatch_collector_store_backend_info{backend="sqlite"}"#),
        1.0
    );
    assert!((now - v("trustwatch_collector_up_since_timestamp_seconds")).abs() < 120.0);
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
    // 13 before issue 7; + sequence gaps, duplicates, retention pruned;
    // + accepted risk, exceptions, oldest contact, store up, backend info,
    // up since; + certificates issued, certificate requests rejected;
    // + SIEM events (issue 8).
    assert_eq!(families, 25, "{text}");
    h.stop().await;
}

#[tokio::test]
async fn a_store_that_cannot_answer_still_gives_a_valid_scrape_with_store_up_0() {
    let h = Harness::start(1 << 20).await;
    let (_, text) = http_get(h.http, "/metrics").await;
    assert_eq!(value(&text, "trustwatch_collector_store_up"), Some(1.0));
    // A table the aggregates read disappears (a hand-edited or damaged
    // database): the scrape still answers, says so, and stays valid.
    h.db()
        .execute_batch("ALTER TABLE exceptions RENAME TO exceptions_gone")
        .unwrap();
    let (status, text) = http_get(h.http, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(value(&text, "trustwatch_collector_store_up"), Some(0.0));
    assert_eq!(
        value(
            &text,
            r#"trustwatch_collector_store_backend_info{backend="sqlite"}"#
        ),
        Some(1.0)
    );
    assert!(text.contains("trustwatch_build_info"), "{text}");
    let (ok, lint) = promtool_check(&text);
    assert!(ok && lint.trim().is_empty(), "{lint}\n{text}");
    h.stop().await;
}
