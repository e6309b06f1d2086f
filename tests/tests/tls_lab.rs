//! The TLS lab end to end: every endpoint of `trustwatch_e2e::tlslab` (real
//! openssl, tlslite-ng, Dovecot and nginx servers on their own loopback
//! addresses) scanned once by the real `trustwatch-agent scan --targets`,
//! and the report held against the lab's expected matrix: each planted
//! weakness fails its rule, nothing else fails, the good endpoints are
//! clean, and every endpoint has findings.

use std::time::Duration;

use trustwatch_e2e::tlslab::matrix::{observed, problems, render, target_host};
use trustwatch_e2e::tlslab::scan::scan;
use trustwatch_e2e::tlslab::TlsLab;

#[test]
fn every_planted_weakness_is_flagged_and_the_good_endpoints_are_clean() {
    let lab = TlsLab::start();
    let (_, manifest) = lab.write_files();
    let run = scan(&manifest, &["--timeout", "10"], Duration::from_secs(300));
    // Critical and high weaknesses are planted, so the scan must say so.
    assert_eq!(
        run.status.code(),
        Some(1),
        "scan should exit 1 (failures at or above high); stderr: {}\ntargets:\n{}",
        run.stderr,
        manifest.targets_text()
    );
    let report = run.report();

    let expect = manifest.expectations();
    let stray: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter_map(|f| f["target"].as_str())
        .filter(|t| !expect.iter().any(|e| e.host == target_host(t)))
        .collect();
    assert!(
        stray.is_empty(),
        "findings for targets not in the lab: {stray:?}"
    );

    let seen = observed(&report, &expect);
    let problems = problems(&expect, &seen);
    assert!(
        problems.is_empty(),
        "{} contradiction(s) with the lab (scan took {:.1} s):\n  {}\n\n{}",
        problems.len(),
        run.elapsed.as_secs_f64(),
        problems.join("\n  "),
        render(&expect, &seen)
    );
}
