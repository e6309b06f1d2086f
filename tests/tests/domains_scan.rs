//! The domain checks through the real binary, `trustwatch-agent scan
//! --domain … --resolver ADDR:PORT --format json`, against the DNS lab: Knot
//! DNS on loopback serving one `.test` zone per planted situation
//! (`tests/src/dnslab/zones.rs`). Each test names the domains whose planted
//! problem it expects, and checks the rule, the status and the evidence.

use std::time::Duration;

use serde_json::Value;
use trustwatch_e2e::binary;
use trustwatch_e2e::dnslab::scan::{finding, scan, status};
use trustwatch_e2e::dnslab::zones::*;
use trustwatch_e2e::dnslab::DnsLab;
use trustwatch_e2e::process::run_bounded;

#[test]
fn dmarc_cases_are_judged_from_the_served_records() {
    let lab = DnsLab::start();
    let domains = [
        GOOD,
        NODMARC,
        DMARC_NONE,
        DMARC_QUARANTINE,
        DMARC_PCT,
        DMARC_SPNONE,
        DMARC_NORUA,
        DMARC_BAD,
        ORGDMARC_SUB,
    ];
    let (code, f) = scan(&lab, &domains, &[]);
    assert_eq!(code, Some(1), "high failures set the exit status");
    // MAIL-003: a valid record, found at the domain or by fallback.
    for d in [
        GOOD,
        DMARC_NONE,
        DMARC_QUARANTINE,
        DMARC_PCT,
        DMARC_SPNONE,
        DMARC_NORUA,
        ORGDMARC_SUB,
    ] {
        assert_eq!(status(&f, "MAIL-003", d), "pass", "{d}");
    }
    for d in [NODMARC, DMARC_BAD] {
        assert_eq!(status(&f, "MAIL-003", d), "fail", "{d}");
    }
    let fallback = finding(&f, "MAIL-003", ORGDMARC_SUB);
    assert!(
        fallback["evidence"].to_string().contains(ORGDMARC),
        "the organisational domain is named: {fallback:#}"
    );
    // MAIL-004: enforcement.
    assert_eq!(status(&f, "MAIL-004", GOOD), "pass");
    for d in [DMARC_NONE, DMARC_QUARANTINE, DMARC_PCT, DMARC_SPNONE] {
        assert_eq!(status(&f, "MAIL-004", d), "fail", "{d}");
    }
    assert_eq!(finding(&f, "MAIL-004", DMARC_NONE)["severity"], "high");
    assert_eq!(
        finding(&f, "MAIL-004", DMARC_QUARANTINE)["severity"],
        "medium"
    );
    assert_eq!(status(&f, "MAIL-004", NODMARC), "not_applicable");
    // MAIL-005: aggregate reports.
    assert_eq!(status(&f, "MAIL-005", GOOD), "pass");
    assert_eq!(status(&f, "MAIL-005", DMARC_NORUA), "fail");
    // Every finding names the resolver asked.
    let evidence = finding(&f, "MAIL-003", GOOD)["evidence"].to_string();
    assert!(evidence.contains(&lab.addr().to_string()), "{evidence}");
}

#[test]
fn dkim_tls_rpt_and_lock_down_are_judged_from_the_served_records() {
    let lab = DnsLab::start();
    let domains = [
        GOOD,
        DKIM_WEAK,
        DKIM_TINY,
        DKIM_NONE,
        DKIM_REVOKED,
        DKIM_ED,
        NODMARC,
    ];
    let (_, f) = scan(
        &lab,
        &domains,
        &["--non-sending", &format!("{NONSEND_GOOD},{NONSEND_BAD}")],
    );
    for d in [GOOD, DKIM_WEAK, DKIM_ED] {
        assert_eq!(status(&f, "MAIL-006", d), "pass", "{d}");
    }
    for d in [DKIM_TINY, DKIM_NONE, DKIM_REVOKED] {
        assert_eq!(status(&f, "MAIL-006", d), "fail", "{d}");
    }
    assert_eq!(status(&f, "MAIL-010", GOOD), "pass");
    assert_eq!(status(&f, "MAIL-010", NODMARC), "fail");
    assert_eq!(status(&f, "MAIL-011", NONSEND_GOOD), "pass");
    assert_eq!(status(&f, "MAIL-011", NONSEND_BAD), "fail");
    assert_eq!(status(&f, "MAIL-011", GOOD), "not_applicable");
}

#[test]
fn servfail_and_a_dead_resolver_are_errors_not_passes() {
    let lab = DnsLab::start();
    let (_, f) = scan(&lab, &[SERVFAIL], &[]);
    assert_eq!(status(&f, "MAIL-003", SERVFAIL), "error");
    // Nothing listens on this port: every check times out, within bounds.
    let dead = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let started = std::time::Instant::now();
    let mut cmd = std::process::Command::new(binary("trustwatch-agent"));
    cmd.args(["scan", "--format", "json", "--timeout", "1", "--resolver"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--domain", GOOD]);
    let out = run_bounded(&mut cmd, Duration::from_secs(60));
    let report: Value = serde_json::from_slice(&out.stdout).expect("a report");
    let statuses: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert!(!statuses.is_empty());
    assert!(
        statuses
            .iter()
            .all(|s| *s == "error" || *s == "not_applicable"),
        "{statuses:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(45),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn spf_cases_are_judged_from_the_served_records() {
    let lab = DnsLab::start();
    let domains = [
        GOOD,
        NOSPF,
        TWOSPF,
        SPF_PLUSALL,
        SPF_SOFTFAIL,
        SPF_TOOMANY,
        SPF_LOOP,
        SPF_VOID,
        SPF_SYNTAX,
        SPF_SYNTAX_UNKNOWN,
        SPF_REDIRECT,
        NONSEND_BAD,
    ];
    let (_, f) = scan(&lab, &domains, &[]);
    use std::collections::BTreeMap as Map;
    let want: Map<&str, [&str; 3]> = [
        // (MAIL-001, MAIL-002, MAIL-012)
        (GOOD, ["pass", "pass", "pass"]),
        (NOSPF, ["fail", "not_applicable", "not_applicable"]),
        (TWOSPF, ["fail", "not_applicable", "not_applicable"]),
        (SPF_PLUSALL, ["pass", "fail", "not_applicable"]),
        (SPF_SOFTFAIL, ["pass", "fail", "pass"]),
        (SPF_TOOMANY, ["fail", "not_applicable", "not_applicable"]),
        (SPF_LOOP, ["fail", "not_applicable", "not_applicable"]),
        (SPF_VOID, ["fail", "not_applicable", "not_applicable"]),
        (SPF_SYNTAX, ["fail", "not_applicable", "not_applicable"]),
        (
            SPF_SYNTAX_UNKNOWN,
            ["fail", "not_applicable", "not_applicable"],
        ),
        (SPF_REDIRECT, ["pass", "pass", "pass"]),
        // Lists 192.0.2.11, which has no PTR.
        (NONSEND_BAD, ["pass", "fail", "fail"]),
    ]
    .into_iter()
    .collect();
    for (domain, [m1, m2, m12]) in want {
        let got = [
            status(&f, "MAIL-001", domain),
            status(&f, "MAIL-002", domain),
            status(&f, "MAIL-012", domain),
        ];
        assert_eq!(got, [m1, m2, m12], "{domain}");
    }
    // The reasons are specific: the 11th lookup, the loop, the void limit.
    let reason = |d: &str| {
        finding(&f, "MAIL-001", d)["summary"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        reason(SPF_TOOMANY).contains("10"),
        "{}",
        reason(SPF_TOOMANY)
    );
    assert!(reason(SPF_LOOP).contains("loop"), "{}", reason(SPF_LOOP));
    assert!(reason(SPF_VOID).contains("void"), "{}", reason(SPF_VOID));
    // The forward-confirmed sender is named in MAIL-012's evidence.
    let fcrdns = finding(&f, "MAIL-012", GOOD)["evidence"].to_string();
    assert!(fcrdns.contains("outbound.good.test"), "{fcrdns}");
}
