//! The DNS hygiene rules (DNS-001…DNS-005) through the real binary,
//! `trustwatch-agent scan --domain … --resolver ADDR:PORT --format json`,
//! against the DNS lab: Knot DNS on loopback, which is both the resolver
//! and every zone's authoritative server (`ns.ZONE. A 127.0.0.1`), so the
//! name server probes go to the lab's own port on 127.0.0.1 and nowhere
//! else.

use std::time::Duration;

use serde_json::Value;
use trustwatch_e2e::dnslab::scan::{finding, status, Findings};
use trustwatch_e2e::dnslab::zones::*;
use trustwatch_e2e::dnslab::DnsLab;

/// The lab's findings for `domains`.
fn scan(lab: &DnsLab, domains: &[&str]) -> Findings {
    trustwatch_e2e::dnslab::scan::scan(lab, domains, &[]).1
}

#[test]
fn caa_is_found_at_the_apex_by_walking_up_or_not_at_all() {
    let lab = DnsLab::start();
    let f = scan(&lab, &[CAA_PARENT, CAA_CHILD, NOCAA]);

    let apex = finding(&f, "DNS-002", CAA_PARENT);
    assert_eq!(apex["status"], "pass", "{apex:#}");
    assert_eq!(apex["evidence"]["found_at"], CAA_PARENT);
    assert_eq!(apex["evidence"]["records"][0]["value"], "letsencrypt.org");

    // www.caa-parent.test has no CAA of its own: the walk finds the apex's.
    let child = finding(&f, "DNS-002", CAA_CHILD);
    assert_eq!(child["status"], "pass", "{child:#}");
    assert_eq!(child["evidence"]["found_at"], CAA_PARENT);
    let asked = child["evidence"]["names_asked"].as_array().unwrap();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(
        asked[0]
            .as_str()
            .unwrap()
            .starts_with("CAA www.caa-parent.test: "),
        "{asked:?}"
    );

    let none = finding(&f, "DNS-002", NOCAA);
    assert_eq!(none["status"], "fail", "{none:#}");
    assert_eq!(none["evidence"]["found_at"], Value::Null);
}

#[test]
fn dangling_cnames_are_named_and_a_resolving_one_is_not() {
    let lab = DnsLab::start();
    let f = scan(&lab, &[DANGLING, GOOD]);

    let d = finding(&f, "DNS-003", DANGLING);
    assert_eq!(d["status"], "fail", "{d:#}");
    let summary = d["summary"].as_str().unwrap();
    assert!(
        summary.contains("old.dangling.test -> gone.nowhere.test (NXDOMAIN)"),
        "{summary}"
    );
    // The cloud target is outside the lab, which answers REFUSED: it
    // cannot be told claimable or not, and is listed as such.
    assert!(
        summary.contains("could not check: app.dangling.test"),
        "{summary}"
    );
    let dangling = d["evidence"]["dangling"].as_array().unwrap();
    assert_eq!(dangling.len(), 1, "{dangling:?}");
    let unknown = d["evidence"]["could_not_check"].as_array().unwrap();
    assert!(
        unknown[0]
            .as_str()
            .unwrap()
            .contains("trustwatch-demo.azurewebsites.net: REFUSED"),
        "{unknown:?}"
    );
    // www.dangling.test resolves through mail.good.test: checked, fine.
    let names = d["evidence"]["names"].as_array().unwrap();
    let www = names
        .iter()
        .find(|n| n["name"] == DANGLING_OK)
        .expect("www checked");
    assert_eq!(www["chain"][0], "mail.good.test");
    assert_eq!(www["end"]["result"], "resolves");
    assert!(!summary.contains(DANGLING_OK), "{summary}");

    assert_eq!(status(&f, "DNS-003", GOOD), "pass");
}

#[test]
fn zone_transfer_is_caught_where_open_and_recursion_is_refused_everywhere() {
    let lab = DnsLab::start();
    let f = scan(&lab, &[AXFR_OPEN, GOOD]);

    let open = finding(&f, "DNS-005", AXFR_OPEN);
    assert_eq!(open["status"], "fail", "{open:#}");
    let server = &open["evidence"]["servers"][0];
    assert_eq!(server["address"], lab.addr().to_string());
    assert_eq!(server["axfr"]["result"], "allowed");
    let sample: Vec<&str> = server["axfr"]["sample"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(sample.contains(&"intranet.axfr-open.test"), "{sample:?}");

    let shut = finding(&f, "DNS-005", GOOD);
    assert_eq!(shut["status"], "pass", "{shut:#}");
    assert_eq!(shut["evidence"]["servers"][0]["axfr"]["result"], "refused");

    // Knot is authoritative only: a recursive question for a name outside
    // its zones is REFUSED without RA.
    for domain in [AXFR_OPEN, GOOD] {
        let r = finding(&f, "DNS-004", domain);
        assert_eq!(r["status"], "pass", "{r:#}");
        let probe = &r["evidence"]["servers"][0]["recursion"];
        assert_eq!(probe["rcode"], "REFUSED", "{probe}");
        assert_eq!(probe["recursion_available"], false, "{probe}");
    }
}

#[test]
fn dnssec_unsigned_fails_and_signed_zones_without_a_chain_from_the_root_do_not_pass() {
    let lab = DnsLab::start();
    let f = scan(&lab, &[GOOD, SIGNED, BADSIG]);

    let unsigned = finding(&f, "DNS-001", GOOD);
    assert_eq!(unsigned["status"], "fail", "{unsigned:#}");
    assert_eq!(unsigned["evidence"]["dnssec"]["dnskeys"], 0);

    // Both signed zones serve DNSKEYs with RRSIGs, but the binary anchors
    // at the root's keys and the lab's `.test` has no parent to hold a
    // DS: no chain of trust, so neither passes.
    for domain in [SIGNED, BADSIG] {
        let s = finding(&f, "DNS-001", domain);
        assert_ne!(s["status"], "pass", "{s:#}");
        let d = &s["evidence"]["dnssec"];
        assert!(d["dnskeys"].as_u64().unwrap() >= 1, "{d}");
        assert!(d["rrsigs"].as_u64().unwrap() >= 1, "{d}");
        assert_ne!(d["validation"]["result"], "secure", "{d}");
    }
}

/// Every DNSKEY at `zone`'s apex as trust anchors, in zone-file form.
///
/// The lab's `.test` has no parent to publish DS records, and
/// hickory-resolver 0.26 asks for a DS for any apex key that is not itself
/// an anchor, so both the key-signing and the zone-signing key are
/// anchored. The keys are read from the lab; the test then checks that the
/// signed answers verify against them, which is what fails on the broken
/// zone.
fn anchors(lab: &DnsLab, zone: &str) -> String {
    let keys = lab.dig(&["+short", zone, "DNSKEY"]);
    let anchored: Vec<String> = keys
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|key| format!("{zone}. 3600 IN DNSKEY {key}"))
        .collect();
    assert!(anchored.len() >= 2, "{zone}: {keys}");
    // The lab's own record of the key-signing key is among them.
    let ksk = if zone == SIGNED {
        lab.signed_anchor()
    } else {
        lab.badsig_anchor()
    };
    assert!(
        keys.replace(' ', "").contains(&ksk.dnskey.replace(' ', "")),
        "{keys}"
    );
    anchored.join("\n") + "\n"
}

#[tokio::test]
async fn dnssec_validates_the_signed_zone_and_catches_the_broken_signature() {
    use trustwatch_agent::dns::Hickory;
    use trustwatch_agent::dnscheck::{self, ServerConfig, Validator};
    use trustwatch_rules::{evaluate, Catalogue, Status};

    let lab = DnsLab::start();
    let catalogue = Catalogue::embedded().unwrap();
    let timeout = Duration::from_secs(2);
    let resolver = Hickory::at(lab.addr(), timeout);
    let config = ServerConfig {
        loopback_port: lab.addr().port(),
        timeout,
    };
    let cases = [
        (SIGNED, anchors(&lab, SIGNED), Status::Pass, "secure"),
        (BADSIG, anchors(&lab, BADSIG), Status::Fail, "bogus"),
    ];
    for (domain, anchor, want, result) in cases {
        let validator = Validator::new(Some(lab.addr()), timeout, Some(&anchor));
        let obs = dnscheck::observe(&resolver, domain, &[], &[], &config, &validator).await;
        let json = serde_json::to_value(&obs.dnssec).unwrap();
        assert_eq!(json["validation"]["result"], result, "{domain}: {json:#}");
        let f = evaluate::dns::findings(&catalogue, &obs);
        let f = f.iter().find(|f| f.rule_id == "DNS-001").unwrap();
        assert_eq!(f.status, want, "{domain}: {f:#?}");
    }
    // The broken record is the one named.
    let validator = Validator::new(Some(lab.addr()), timeout, Some(&anchors(&lab, BADSIG)));
    let obs = dnscheck::observe(&resolver, BADSIG, &[], &[], &config, &validator).await;
    let f = evaluate::dns::findings(&catalogue, &obs);
    let f = f.iter().find(|f| f.rule_id == "DNS-001").unwrap();
    assert!(f.summary.contains("A www.badsig.test"), "{}", f.summary);
}

#[test]
fn dnssec_anchors_given_to_the_binary_validate_a_private_signed_zone() {
    let lab = DnsLab::start();
    let dir = tempfile::tempdir().unwrap();
    for (zone, want) in [(SIGNED, "pass"), (BADSIG, "fail")] {
        // As a trust would anchor its internal signed zone.
        let file = dir.path().join(format!("{zone}.keys"));
        std::fs::write(&file, anchors(&lab, zone)).unwrap();
        let (_, f) = trustwatch_e2e::dnslab::scan::scan(
            &lab,
            &[zone],
            &["--dnssec-anchors", file.to_str().unwrap()],
        );
        let dnssec = finding(&f, "DNS-001", zone);
        assert_eq!(dnssec["status"], want, "{zone}: {dnssec:#}");
    }
    // A file that holds no key stops the scan before any question.
    let bad = dir.path().join("bad.keys");
    std::fs::write(&bad, "this is not a DNSKEY record\n").unwrap();
    let out = trustwatch_e2e::process::run_bounded(
        std::process::Command::new(trustwatch_e2e::binary("trustwatch-agent"))
            .args(["scan", "--domain", SIGNED, "--resolver"])
            .arg(lab.addr().to_string())
            .arg("--dnssec-anchors")
            .arg(&bad),
        Duration::from_secs(30),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--dnssec-anchors") && stderr.contains("bad.keys"),
        "{stderr}"
    );
}
