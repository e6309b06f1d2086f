//! SIEM export (issue 8) end to end: a real collector on loopback takes a
//! real report over mutual TLS and
//!
//! - pushes every stored change as an OCSF 1.1.0 event to a Splunk-HEC
//!   compatible HTTPS receiver (siem_export/hec.rs), each exactly once,
//!   each valid against OCSF's own 1.1.0 schema; when
//!   the receiver answers 503 for a while the collector retries and
//!   nothing is lost or duplicated; after a kill and restart the persisted
//!   cursor resends nothing;
//! - `export ocsf` writes the current findings as NDJSON, every line valid
//!   against the same schema, to a file and to standard output.
//!
//! Validation runs tests/ocsf/validate.py: the schema server's export of
//! OCSF 1.1.0 as the PyPI package `ocsf-json-schema` ships it, checked with
//! Python `jsonschema` (Draft 2020-12); scripts/test installs both.

#[path = "siem_export/check.rs"]
mod check;
#[path = "siem_export/estate.rs"]
mod estate;
#[path = "siem_export/hec.rs"]
mod hec;
#[path = "siem_export/schema.rs"]
mod schema;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use trustwatch_e2e::load::agents::AgentMint;
use trustwatch_e2e::pki::TestCa;
use trustwatch_e2e::process::{binary, run_bounded, Collector};
use trustwatch_rules::Catalogue;

use check::{keys, metric, validate, wait_for_envelopes, write_ndjson};

#[test]
fn findings_reach_a_hec_once_each_through_503s_and_restarts_and_export_as_valid_ocsf() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let catalogue = Catalogue::embedded().expect("embedded catalogue");

    let ca = TestCa::new("HEC test CA");
    let ca_file = ca.write_ca(tmp.path());
    let leaf = ca.leaf(tmp.path(), "hec", &["localhost"], -1, 30);
    let receiver = hec::Receiver::start(&leaf.cert, &leaf.key);

    let cdir = tmp.path().join("collector");
    std::fs::create_dir_all(&cdir).expect("collector dir");
    std::fs::write(cdir.join("hec.token"), format!("{}\n", hec::TOKEN)).expect("token file");
    let siem = format!(
        "\n[siem.hec]\nurl = \"https://localhost:{}\"\ntoken_file = \"hec.token\"\nindex = \"trustwatch\"\nbatch_size = 3\nca_file = \"{}\"\n",
        receiver.addr.port(),
        ca_file.display()
    );
    let mut collector = Collector::start_with(&cdir, 8 * 1024 * 1024, &siem);
    let mint = AgentMint::from_data_dir(&collector.data_dir()).expect("the collector's CA");

    // 1. The first report: one Create per finding, each once.
    estate::upload(
        &mint,
        collector.ingest,
        estate::report(&catalogue, estate::FIRST, 1),
    );
    let first = wait_for_envelopes(&receiver, estate::FIRST.len(), Duration::from_secs(30));
    assert_eq!(first.len(), estate::FIRST.len(), "{first:#?}");
    for e in &first {
        assert_eq!(e["event"]["activity_id"], 1, "{e}");
        assert_eq!(e["index"], "trustwatch");
        let class = e["event"]["class_uid"].as_u64().expect("class_uid");
        let expected = if class == 2002 {
            "ocsf:vulnerability_finding"
        } else {
            "ocsf:compliance_finding"
        };
        assert_eq!(e["sourcetype"], expected, "{e}");
    }
    let vulnerability: Vec<&Value> = estate::events(&first)
        .into_iter()
        .filter(|e| e["class_uid"] == 2002)
        .collect();
    assert_eq!(vulnerability.len(), 2, "PATCH-001 and PATCH-002");
    let cves: BTreeSet<&str> = vulnerability
        .iter()
        .flat_map(|e| e["vulnerabilities"].as_array().into_iter().flatten())
        .filter_map(|v| v["cve"]["uid"].as_str())
        .collect();
    assert_eq!(
        cves,
        BTreeSet::from([
            "CVE-2023-5363",
            "CVE-2023-5678",
            "CVE-2024-3094",
            "DLA-3623-1"
        ])
    );
    assert_eq!(keys(&first).len(), first.len(), "no event twice");

    // 2. The HEC is unavailable for the next three POSTs: the collector
    // retries with backoff and the second report's changes all arrive,
    // once each.
    receiver.fail_next(3);
    estate::upload(
        &mint,
        collector.ingest,
        estate::report(&catalogue, estate::SECOND, 2),
    );
    let total = estate::FIRST.len() + estate::SECOND_CHANGES;
    let all = wait_for_envelopes(&receiver, total, Duration::from_secs(60));
    {
        let seen = receiver.seen.lock().expect("lock");
        assert_eq!(seen.unavailable, 3, "the receiver answered 503 three times");
        assert_eq!(
            seen.unauthorised, 0,
            "every request carried the Splunk token"
        );
        assert_eq!(seen.malformed, 0);
    }
    let second = &all[estate::FIRST.len()..];
    let activities: Vec<(String, u64)> = second
        .iter()
        .map(|e| {
            (
                e["event"]["finding_info"]["types"][0]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                e["event"]["activity_id"].as_u64().unwrap_or(0),
            )
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        activities,
        vec![
            ("CERT-002".to_owned(), 2),
            ("HTTP-001".to_owned(), 3),
            ("HTTP-002".to_owned(), 1),
            ("TLS-001".to_owned(), 3),
            ("TLS-004".to_owned(), 1),
        ],
        "{second:#?}"
    );
    // Nothing more comes: wait past a poll and count again.
    std::thread::sleep(Duration::from_secs(6));
    let all = receiver.envelopes();
    assert_eq!(all.len(), total, "no event sent twice");
    assert_eq!(keys(&all).len(), total, "no event sent twice");
    let scrape = collector.scrape();
    assert_eq!(metric(&scrape, "sent"), total as u64);
    assert_eq!(metric(&scrape, "dropped"), 0);
    assert!(metric(&scrape, "failed") >= 1, "the 503s are counted");

    let pushed = tmp.path().join("pushed.ndjson");
    write_ndjson(&pushed, &all);
    assert_eq!(
        validate(&pushed, true),
        format!("valid {} compliance 2 vulnerability", total - 2)
    );

    // 3. A kill and a restart: the cursor in data_dir says all was sent.
    collector.stop();
    collector.restart();
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(
        receiver.envelopes().len(),
        total,
        "nothing resent after a restart"
    );

    // 4. The file export: every current finding, valid OCSF.
    let out = tmp.path().join("findings.ndjson");
    let run = run_bounded(
        Command::new(binary("trustwatch-collector"))
            .args(["export", "ocsf", "--config"])
            .arg(&collector.config)
            .arg("--out")
            .arg(&out),
        Duration::from_secs(60),
    );
    assert!(
        run.status.success(),
        "export ocsf failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let current = estate::SECOND.len();
    assert!(
        String::from_utf8_lossy(&run.stdout).contains(&format!(
            "wrote {current} OCSF events ({} compliance findings, 2 vulnerability findings)",
            current - 2
        )),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    assert_eq!(
        validate(&out, false),
        format!("valid {} compliance 2 vulnerability", current - 2)
    );
    let text = std::fs::read_to_string(&out).expect("read the export");
    let uids: BTreeSet<String> = text
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("one JSON object per line");
            v["finding_info"]["uid"].as_str().expect("uid").to_owned()
        })
        .collect();
    assert_eq!(uids.len(), current, "one event per finding");
    // The same finding has the same uid in the push and the export.
    let pushed_uids: BTreeSet<String> = keys(&all).into_iter().map(|k| k.0).collect();
    assert!(uids.is_subset(&pushed_uids));

    // Standard output gives the same lines.
    let run = run_bounded(
        Command::new(binary("trustwatch-collector"))
            .args(["export", "ocsf", "--out", "-", "--config"])
            .arg(&collector.config),
        Duration::from_secs(60),
    );
    assert!(run.status.success());
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(stdout.lines().count(), current);

    // A future --since selects nothing; a bad one is a usage error.
    let export_since = |since: &str| {
        run_bounded(
            Command::new(binary("trustwatch-collector"))
                .args(["export", "ocsf", "--since", since, "--out", "-", "--config"])
                .arg(&collector.config),
            Duration::from_secs(60),
        )
    };
    let run = export_since("2999-01-01T00:00:00Z");
    assert!(run.status.success());
    assert!(run.stdout.is_empty());
    let run = export_since("yesterday");
    assert_eq!(run.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("--since `yesterday` is not allowed"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn a_bad_siem_table_stops_serve_before_it_listens() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("collector.toml");
    std::fs::write(
        &config,
        "data_dir = \"data\"\n\n[siem.hec]\nurl = \"http://localhost:8088\"\ntoken = \"t\"\n",
    )
    .expect("write config");
    let run = run_bounded(
        Command::new(binary("trustwatch-collector"))
            .args(["serve", "--config"])
            .arg(&config),
        Duration::from_secs(30),
    );
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("key `siem.hec.url`") && stderr.contains("must start with https://"),
        "{stderr}"
    );
}
