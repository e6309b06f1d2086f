use serde_json::json;

use super::*;
use crate::observe::{
    DkimKey, DkimSelector, DmarcPolicy, DmarcRecord, LookupFailure, MxHost, TlsRptRecord,
};
use crate::severity::Severity;

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::embedded().unwrap())
}

fn txt(name: &str, records: &[&str]) -> DnsLookup {
    DnsLookup {
        name: name.into(),
        rtype: "TXT".into(),
        records: records.iter().map(|r| r.to_string()).collect(),
        failure: None,
    }
}

fn failed(name: &str, rtype: &str, failure: LookupFailure) -> DnsLookup {
    DnsLookup {
        name: name.into(),
        rtype: rtype.into(),
        records: Vec::new(),
        failure: Some(failure),
    }
}

fn record(
    p: Option<DmarcPolicy>,
    sp: Option<DmarcPolicy>,
    pct: Option<u8>,
    rua: &[&str],
) -> DmarcRecord {
    DmarcRecord {
        text: "v=DMARC1; (as built by the test)".into(),
        p,
        sp,
        pct,
        rua: rua.iter().map(|r| r.to_string()).collect(),
        problems: if p.is_none() {
            vec!["p=bogus is not none, quarantine or reject".into()]
        } else {
            Vec::new()
        },
        ..DmarcRecord::default()
    }
}

fn reject() -> DmarcRecord {
    record(
        Some(DmarcPolicy::Reject),
        None,
        None,
        &["mailto:dmarc@good.test"],
    )
}

/// A DMARC observation with `records` at `_dmarc.<domain>`.
fn dmarc(domain: &str, records: Vec<DmarcRecord>) -> DmarcObservation {
    let name = format!("_dmarc.{domain}");
    DmarcObservation {
        domain: domain.into(),
        org_domain: Some(domain.into()),
        lookups: vec![txt(
            &name,
            &records.iter().map(|r| r.text.as_str()).collect::<Vec<_>>(),
        )],
        fallback: false,
        found_at: Some(name),
        records,
        discarded: Vec::new(),
        resolver: "table".into(),
    }
}

fn rsa(bits: u32) -> DkimKey {
    DkimKey {
        text: "v=DKIM1; k=rsa; p=...".into(),
        key_type: "rsa".into(),
        bits: Some(bits),
        revoked: false,
        problems: Vec::new(),
    }
}

fn dkim(domain: &str, keys: Vec<(&str, DkimKey)>) -> DkimObservation {
    let mut selectors: Vec<DkimSelector> = ["selector1", "selector2", "google"]
        .iter()
        .map(|s| DkimSelector {
            selector: s.to_string(),
            configured: false,
            lookup: failed(
                &format!("{s}._domainkey.{domain}"),
                "TXT",
                LookupFailure::NxDomain,
            ),
            keys: Vec::new(),
        })
        .collect();
    for (name, key) in keys {
        let s = selectors.iter_mut().find(|s| s.selector == name).unwrap();
        s.lookup = txt(&s.lookup.name.clone(), &[&key.text]);
        s.keys.push(key);
    }
    DkimObservation {
        domain: domain.into(),
        selectors_tried: selectors.iter().map(|s| s.selector.clone()).collect(),
        selectors,
        not_tried: Vec::new(),
        resolver: "table".into(),
    }
}

fn tls_rpt(domain: &str, texts: &[&str], rua: &[&str]) -> TlsRptObservation {
    TlsRptObservation {
        domain: domain.into(),
        lookup: txt(&format!("_smtp._tls.{domain}"), texts),
        records: texts
            .iter()
            .map(|t| TlsRptRecord {
                text: t.to_string(),
                rua: rua.iter().map(|r| r.to_string()).collect(),
                problems: Vec::new(),
            })
            .collect(),
        resolver: "table".into(),
    }
}

fn mx(domain: &str, hosts: &[(u16, &str)]) -> MxObservation {
    let hosts: Vec<MxHost> = hosts
        .iter()
        .map(|(preference, exchange)| MxHost {
            preference: *preference,
            exchange: exchange.to_string(),
        })
        .collect();
    MxObservation {
        domain: domain.into(),
        lookup: DnsLookup {
            name: domain.into(),
            rtype: "MX".into(),
            records: hosts
                .iter()
                .map(|h| format!("{} {}", h.preference, h.exchange))
                .collect(),
            failure: if hosts.is_empty() {
                Some(LookupFailure::NoData)
            } else {
                None
            },
        },
        null_mx: matches!(hosts.as_slice(), [h] if h.preference == 0 && h.exchange == "."),
        null_mx_mixed: hosts.len() > 1 && hosts.iter().any(|h| h.exchange == "."),
        hosts,
        resolver: "table".into(),
    }
}

/// Everything about one domain, good unless a test changes it.
struct Case {
    domain: &'static str,
    dmarc: DmarcObservation,
    dkim: DkimObservation,
    tls_rpt: TlsRptObservation,
    mx: MxObservation,
    spf: Option<&'static str>,
    non_sending: bool,
}

impl Case {
    fn good(domain: &'static str) -> Case {
        Case {
            domain,
            dmarc: dmarc(domain, vec![reject()]),
            dkim: dkim(domain, vec![("selector1", rsa(2048))]),
            tls_rpt: tls_rpt(
                domain,
                &["v=TLSRPTv1; rua=mailto:tlsrpt@good.test"],
                &["mailto:tlsrpt@good.test"],
            ),
            mx: mx(domain, &[(10, "mail.good.test")]),
            spf: Some("v=spf1 mx -all"),
            non_sending: false,
        }
    }

    fn findings(&self) -> Vec<Finding> {
        policy_findings(
            catalogue(),
            &MailPolicy {
                domain: self.domain,
                dmarc: &self.dmarc,
                dkim: &self.dkim,
                tls_rpt: &self.tls_rpt,
                mx: &self.mx,
                spf_record: self.spf,
                non_sending: self.non_sending,
            },
        )
    }

    fn rule(&self, id: &str) -> Finding {
        self.findings()
            .into_iter()
            .find(|f| f.rule_id == id)
            .unwrap_or_else(|| panic!("no {id} finding"))
    }
}

#[test]
fn good_domain_passes_everything_and_lockdown_is_not_applicable() {
    let case = Case::good("good.test");
    let findings = case.findings();
    let ids: Vec<_> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, POLICY_RULES);
    for f in &findings {
        assert_eq!(f.target, "good.test");
        let expected = if f.rule_id == "MAIL-011" {
            Status::NotApplicable
        } else {
            Status::Pass
        };
        assert_eq!(f.status, expected, "{}: {}", f.rule_id, f.summary);
        assert_eq!(f.evidence.get("resolver"), Some(&json!("table")));
    }
    let f003 = case.rule("MAIL-003");
    assert_eq!(f003.evidence.get("fallback"), Some(&json!(false)));
    assert_eq!(
        f003.evidence.get("answers"),
        Some(&json!([
            "TXT _dmarc.good.test: \"v=DMARC1; (as built by the test)\""
        ]))
    );
    assert_eq!(
        case.rule("MAIL-005").summary,
        "aggregate reports go to mailto:dmarc@good.test"
    );
    assert!(case.rule("MAIL-010").summary.contains("tlsrpt@good.test"));
}

#[test]
fn no_dmarc_fails_003_and_makes_004_005_not_applicable() {
    let mut case = Case::good("nodmarc.test");
    case.dmarc = dmarc("nodmarc.test", Vec::new());
    case.dmarc.lookups[0].failure = Some(LookupFailure::NxDomain);
    let f = case.rule("MAIL-003");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.summary, "no DMARC record at _dmarc.nodmarc.test");
    assert_eq!(case.rule("MAIL-004").status, Status::NotApplicable);
    assert_eq!(case.rule("MAIL-005").status, Status::NotApplicable);
}

#[test]
fn discarded_text_is_named_when_nothing_else_is_there() {
    let mut case = Case::good("typo.test");
    case.dmarc = dmarc("typo.test", Vec::new());
    case.dmarc.discarded = vec!["v=DMARC2; p=reject".into()];
    let f = case.rule("MAIL-003");
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.summary.contains("do not start with v=DMARC1"),
        "{}",
        f.summary
    );
    assert_eq!(
        f.evidence.get("discarded"),
        Some(&json!(["v=DMARC2; p=reject"]))
    );
}

#[test]
fn invalid_and_duplicate_records_fail_003() {
    let mut case = Case::good("dmarc-bad.test");
    case.dmarc = dmarc("dmarc-bad.test", vec![record(None, None, None, &[])]);
    let f = case.rule("MAIL-003");
    assert_eq!(f.status, Status::Fail);
    assert!(f.summary.contains("invalid: p=bogus"), "{}", f.summary);
    assert_eq!(case.rule("MAIL-004").status, Status::NotApplicable);

    case.dmarc = dmarc("dmarc-bad.test", vec![reject(), reject()]);
    let f = case.rule("MAIL-003");
    assert_eq!(f.status, Status::Fail);
    assert!(f.summary.starts_with("2 DMARC records"), "{}", f.summary);
    assert_eq!(case.rule("MAIL-004").status, Status::NotApplicable);
}

#[test]
fn lookup_failures_are_errors_not_failures() {
    let mut case = Case::good("broken.test");
    case.dmarc.lookups = vec![failed("_dmarc.broken.test", "TXT", LookupFailure::ServFail)];
    case.dmarc.records.clear();
    case.dmarc.found_at = None;
    for id in ["MAIL-003", "MAIL-004", "MAIL-005"] {
        let f = case.rule(id);
        assert_eq!(f.status, Status::Error, "{id}");
        assert_eq!(
            f.evidence.get("error"),
            Some(&json!("TXT _dmarc.broken.test: SERVFAIL"))
        );
    }
    case.tls_rpt.lookup = failed("_smtp._tls.broken.test", "TXT", LookupFailure::Timeout);
    case.tls_rpt.records.clear();
    assert_eq!(case.rule("MAIL-010").status, Status::Error);
}

#[test]
fn fallback_to_the_organisational_domain_passes_and_says_so() {
    let mut case = Case::good("sub.orgdmarc.test");
    case.dmarc = DmarcObservation {
        domain: "sub.orgdmarc.test".into(),
        org_domain: Some("orgdmarc.test".into()),
        lookups: vec![
            failed("_dmarc.sub.orgdmarc.test", "TXT", LookupFailure::NxDomain),
            txt("_dmarc.orgdmarc.test", &["v=DMARC1; p=reject"]),
        ],
        fallback: true,
        found_at: Some("_dmarc.orgdmarc.test".into()),
        records: vec![reject()],
        discarded: Vec::new(),
        resolver: "table".into(),
    };
    let f = case.rule("MAIL-003");
    assert_eq!(f.status, Status::Pass);
    assert!(f.summary.contains("organisational domain"), "{}", f.summary);
    assert_eq!(f.evidence.get("fallback"), Some(&json!(true)));
    assert_eq!(f.evidence.get("org_domain"), Some(&json!("orgdmarc.test")));
    assert_eq!(case.rule("MAIL-004").status, Status::Pass);

    // The organisational record's sp governs the subdomain.
    case.dmarc.records = vec![record(
        Some(DmarcPolicy::Reject),
        Some(DmarcPolicy::None),
        None,
        &[],
    )];
    let f = case.rule("MAIL-004");
    assert_eq!((f.status, f.severity), (Status::Fail, Severity::High));
    assert_eq!(f.evidence.get("policy_for_domain"), Some(&json!("none")));
    assert!(
        f.summary.contains("organisational domain's sp=none"),
        "{}",
        f.summary
    );
    // And p=none with sp=reject protects it.
    case.dmarc.records = vec![record(
        Some(DmarcPolicy::None),
        Some(DmarcPolicy::Reject),
        None,
        &[],
    )];
    assert_eq!(case.rule("MAIL-004").status, Status::Pass);
}

/// p, sp, pct, and the MAIL-004 status and severity expected.
type Enforcing = (
    DmarcPolicy,
    Option<DmarcPolicy>,
    Option<u8>,
    (Status, Severity),
);

#[test]
fn enforcement_severity_follows_the_weakest_treatment() {
    use DmarcPolicy::{None as N, Quarantine as Q, Reject as R};
    let fail_high = (Status::Fail, Severity::High);
    let fail_medium = (Status::Fail, Severity::Medium);
    let cases: &[Enforcing] = &[
        // dmarc-none.test, dmarc-quarantine.test
        (N, None, None, fail_high),
        (Q, None, None, fail_medium),
        // dmarc-pct.test: half the failing mail is only quarantined.
        (R, None, Some(50), fail_medium),
        // quarantine with pct leaves the rest to normal delivery.
        (Q, None, Some(50), fail_high),
        // dmarc-spnone.test
        (R, Some(N), None, fail_high),
        (R, Some(Q), None, fail_medium),
        (R, Some(R), Some(100), (Status::Pass, Severity::High)),
    ];
    for (p, sp, pct, expected) in cases {
        let mut case = Case::good("dmarc.test");
        case.dmarc = dmarc("dmarc.test", vec![record(Some(*p), *sp, *pct, &[])]);
        let f = case.rule("MAIL-004");
        assert_eq!(
            (f.status, f.severity),
            *expected,
            "p={p} sp={sp:?} pct={pct:?}: {}",
            f.summary
        );
    }
    let mut case = Case::good("dmarc-pct.test");
    case.dmarc = dmarc("dmarc-pct.test", vec![record(Some(R), None, Some(50), &[])]);
    let f = case.rule("MAIL-004");
    assert_eq!(
        f.summary,
        "DMARC does not reject all failing mail: pct=50 leaves the rest of failing mail to quarantine"
    );
    assert_eq!(f.evidence.get("pct"), Some(&json!(50)));
    let mut case = Case::good("dmarc-spnone.test");
    case.dmarc = dmarc(
        "dmarc-spnone.test",
        vec![record(Some(R), Some(N), None, &[])],
    );
    assert!(case
        .rule("MAIL-004")
        .summary
        .contains("sp=none is weaker than reject for subdomains"));
}

#[test]
fn aggregate_reporting_needs_a_usable_uri() {
    let mut case = Case::good("dmarc-norua.test");
    case.dmarc = dmarc(
        "dmarc-norua.test",
        vec![record(Some(DmarcPolicy::Reject), None, None, &[])],
    );
    let f = case.rule("MAIL-005");
    assert_eq!(f.status, Status::Fail);
    assert!(f.summary.contains("no rua tag"), "{}", f.summary);
    case.dmarc.records[0].rua = vec!["dmarc@elsewhere.test".into()];
    let f = case.rule("MAIL-005");
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.summary.contains("no usable report address"),
        "{}",
        f.summary
    );
}

#[test]
fn dkim_counts_keys_of_1024_bits_or_more_and_ed25519() {
    let mut case = Case::good("dkim-weak.test");
    case.dkim = dkim("dkim-weak.test", vec![("selector1", rsa(1024))]);
    let f = case.rule("MAIL-006");
    assert_eq!(f.status, Status::Pass);
    assert_eq!(
        f.evidence.get("below_recommendation"),
        Some(&json!([
            "selector1: rsa 1024 bits, below the 2048 bits recommended"
        ]))
    );

    case.dkim = dkim("dkim-tiny.test", vec![("selector1", rsa(512))]);
    let f = case.rule("MAIL-006");
    assert_eq!(f.status, Status::Fail);
    assert!(f.summary.contains("RSA key of 512 bits"), "{}", f.summary);

    let mut revoked = rsa(2048);
    revoked.bits = None;
    revoked.revoked = true;
    case.dkim = dkim("dkim-revoked.test", vec![("selector2", revoked)]);
    let f = case.rule("MAIL-006");
    assert_eq!(f.status, Status::Fail);
    assert!(f.summary.contains("selector2: revoked"), "{}", f.summary);

    let ed = DkimKey {
        key_type: "ed25519".into(),
        bits: Some(256),
        ..rsa(0)
    };
    case.dkim = dkim("dkim-ed.test", vec![("google", ed)]);
    let f = case.rule("MAIL-006");
    assert_eq!(f.status, Status::Pass, "{}", f.summary);
    assert!(f.evidence.get("below_recommendation").is_none());
}

#[test]
fn no_dkim_key_lists_the_selectors_tried_unless_a_lookup_failed() {
    let mut case = Case::good("dkim-none.test");
    case.dkim = dkim("dkim-none.test", Vec::new());
    let f = case.rule("MAIL-006");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(
        f.summary,
        "no DKIM key at any of the 3 selectors tried (selector1, selector2, google)"
    );
    case.dkim.selectors[1].lookup.failure = Some(LookupFailure::ServFail);
    assert_eq!(case.rule("MAIL-006").status, Status::Error);
    // A usable key elsewhere decides it whatever the failed lookup held.
    case.dkim.selectors[0].keys.push(rsa(2048));
    assert_eq!(case.rule("MAIL-006").status, Status::Pass);
}

#[test]
fn tls_rpt_needs_one_record_with_a_destination() {
    let mut case = Case::good("x.test");
    case.tls_rpt = tls_rpt("x.test", &[], &[]);
    let f = case.rule("MAIL-010");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.summary, "no v=TLSRPTv1 record at _smtp._tls.x.test");
    case.tls_rpt = tls_rpt(
        "x.test",
        &[
            "v=TLSRPTv1; rua=mailto:a@x.test",
            "v=TLSRPTv1; rua=mailto:b@x.test",
        ],
        &["mailto:a@x.test"],
    );
    assert!(case
        .rule("MAIL-010")
        .summary
        .contains("assume there is no policy"));
    case.tls_rpt = tls_rpt("x.test", &["v=TLSRPTv1;"], &[]);
    assert_eq!(case.rule("MAIL-010").status, Status::Fail);
    case.tls_rpt = tls_rpt(
        "x.test",
        &["v=TLSRPTv1; rua=https://reports.x.test/v1"],
        &["https://reports.x.test/v1"],
    );
    assert_eq!(case.rule("MAIL-010").status, Status::Pass);
}

fn non_sending(domain: &'static str) -> Case {
    let mut case = Case::good(domain);
    case.non_sending = true;
    case.spf = Some("v=spf1 -all");
    case.dmarc = dmarc(
        domain,
        vec![record(
            Some(DmarcPolicy::Reject),
            Some(DmarcPolicy::Reject),
            None,
            &[],
        )],
    );
    case.mx = mx(domain, &[(0, ".")]);
    case
}

#[test]
fn a_locked_down_non_sending_domain_passes() {
    let case = non_sending("nonsend-good.test");
    let f = case.rule("MAIL-011");
    assert_eq!(f.status, Status::Pass, "{}", f.summary);
    assert_eq!(f.evidence.get("null_mx"), Some(&json!(true)));
    // No MX at all is accepted too, and an omitted sp takes p's reject.
    let mut case = non_sending("nonsend-nomx.test");
    case.mx = mx("nonsend-nomx.test", &[]);
    case.dmarc.records[0].sp = None;
    assert_eq!(case.rule("MAIL-011").status, Status::Pass);
}

#[test]
fn an_open_non_sending_domain_fails_listing_everything_missing() {
    let mut case = non_sending("nonsend-bad.test");
    case.spf = Some("v=spf1 ~all");
    case.mx = mx("nonsend-bad.test", &[(10, "mail.nonsend-bad.test")]);
    case.dmarc = dmarc(
        "nonsend-bad.test",
        vec![record(
            Some(DmarcPolicy::Reject),
            Some(DmarcPolicy::None),
            None,
            &[],
        )],
    );
    let f = case.rule("MAIL-011");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(
        f.evidence.get("missing"),
        Some(&json!([
            "SPF is \"v=spf1 ~all\", not \"v=spf1 -all\"",
            "DMARC does not reject everything: sp=none is weaker than reject for subdomains",
            "MX points at mail.nonsend-bad.test instead of a null MX (MX 0 .)"
        ]))
    );
    // Another mechanism beside -all is not lock-down, nor is no SPF.
    let mut case = non_sending("nonsend-include.test");
    case.spf = Some("v=spf1 include:_spf.example.test -all");
    assert_eq!(case.rule("MAIL-011").status, Status::Fail);
    case.spf = None;
    assert!(case
        .rule("MAIL-011")
        .summary
        .contains("no single SPF record"));
    // A null MX beside another host is not a null MX.
    let mut case = non_sending("nonsend-mixed.test");
    case.mx = mx("nonsend-mixed.test", &[(0, "."), (10, "mail.x.test")]);
    assert!(case.rule("MAIL-011").summary.contains("beside other MX"));
}

#[test]
fn lockdown_cannot_be_judged_when_a_lookup_failed() {
    let mut case = non_sending("nonsend-servfail.test");
    case.mx.lookup = failed("nonsend-servfail.test", "MX", LookupFailure::ServFail);
    case.mx.hosts.clear();
    case.mx.null_mx = false;
    assert_eq!(case.rule("MAIL-011").status, Status::Error);
    // Unless something already fails.
    case.spf = Some("v=spf1 +all");
    assert_eq!(case.rule("MAIL-011").status, Status::Fail);
}

#[test]
fn spf_reject_all_is_exact() {
    assert!(lockdown::is_reject_all("v=spf1 -all"));
    assert!(lockdown::is_reject_all("  V=SPF1   -ALL "));
    assert!(!lockdown::is_reject_all("v=spf1 ~all"));
    assert!(!lockdown::is_reject_all("v=spf1 -all redirect=x.test"));
    assert!(!lockdown::is_reject_all("v=spf1"));
    assert!(!lockdown::is_reject_all("-all"));
}
