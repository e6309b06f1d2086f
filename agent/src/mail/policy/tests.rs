//! The policy checks against planted zones (the same names the lab's test
//! zones use), judged by the rules, plus the parsers on their own.
//!
//! DKIM keys are real: RSA keys are made by `openssl genrsa` at test time
//! and Ed25519 keys by ring, so the key-size code reads real DER.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

use trustwatch_rules::evaluate::mail::policy::{policy_findings, MailPolicy};
use trustwatch_rules::observe::DmarcPolicy;
use trustwatch_rules::{Catalogue, Finding, Severity, Status};

use super::*;
use crate::dns::{Failure, Record, RecordType, Table};

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::embedded().unwrap())
}

/// Runs `openssl` with `input` on stdin.
fn openssl(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl {args:?} failed");
    out.stdout
}

/// The base64 body of a PEM block: what a DKIM `p=` holds.
fn pem_body(pem: &[u8]) -> String {
    String::from_utf8(pem.to_vec())
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect()
}

/// A fresh RSA public key of `bits`, as base64 SubjectPublicKeyInfo DER
/// (or bare PKCS#1 RSAPublicKey), made once per size and form.
fn rsa_key(bits: u32, pkcs1: bool) -> String {
    static KEYS: OnceLock<Mutex<HashMap<(u32, bool), String>>> = OnceLock::new();
    let mut keys = KEYS.get_or_init(Default::default).lock().unwrap();
    keys.entry((bits, pkcs1))
        .or_insert_with(|| {
            let private = openssl(&["genrsa", &bits.to_string()], b"");
            let form = if pkcs1 {
                "-RSAPublicKey_out"
            } else {
                "-pubout"
            };
            pem_body(&openssl(&["rsa", form], &private))
        })
        .clone()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A fresh Ed25519 public key, raw and base64 as RFC 8463 publishes it.
fn ed25519_key() -> String {
    use ring::signature::{Ed25519KeyPair, KeyPair};
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    base64(pair.public_key().as_ref())
}

fn mx_record(preference: u16, exchange: &str) -> Record {
    Record::Mx {
        preference,
        exchange: exchange.into(),
    }
}

/// The lab's policy zones.
fn zones() -> Table {
    let rsa2048 = rsa_key(2048, false);
    let mut t = Table::new()
        // good.test
        .txt("good.test", "v=spf1 mx -all")
        .txt(
            "_dmarc.good.test",
            "v=DMARC1; p=reject; rua=mailto:dmarc@good.test",
        )
        .txt(
            "selector1._domainkey.good.test",
            &format!("v=DKIM1; k=rsa; p={rsa2048}"),
        )
        .txt(
            "_smtp._tls.good.test",
            "v=TLSRPTv1; rua=mailto:tlsrpt@good.test",
        )
        .with("good.test", mx_record(10, "mail.good.test"))
        .txt("nodmarc.test", "v=spf1 -all")
        .txt(
            "_dmarc.dmarc-none.test",
            "v=DMARC1; p=none; rua=mailto:d@dmarc-none.test",
        )
        .txt(
            "_dmarc.dmarc-quarantine.test",
            "v=DMARC1; p=quarantine; rua=mailto:d@dmarc-quarantine.test",
        )
        .txt(
            "_dmarc.dmarc-pct.test",
            "v=DMARC1; p=reject; pct=50; rua=mailto:d@dmarc-pct.test",
        )
        .txt(
            "_dmarc.dmarc-spnone.test",
            "v=DMARC1; p=reject; sp=none; rua=mailto:d@dmarc-spnone.test",
        )
        .txt("_dmarc.dmarc-norua.test", "v=DMARC1; p=reject")
        .txt("_dmarc.dmarc-bad.test", "v=DMARC1; p=bogus")
        .txt("sub.orgdmarc.test", "v=spf1 -all")
        .txt(
            "_dmarc.orgdmarc.test",
            "v=DMARC1; p=reject; rua=mailto:dmarc@orgdmarc.test",
        )
        .txt(
            "selector1._domainkey.dkim-weak.test",
            &format!("v=DKIM1; k=rsa; p={}", rsa_key(1024, false)),
        )
        .txt(
            "selector1._domainkey.dkim-tiny.test",
            &format!("v=DKIM1; k=rsa; p={}", rsa_key(512, false)),
        )
        .txt("dkim-none.test", "v=spf1 -all")
        .txt(
            "selector1._domainkey.dkim-revoked.test",
            "v=DKIM1; k=rsa; p=",
        )
        .txt(
            "selector1._domainkey.dkim-ed.test",
            &format!("v=DKIM1; k=ed25519; p={}", ed25519_key()),
        )
        .txt("nonsend-good.test", "v=spf1 -all")
        .txt(
            "_dmarc.nonsend-good.test",
            "v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc@good.test",
        )
        .with("nonsend-good.test", mx_record(0, "."))
        .txt("nonsend-bad.test", "v=spf1 ~all")
        .txt(
            "_dmarc.nonsend-bad.test",
            "v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc@good.test",
        )
        .with("nonsend-bad.test", mx_record(10, "mail.nonsend-bad.test"));
    t = t
        .txt("_dmarc.twice.test", "v=DMARC1; p=reject")
        .txt("_dmarc.twice.test", "v=DMARC1; p=none")
        .failing("_dmarc.broken.test", RecordType::Txt, Failure::ServFail)
        .failing("_dmarc.sub.slow.test", RecordType::Txt, Failure::Timeout)
        .txt("_dmarc.slow.test", "v=DMARC1; p=reject");
    t
}

/// The zone's SPF record at `domain`, standing in for the SPF check.
async fn spf_of(table: &Table, domain: &str) -> Option<String> {
    let answer = table.lookup(domain, RecordType::Txt).await;
    let mut spf = answer.texts().filter(|t| t.starts_with("v=spf1"));
    match (spf.next(), spf.next()) {
        (Some(one), None) => Some(one.to_owned()),
        _ => None,
    }
}

/// Runs the checks for `domain` and judges them.
async fn judge(table: &Table, domain: &str, non_sending: bool) -> HashMap<String, Finding> {
    let obs = lookups(table, domain, &[]).await;
    let spf = spf_of(table, domain).await;
    policy_findings(
        catalogue(),
        &MailPolicy {
            domain,
            dmarc: &obs.dmarc,
            dkim: &obs.dkim,
            tls_rpt: &obs.tls_rpt,
            mx: &obs.mx,
            spf_record: spf.as_deref(),
            non_sending,
        },
    )
    .into_iter()
    .map(|f| (f.rule_id.clone(), f))
    .collect()
}

fn status(findings: &HashMap<String, Finding>, id: &str) -> Status {
    findings[id].status
}

#[tokio::test]
async fn good_test_passes_every_policy_rule() {
    let t = zones();
    let f = judge(&t, "good.test", false).await;
    for id in ["MAIL-003", "MAIL-004", "MAIL-005", "MAIL-006", "MAIL-010"] {
        assert_eq!(status(&f, id), Status::Pass, "{id}: {}", f[id].summary);
    }
    assert_eq!(status(&f, "MAIL-011"), Status::NotApplicable);
    assert_eq!(
        f["MAIL-006"].summary,
        "usable DKIM key at selector1: rsa 2048 bits"
    );
    assert_eq!(
        f["MAIL-003"].summary,
        "one valid DMARC record at _dmarc.good.test"
    );
}

#[tokio::test]
async fn dmarc_cases_get_the_statuses_and_severities_of_the_baseline() {
    let t = zones();
    // (domain, MAIL-003, MAIL-004 with severity, MAIL-005)
    let cases = [
        (
            "nodmarc.test",
            Status::Fail,
            Status::NotApplicable,
            None,
            Status::NotApplicable,
        ),
        (
            "dmarc-none.test",
            Status::Pass,
            Status::Fail,
            Some(Severity::High),
            Status::Pass,
        ),
        (
            "dmarc-quarantine.test",
            Status::Pass,
            Status::Fail,
            Some(Severity::Medium),
            Status::Pass,
        ),
        (
            "dmarc-pct.test",
            Status::Pass,
            Status::Fail,
            Some(Severity::Medium),
            Status::Pass,
        ),
        (
            "dmarc-spnone.test",
            Status::Pass,
            Status::Fail,
            Some(Severity::High),
            Status::Pass,
        ),
        (
            "dmarc-norua.test",
            Status::Pass,
            Status::Pass,
            None,
            Status::Fail,
        ),
        (
            "dmarc-bad.test",
            Status::Fail,
            Status::NotApplicable,
            None,
            Status::NotApplicable,
        ),
        (
            "sub.orgdmarc.test",
            Status::Pass,
            Status::Pass,
            None,
            Status::Pass,
        ),
        (
            "twice.test",
            Status::Fail,
            Status::NotApplicable,
            None,
            Status::NotApplicable,
        ),
        (
            "broken.test",
            Status::Error,
            Status::Error,
            None,
            Status::Error,
        ),
        (
            "sub.slow.test",
            Status::Error,
            Status::Error,
            None,
            Status::Error,
        ),
    ];
    for (domain, s003, s004, sev004, s005) in cases {
        let f = judge(&t, domain, false).await;
        assert_eq!(
            status(&f, "MAIL-003"),
            s003,
            "{domain}: {}",
            f["MAIL-003"].summary
        );
        assert_eq!(
            status(&f, "MAIL-004"),
            s004,
            "{domain}: {}",
            f["MAIL-004"].summary
        );
        if let Some(severity) = sev004 {
            assert_eq!(f["MAIL-004"].severity, severity, "{domain}");
        }
        assert_eq!(
            status(&f, "MAIL-005"),
            s005,
            "{domain}: {}",
            f["MAIL-005"].summary
        );
    }
}

#[tokio::test]
async fn a_subdomain_falls_back_to_its_organisational_domain() {
    let t = zones();
    let obs = dmarc(&t, "Sub.OrgDmarc.test.").await;
    assert_eq!(obs.domain, "sub.orgdmarc.test");
    assert_eq!(obs.org_domain.as_deref(), Some("orgdmarc.test"));
    assert!(obs.fallback);
    assert_eq!(obs.found_at.as_deref(), Some("_dmarc.orgdmarc.test"));
    assert_eq!(
        obs.lookups.iter().map(|l| l.summary()).collect::<Vec<_>>(),
        [
            "TXT _dmarc.sub.orgdmarc.test: NXDOMAIN",
            "TXT _dmarc.orgdmarc.test: \"v=DMARC1; p=reject; rua=mailto:dmarc@orgdmarc.test\"",
        ]
    );
    assert_eq!(obs.records[0].p, Some(DmarcPolicy::Reject));
    assert_eq!(obs.resolver, "table");

    // An organisational domain is not asked twice; a failed lookup stops
    // discovery rather than falling back past it.
    let obs = dmarc(&t, "nodmarc.test").await;
    assert!(!obs.fallback);
    assert_eq!(obs.lookups.len(), 1);
    let obs = dmarc(&t, "sub.slow.test").await;
    assert_eq!(obs.lookups.len(), 1);
    assert_eq!(obs.found_at, None);
}

#[tokio::test]
async fn text_not_starting_with_v_dmarc1_is_discarded_and_falls_back() {
    let t = Table::new()
        .txt("_dmarc.a.typo.test", "p=reject; v=DMARC1")
        .txt("_dmarc.a.typo.test", "some-verification=123")
        .txt("_dmarc.typo.test", "v=DMARC1; p=quarantine");
    let obs = dmarc(&t, "a.typo.test").await;
    assert_eq!(obs.discarded, ["p=reject; v=DMARC1"]);
    assert!(obs.fallback);
    assert_eq!(obs.records.len(), 1);
}

#[test]
fn the_organisational_domain_comes_from_the_public_suffix_list() {
    assert_eq!(
        organisational_domain("sub.orgdmarc.test").as_deref(),
        Some("orgdmarc.test")
    );
    assert_eq!(
        organisational_domain("orgdmarc.test").as_deref(),
        Some("orgdmarc.test")
    );
    assert_eq!(
        organisational_domain("mail.trust.nhs.uk").as_deref(),
        Some("trust.nhs.uk")
    );
    assert_eq!(
        organisational_domain("a.b.example.co.uk.").as_deref(),
        Some("example.co.uk")
    );
    assert_eq!(organisational_domain("co.uk"), None);
    assert_eq!(organisational_domain("test"), None);
}

#[test]
fn dmarc_records_parse_per_rfc_7489() {
    let r = parse_record(
        "v=DMARC1; p=Reject; sp=quarantine; pct=100; rua=mailto:a@x.test!10m, mailto:b@y.test; \
         ruf=mailto:f@x.test; adkim=s; aspf=r; fo=1:d; rf=afrf; ri=86400; np=reject",
    )
    .unwrap();
    assert!(r.is_valid());
    assert_eq!(r.p, Some(DmarcPolicy::Reject));
    assert_eq!(r.sp, Some(DmarcPolicy::Quarantine));
    assert_eq!(r.pct, Some(100));
    assert_eq!(r.rua, ["mailto:a@x.test!10m", "mailto:b@y.test"]);
    assert_eq!(r.ruf, ["mailto:f@x.test"]);
    assert_eq!(r.adkim.as_deref(), Some("s"));
    assert_eq!(r.unknown_tags, ["np"]);
    assert!(r.ignored.is_empty(), "{:?}", r.ignored);

    assert!(parse_record("v=DMARC2; p=reject").is_none());
    assert!(parse_record("p=reject; v=DMARC1").is_none());
    assert!(parse_record("spf1 -all").is_none());

    let r = parse_record("v=DMARC1; p=bogus").unwrap();
    assert!(!r.is_valid());
    assert_eq!(r.problems, ["p=bogus is not none, quarantine or reject"]);
    let r = parse_record("v=DMARC1; rua=mailto:a@x.test").unwrap();
    assert_eq!(r.problems, ["no p tag: a policy record requires one"]);
    let r = parse_record("v=DMARC1; p=reject; sp=maybe").unwrap();
    assert!(!r.is_valid());

    // Other bad values are ignored, with their defaults.
    let r = parse_record("v=DMARC1; p=reject; pct=150; rua=dmarc@x.test; adkim=x; p=none; junk")
        .unwrap();
    assert!(r.is_valid());
    assert_eq!(r.p, Some(DmarcPolicy::Reject));
    assert_eq!(r.percent(), 100);
    assert!(r.usable_rua().is_empty());
    assert_eq!(r.ignored.len(), 5, "{:?}", r.ignored);
}

#[tokio::test]
async fn dkim_cases_find_and_size_real_keys() {
    let t = zones();
    let cases = [
        ("dkim-weak.test", Status::Pass),
        ("dkim-tiny.test", Status::Fail),
        ("dkim-none.test", Status::Fail),
        ("dkim-revoked.test", Status::Fail),
        ("dkim-ed.test", Status::Pass),
    ];
    for (domain, expected) in cases {
        let f = judge(&t, domain, false).await;
        assert_eq!(
            status(&f, "MAIL-006"),
            expected,
            "{domain}: {}",
            f["MAIL-006"].summary
        );
    }
    let f = judge(&t, "dkim-weak.test", false).await;
    assert!(f["MAIL-006"].evidence.get("below_recommendation").is_some());
    let f = judge(&t, "dkim-tiny.test", false).await;
    assert!(
        f["MAIL-006"]
            .summary
            .contains("selector1: RSA key of 512 bits"),
        "{}",
        f["MAIL-006"].summary
    );
    let f = judge(&t, "dkim-none.test", false).await;
    assert_eq!(
        f["MAIL-006"].summary,
        format!(
            "no DKIM key at any of the 10 selectors tried ({})",
            COMMON_SELECTORS.join(", ")
        )
    );
    let obs = dkim(&t, "dkim-ed.test", &[]).await;
    let key = &obs.selectors[0].keys[0];
    assert_eq!((key.key_type.as_str(), key.bits), ("ed25519", Some(256)));
    let obs = dkim(&t, "dkim-revoked.test", &[]).await;
    assert!(obs.selectors[0].keys[0].revoked);
}

#[tokio::test]
async fn configured_selectors_come_first_and_are_bounded() {
    let t = Table::new().txt(
        "corp2024._domainkey.x.test",
        &format!("p={}", rsa_key(2048, false)),
    );
    let selectors = vec![
        "Corp2024".to_owned(),
        "corp2024".to_owned(),
        "google".to_owned(),
        "bad name".to_owned(),
    ];
    let obs = dkim(&t, "x.test", &selectors).await;
    assert_eq!(
        obs.selectors_tried[..3],
        ["corp2024", "google", "selector1"]
    );
    assert_eq!(obs.selectors_tried.len(), 1 + COMMON_SELECTORS.len());
    assert!(obs.selectors[0].configured && obs.selectors[1].configured);
    assert!(!obs.selectors[2].configured);
    assert_eq!(obs.not_tried, ["bad name"]);
    assert_eq!(obs.selectors[0].keys[0].bits, Some(2048));
    assert_eq!(t.asked(), obs.selectors_tried.len());

    let many: Vec<String> = (0..100).map(|i| format!("s{i}x")).collect();
    let t = Table::new();
    let obs = dkim(&t, "x.test", &many).await;
    assert_eq!(obs.not_tried.len(), 100 - MAX_CONFIGURED_SELECTORS);
    assert_eq!(t.asked(), MAX_CONFIGURED_SELECTORS + COMMON_SELECTORS.len());
}

#[test]
fn dkim_key_records_parse_per_rfc_6376() {
    // Folded whitespace inside p= is not data; bare PKCS#1 is read too.
    let spki = rsa_key(2048, false);
    let (a, b) = spki.split_at(40);
    let key = parse_key(&format!("v=DKIM1; k=rsa; h=sha256; s=email; p={a} \t {b}"));
    assert_eq!(key.bits, Some(2048), "{:?}", key.problems);
    assert!(key.is_valid());
    let key = parse_key(&format!("p={}", rsa_key(1024, true)));
    assert_eq!((key.key_type.as_str(), key.bits), ("rsa", Some(1024)));

    let key = parse_key("v=DKIM1; p=");
    assert!(key.revoked && !key.is_valid());
    let key = parse_key("v=DKIM1; k=rsa");
    assert_eq!(key.problems, ["no p= tag (the public key)"]);
    let key = parse_key("v=DKIM1; p=not*base64");
    assert_eq!(key.problems, ["p= is not valid base64"]);
    let key = parse_key("v=DKIM1; p=AAAA");
    assert_eq!(key.problems, ["p= is not an RSA public key"]);
    let key = parse_key(&format!("v=DKIM1; k=ed25519; p={}", rsa_key(1024, false)));
    assert!(key.problems[0].starts_with("an Ed25519 key is 32 bytes"));
    let key = parse_key("v=DKIM1; k=dsa; p=AAAA");
    assert_eq!(key.problems, ["k=dsa is not a known key type"]);
    let key = parse_key(&format!("v=DKIM1; s=tlsrpt; p={spki}"));
    assert_eq!(key.problems, ["s=tlsrpt does not include email"]);
    let key = parse_key(&format!("k=rsa; v=DKIM1; p={spki}"));
    assert_eq!(key.problems, ["v=DKIM1 is not DKIM1 as the first tag"]);

    // An Ed25519 SubjectPublicKeyInfo under k=rsa names the mismatch.
    let private = openssl(&["genpkey", "-algorithm", "ed25519"], b"");
    let ed_spki = pem_body(&openssl(&["pkey", "-pubout"], &private));
    let key = parse_key(&format!("k=rsa; p={ed_spki}"));
    assert_eq!(key.problems, ["k=rsa but p= holds an Ed25519 key"]);
}

#[tokio::test]
async fn tls_rpt_is_read_from_smtp_tls() {
    let t = zones()
        .txt("_smtp._tls.two.test", "v=TLSRPTv1; rua=mailto:a@two.test")
        .txt(
            "_smtp._tls.two.test",
            "v=TLSRPTv1; rua=https://r.two.test/v1",
        );
    let obs = tls_rpt(&t, "good.test").await;
    assert_eq!(obs.records.len(), 1);
    assert_eq!(obs.records[0].rua, ["mailto:tlsrpt@good.test"]);
    let f = judge(&t, "good.test", false).await;
    assert_eq!(status(&f, "MAIL-010"), Status::Pass);
    let f = judge(&t, "nodmarc.test", false).await;
    assert_eq!(status(&f, "MAIL-010"), Status::Fail);
    assert_eq!(tls_rpt(&t, "two.test").await.records.len(), 2);

    let r = parse_tls_rpt("v=TLSRPTv1;rua=mailto:a@x.test,https://r.x.test/v1").unwrap();
    assert!(r.problems.is_empty());
    assert_eq!(r.usable_rua().len(), 2);
    assert_eq!(
        parse_tls_rpt("v=TLSRPTv1").unwrap().problems,
        ["no rua field"]
    );
    assert_eq!(
        parse_tls_rpt("v=TLSRPTv1; rua=ftp://x.test")
            .unwrap()
            .problems,
        ["rua URI \"ftp://x.test\" is not a mailto: address or https: URL"]
    );
    assert!(parse_tls_rpt("v=STSv1; id=1").is_none());
}

#[tokio::test]
async fn null_mx_is_one_record_of_preference_zero_to_the_root() {
    let t = zones()
        .with("mixed.test", mx_record(0, "."))
        .with("mixed.test", mx_record(10, "mail.mixed.test"))
        .with("empty-root.test", mx_record(0, ""));
    let obs = mx(&t, "nonsend-good.test").await;
    assert!(obs.null_mx);
    assert_eq!(obs.lookup.summary(), "MX nonsend-good.test: 0 .");
    assert!(mx(&t, "empty-root.test").await.null_mx);
    let obs = mx(&t, "mixed.test").await;
    assert!(!obs.null_mx && obs.null_mx_mixed);
    let obs = mx(&t, "good.test").await;
    assert!(!obs.null_mx);
    assert_eq!(obs.hosts[0].exchange, "mail.good.test");
    let obs = mx(&t, "nodmarc.test").await;
    assert!(obs.hosts.is_empty() && !obs.null_mx);
}

#[tokio::test]
async fn non_sending_domains_are_judged_only_when_flagged() {
    let t = zones();
    let f = judge(&t, "nonsend-good.test", true).await;
    assert_eq!(
        status(&f, "MAIL-011"),
        Status::Pass,
        "{}",
        f["MAIL-011"].summary
    );
    let f = judge(&t, "nonsend-bad.test", true).await;
    assert_eq!(status(&f, "MAIL-011"), Status::Fail);
    let summary = &f["MAIL-011"].summary;
    assert!(summary.contains("SPF is \"v=spf1 ~all\""), "{summary}");
    assert!(
        summary.contains("MX points at mail.nonsend-bad.test"),
        "{summary}"
    );
    let f = judge(&t, "nonsend-bad.test", false).await;
    assert_eq!(status(&f, "MAIL-011"), Status::NotApplicable);
}

proptest::proptest! {
    /// Hostile record text never panics a parser, and what a parser keeps
    /// is the text it was given.
    #[test]
    fn parsers_take_any_text(text in "(v=(DMARC1|DKIM1|TLSRPTv1); )?[ -~]{0,200}") {
        if let Some(r) = parse_record(&text) {
            proptest::prop_assert_eq!(&r.text, &text);
        }
        let key = parse_key(&text);
        proptest::prop_assert!(key.revoked || key.bits.is_some() || !key.problems.is_empty());
        if let Some(r) = parse_tls_rpt(&text) {
            proptest::prop_assert_eq!(&r.text, &text);
        }
    }
}
