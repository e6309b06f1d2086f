//! What the SIEM test checks with: the schema validator, the receiver's
//! envelopes, the collector's counters.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use trustwatch_e2e::process::run_bounded;

use super::hec::Receiver;

fn validator() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ocsf/validate.py")
}

/// Runs the schema validator on `file`; returns its verdict line.
pub fn validate(file: &Path, hec: bool) -> String {
    let mut cmd = Command::new("python3");
    cmd.arg(validator());
    if hec {
        cmd.arg("--hec");
    }
    cmd.arg(file);
    let out = run_bounded(&mut cmd, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{} does not validate against the OCSF schema:\n{}{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Runs the validator on `file`, which must fail; returns its complaints.
pub fn refused(file: &Path) -> String {
    let out = run_bounded(
        Command::new("python3").arg(validator()).arg(file),
        Duration::from_secs(60),
    );
    assert!(
        !out.status.success(),
        "{} validated but should not have",
        file.display()
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn write_ndjson(path: &Path, docs: &[Value]) {
    let mut text = String::new();
    for d in docs {
        text.push_str(&d.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).expect("write NDJSON");
}

/// Waits (bounded) until the receiver holds `n` envelopes.
pub fn wait_for_envelopes(receiver: &Receiver, n: usize, limit: Duration) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let got = receiver.envelopes();
        if got.len() >= n {
            return got;
        }
        assert!(
            start.elapsed() < limit,
            "the HEC receiver got {} of {n} events within {}s",
            got.len(),
            limit.as_secs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// (finding uid, activity, time): one change of one finding.
pub fn keys(envelopes: &[Value]) -> BTreeSet<(String, u64, i64)> {
    envelopes
        .iter()
        .map(|e| {
            let ev = &e["event"];
            (
                ev["finding_info"]["uid"].as_str().unwrap_or("").to_owned(),
                ev["activity_id"].as_u64().unwrap_or(0),
                ev["time"].as_i64().unwrap_or(0),
            )
        })
        .collect()
}

pub fn metric(scrape: &str, result: &str) -> u64 {
    let name = format!("trustwatch_collector_siem_events_total{{result=\"{result}\"}} ");
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(name.as_str()))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or_else(|| panic!("no {name} in the scrape"), |v| v as u64)
}
