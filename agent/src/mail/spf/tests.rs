//! The walker against a table that mirrors the lab's test zones (good.test,
//! nospf.test, twospf.test, spf-*.test) plus cases only a table can plant
//! (SERVFAIL mid-walk, eleven MX names).

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::dns::{Failure, Record, Table};

fn a(address: &str) -> Record {
    Record::A {
        address: address.parse().unwrap(),
    }
}

fn ptr(name: &str) -> Record {
    Record::Ptr { name: name.into() }
}

fn mx(preference: u16, exchange: &str) -> Record {
    Record::Mx {
        preference,
        exchange: exchange.into(),
    }
}

/// The SPF side of the lab's zones (tests/src/dnslab/zones.rs: the same
/// names and records), then cases only a table plants.
fn lab() -> Table {
    let mut t = Table::new()
        .txt("good.test", "v=spf1 ip4:192.0.2.10 -all")
        .txt(
            "_dmarc.good.test",
            "v=DMARC1; p=reject; rua=mailto:dmarc@good.test",
        )
        .txt(
            "_smtp._tls.good.test",
            "v=TLSRPTv1; rua=mailto:tlsrpt@good.test",
        )
        .with("good.test", mx(10, "mail.good.test"))
        .with("mail.good.test", a("127.0.0.10"))
        // The senders SPF lists are in 192.0.2.0/24, as in the lab (whose
        // resolver cannot ask about 127.in-addr.arpa): 192.0.2.10 has a PTR
        // that resolves back, 192.0.2.11 none.
        .with("outbound.good.test", a("192.0.2.10"))
        .with("10.2.0.192.in-addr.arpa", ptr("outbound.good.test"))
        .txt("nospf.test", "lab-site-verification=nospf")
        .with("nospf.test", mx(10, "mail.good.test"))
        .txt("twospf.test", "v=spf1 ip4:192.0.2.10 -all")
        .txt("twospf.test", "v=spf1 include:good.test -all")
        .txt("spf-plusall.test", "v=spf1 +all")
        .txt("spf-softfail.test", "v=spf1 ip4:192.0.2.10 ~all")
        .txt(
            "_dmarc.spf-softfail.test",
            "v=DMARC1; p=none; rua=mailto:dmarc@spf-softfail.test",
        )
        .txt(
            "spf-toomany.test",
            "v=spf1 include:one.spf-toomany.test include:two.spf-toomany.test \
             include:three.spf-toomany.test -all",
        )
        .with("spf-toomany.test", mx(10, "host.spf-toomany.test"))
        .with("host.spf-toomany.test", a("127.0.0.21"))
        .txt(
            "one.spf-toomany.test",
            "v=spf1 a mx a:host.spf-toomany.test -all",
        )
        .txt(
            "two.spf-toomany.test",
            "v=spf1 a mx mx:spf-toomany.test -all",
        )
        .txt(
            "three.spf-toomany.test",
            "v=spf1 a mx exists:host.spf-toomany.test -all",
        )
        .txt("spf-loop.test", "v=spf1 include:loop.spf-loop.test -all")
        .txt("loop.spf-loop.test", "v=spf1 include:spf-loop.test -all")
        .txt(
            "spf-void.test",
            "v=spf1 a:gone1.spf-void.test a:gone2.spf-void.test mx:gone3.spf-void.test -all",
        )
        .txt("spf-syntax.test", "v=spf1 ip4:999.1.1.1 -all")
        .txt(
            "unknown.spf-syntax.test",
            "v=spf1 ip4:192.0.2.10 frobnicate:good.test -all",
        )
        .txt("spf-redirect.test", "v=spf1 redirect=good.test")
        .txt("nonsend-good.test", "v=spf1 -all")
        .with("nonsend-good.test", mx(0, ""))
        // Not in the lab: cases only a table plants, or variations.
        .txt(
            "chain-toomany.test",
            "v=spf1 include:c1.chain-toomany.test -all",
        )
        .txt(
            "void-includes.test",
            "v=spf1 include:nx1.void-includes.test include:nx2.void-includes.test \
             include:nx3.void-includes.test -all",
        )
        .txt("include-nospf.test", "v=spf1 include:nospf.test -all")
        .txt("include-nxdomain.test", "v=spf1 include:gone.test -all")
        .txt(
            "servfail-mid.test",
            "v=spf1 ip4:127.0.0.30 include:broken.test -all",
        )
        .failing("broken.test", RecordType::Txt, Failure::ServFail)
        .failing("servfail.test", RecordType::Txt, Failure::ServFail)
        .failing("timeout.test", RecordType::Txt, Failure::Timeout)
        .txt(
            "macro.test",
            "v=spf1 include:_spf.%{d} exists:%{i}._spf.%{d} a:%{o} -all",
        )
        .txt("_spf.macro.test", "v=spf1 ip4:127.0.0.20 ip6:::1 -all")
        .with("macro.test", a("127.0.0.21"))
        .txt("mx-ok.test", "v=spf1 mx a -all")
        .with("mx-ok.test", mx(10, "mail.mx-ok.test"))
        .with(
            "mx-ok.test",
            Record::Aaaa {
                address: "::1".parse().unwrap(),
            },
        )
        .txt("mx-many.test", "v=spf1 mx -all")
        .txt("no-all.test", "v=spf1 ip4:127.0.0.40")
        .txt("redirect-ignored.test", "v=spf1 -all redirect=nowhere.test")
        .txt("redirect-loop.test", "v=spf1 redirect=redirect-loop.test")
        .txt(
            "diamond.test",
            "v=spf1 include:good.test include:good.test ~all",
        )
        .txt(
            "after-all.test",
            "v=spf1 -all include:a.test include:b.test",
        );
    for i in 1..=11 {
        let next = if i < 11 {
            format!("v=spf1 include:c{}.chain-toomany.test -all", i + 1)
        } else {
            "v=spf1 -all".into()
        };
        t = t.txt(&format!("c{i}.chain-toomany.test"), &next);
        t = t.with("mx-many.test", mx(i as u16, &format!("m{i}.mx-many.test")));
    }
    for name in ["one", "two", "three"] {
        let name = format!("{name}.spf-toomany.test");
        t = t
            .with(&name, a("127.0.0.21"))
            .with(&name, mx(10, "host.spf-toomany.test"));
    }
    t
}

fn perm(obs: &SpfObservation) -> (PermErrorKind, &str) {
    match &obs.result {
        SpfResult::PermError { kind, reason } => (*kind, reason.as_str()),
        other => panic!("{}: not a PermError: {other:?}", obs.domain),
    }
}

#[tokio::test]
async fn good_record_is_valid_with_its_network() {
    let t = lab();
    let obs = check(&t, "Good.Test.").await;
    assert_eq!(obs.domain, "good.test");
    assert_eq!(obs.resolver, "table");
    assert_eq!(obs.result, SpfResult::Valid);
    assert_eq!(obs.txt_records.len(), 1);
    assert_eq!(obs.spf_records, ["v=spf1 ip4:192.0.2.10 -all"]);
    assert_eq!(obs.effective_all, Some(Qualifier::Fail));
    assert_eq!(obs.lookups, 0);
    assert_eq!(obs.void_lookups, 0);
    assert_eq!(obs.networks.len(), 1);
    assert_eq!(obs.networks[0].to_string(), "192.0.2.10/32");
    assert_eq!(obs.networks[0].listed_by, "good.test");
    assert_eq!(obs.record.as_ref().unwrap().mechanisms.len(), 2);
    assert_eq!(
        obs.tree.as_ref().unwrap().record.as_deref(),
        obs.spf_records.first().map(String::as_str)
    );
    assert_eq!(obs.answers.len(), 1);
    assert!(
        obs.answers[0].starts_with("TXT good.test: "),
        "{:?}",
        obs.answers
    );
}

#[tokio::test]
async fn no_record_is_none() {
    let t = lab();
    for domain in ["nospf.test", "missing.test"] {
        let obs = check(&t, domain).await;
        assert_eq!(obs.result, SpfResult::None, "{domain}");
        assert!(obs.spf_records.is_empty());
        assert!(obs.tree.is_none());
    }
    assert_eq!(
        check(&t, "nospf.test").await.txt_records,
        ["lab-site-verification=nospf"]
    );
    assert_eq!(
        check(&t, "missing.test").await.answers,
        ["TXT missing.test: NXDOMAIN"]
    );
}

#[tokio::test]
async fn two_records_are_a_permerror() {
    let obs = check(&lab(), "twospf.test").await;
    assert_eq!(perm(&obs).0, PermErrorKind::MultipleRecords);
    assert_eq!(obs.spf_records.len(), 2);
    assert!(obs.record.is_none());
}

#[tokio::test]
async fn all_qualifiers_are_reported() {
    let t = lab();
    let plus = check(&t, "spf-plusall.test").await;
    assert_eq!(plus.result, SpfResult::Valid);
    assert_eq!(plus.effective_all, Some(Qualifier::Pass));
    let soft = check(&t, "spf-softfail.test").await;
    assert_eq!(soft.effective_all, Some(Qualifier::SoftFail));
    let none = check(&t, "no-all.test").await;
    assert_eq!(none.result, SpfResult::Valid);
    assert_eq!(none.effective_all, None);
}

#[tokio::test]
async fn the_eleventh_lookup_of_the_lab_tree_is_a_permerror() {
    // include one (1): a mx a (4); include two (5): a mx mx (8);
    // include three (9): a (10), mx is the eleventh.
    let t = lab();
    let obs = check(&t, "spf-toomany.test").await;
    let (kind, reason) = perm(&obs);
    assert_eq!(kind, PermErrorKind::TooManyLookups);
    assert_eq!(
        reason,
        "`mx` at three.spf-toomany.test is DNS-querying term 11 (the limit is 10)"
    );
    assert_eq!(obs.lookups, 11);
    assert_eq!(obs.void_lookups, 0);
    // The eleventh term asked nothing.
    assert_eq!(
        obs.answers.last().unwrap(),
        "AAAA three.spf-toomany.test: no records (NOERROR)"
    );
    let tree = obs.tree.as_ref().unwrap();
    let children: Vec<&str> = tree.children.iter().map(|c| c.domain.as_str()).collect();
    assert_eq!(
        children,
        [
            "one.spf-toomany.test",
            "two.spf-toomany.test",
            "three.spf-toomany.test"
        ]
    );
    assert!(tree.error.is_none());
    assert!(tree.children[2]
        .error
        .as_deref()
        .unwrap()
        .contains("more than 10"));
}

#[tokio::test]
async fn the_eleventh_lookup_through_an_include_chain_is_a_permerror() {
    let t = lab();
    let obs = check(&t, "chain-toomany.test").await;
    let (kind, reason) = perm(&obs);
    assert_eq!(kind, PermErrorKind::TooManyLookups);
    assert!(reason.contains("at c10.chain-toomany.test"), "{reason}");
    assert_eq!(obs.lookups, 11);
    // The apex and ten includes were asked; the 11th include never was.
    assert_eq!(t.asked(), 11);
    assert!(
        !obs.answers.iter().any(|a| a.starts_with("TXT c11.")),
        "{:?}",
        obs.answers
    );
    // The tree runs ten deep and the error sits at its bottom only.
    let nodes = obs.tree.as_ref().unwrap().walk();
    assert_eq!(nodes.len(), 11);
    assert!(nodes[10].error.as_deref().unwrap().contains("more than 10"));
    assert!(nodes[..10].iter().all(|n| n.error.is_none()), "{nodes:#?}");
}

#[tokio::test]
async fn include_loop_is_a_permerror() {
    let obs = check(&lab(), "spf-loop.test").await;
    let (kind, reason) = perm(&obs);
    assert_eq!(kind, PermErrorKind::Loop);
    assert!(
        reason.contains("spf-loop.test → loop.spf-loop.test → spf-loop.test"),
        "{reason}"
    );
    assert_eq!(obs.lookups, 2);
    let obs = check(&lab(), "redirect-loop.test").await;
    assert_eq!(perm(&obs).0, PermErrorKind::Loop);
}

#[tokio::test]
async fn the_third_void_lookup_is_a_permerror() {
    let obs = check(&lab(), "spf-void.test").await;
    let (kind, reason) = perm(&obs);
    assert_eq!(kind, PermErrorKind::TooManyVoidLookups);
    assert!(reason.contains("`mx:gone3.spf-void.test`"), "{reason}");
    assert_eq!(obs.void_lookups, 3);
    assert_eq!(obs.lookups, 3);
}

#[tokio::test]
async fn nxdomain_includes_stop_at_the_first() {
    // An include of a name without SPF is a PermError at once (section
    // 5.2), so three NXDOMAIN includes stop at the first, one void lookup.
    let t = lab();
    let obs = check(&t, "void-includes.test").await;
    let (kind, reason) = perm(&obs);
    assert_eq!(kind, PermErrorKind::NoRecordAtTarget);
    assert!(
        reason.contains("nx1.void-includes.test") && reason.contains("NXDOMAIN"),
        "{reason}"
    );
    assert_eq!(obs.void_lookups, 1);
    assert_eq!(t.asked(), 2);
}

#[tokio::test]
async fn syntax_errors_are_permerrors() {
    let t = lab();
    let obs = check(&t, "spf-syntax.test").await;
    let (kind, reason) = perm(&obs);
    assert_eq!(kind, PermErrorKind::Syntax);
    assert!(reason.contains("`ip4:999.1.1.1`"), "{reason}");
    // The record is kept in the tree for the evidence, unparsed.
    assert!(obs.record.is_none());
    assert_eq!(
        obs.tree.as_ref().unwrap().record.as_deref(),
        Some("v=spf1 ip4:999.1.1.1 -all")
    );
    let obs = check(&t, "unknown.spf-syntax.test").await;
    let (kind, reason) = perm(&obs);
    assert_eq!(kind, PermErrorKind::Syntax);
    assert!(
        reason.contains("unknown mechanism `frobnicate`"),
        "{reason}"
    );
    // The walk never started: nothing before the bad term was looked up.
    assert_eq!(obs.lookups, 0);
    assert!(obs.networks.is_empty());
}

#[tokio::test]
async fn redirect_is_followed_and_gives_the_all() {
    let obs = check(&lab(), "spf-redirect.test").await;
    assert_eq!(obs.result, SpfResult::Valid);
    assert_eq!(obs.lookups, 1);
    assert_eq!(obs.effective_all, Some(Qualifier::Fail));
    assert_eq!(obs.networks[0].listed_by, "good.test");
    let tree = obs.tree.unwrap();
    assert_eq!(tree.all, None);
    assert_eq!(tree.children[0].via, SpfVia::Redirect);
    assert_eq!(tree.children[0].domain, "good.test");
    // With an `all`, the redirect is never followed or counted.
    let t = lab();
    let obs = check(&t, "redirect-ignored.test").await;
    assert_eq!(obs.result, SpfResult::Valid);
    assert_eq!(obs.lookups, 0);
    assert_eq!(t.asked(), 1);
}

#[tokio::test]
async fn include_target_without_spf_is_a_permerror() {
    let obs = check(&lab(), "include-nospf.test").await;
    let (kind, reason) = perm(&obs);
    assert_eq!(kind, PermErrorKind::NoRecordAtTarget);
    assert!(
        reason.contains("nospf.test has no SPF record (no v=spf1 record)"),
        "{reason}"
    );
    // The name exists with a TXT record: not a void lookup.
    assert_eq!(obs.void_lookups, 0);
    let obs = check(&lab(), "include-nxdomain.test").await;
    assert_eq!(perm(&obs).0, PermErrorKind::NoRecordAtTarget);
    assert_eq!(obs.void_lookups, 1);
}

#[tokio::test]
async fn servfail_and_timeouts_are_temperrors() {
    let t = lab();
    let obs = check(&t, "servfail-mid.test").await;
    match &obs.result {
        SpfResult::TempError { reason } => assert_eq!(reason, "TXT broken.test: SERVFAIL"),
        other => panic!("{other:?}"),
    }
    assert_eq!(obs.lookups, 1);
    // What was found before the failure is kept.
    assert_eq!(obs.networks.len(), 1);
    let tree = obs.tree.unwrap();
    assert!(tree.error.is_none());
    assert_eq!(
        tree.children[0].error.as_deref(),
        Some("TempError: TXT broken.test: SERVFAIL")
    );
    for domain in ["servfail.test", "timeout.test"] {
        let obs = check(&t, domain).await;
        assert!(
            matches!(obs.result, SpfResult::TempError { .. }),
            "{domain}: {:?}",
            obs.result
        );
        assert!(obs.tree.is_none());
    }
}

#[tokio::test]
async fn domain_macros_are_expanded_and_sender_macros_counted_only() {
    let t = lab();
    let obs = check(&t, "macro.test").await;
    assert_eq!(obs.result, SpfResult::Valid);
    assert_eq!(obs.lookups, 3);
    assert_eq!(obs.void_lookups, 0);
    assert_eq!(obs.not_evaluated.len(), 1);
    assert!(
        obs.not_evaluated[0].contains("%{i}"),
        "{:?}",
        obs.not_evaluated
    );
    let networks: Vec<String> = obs.networks.iter().map(ToString::to_string).collect();
    assert_eq!(networks, ["127.0.0.20/32", "::1/128"]);
    assert_eq!(obs.tree.unwrap().children[0].domain, "_spf.macro.test");
    // Apex TXT, the include's TXT, A and AAAA for %{o}; no question for %{i}.
    assert_eq!(t.asked(), 4);
}

#[tokio::test]
async fn mx_and_a_are_looked_up_and_mx_names_bounded() {
    let t = lab();
    let obs = check(&t, "mx-ok.test").await;
    assert_eq!(obs.result, SpfResult::Valid);
    assert_eq!(obs.lookups, 2);
    // `a` found an AAAA record only: not void.
    assert_eq!(obs.void_lookups, 0);
    assert!(obs
        .answers
        .contains(&"MX mx-ok.test: 10 mail.mx-ok.test".to_string()));
    let obs = check(&t, "mx-many.test").await;
    let (kind, reason) = perm(&obs);
    assert_eq!(kind, PermErrorKind::TooManyMxNames);
    assert!(reason.contains("11 MX names"), "{reason}");
}

#[tokio::test]
async fn the_same_include_twice_is_counted_twice_not_a_loop() {
    let obs = check(&lab(), "diamond.test").await;
    assert_eq!(obs.result, SpfResult::Valid);
    assert_eq!(obs.lookups, 2);
    assert_eq!(obs.networks.len(), 1);
    assert_eq!(obs.tree.unwrap().children.len(), 2);
}

#[tokio::test]
async fn terms_after_all_are_not_walked() {
    let t = lab();
    let obs = check(&t, "after-all.test").await;
    assert_eq!(obs.result, SpfResult::Valid);
    assert_eq!(obs.lookups, 0);
    assert_eq!(t.asked(), 1);
}

#[tokio::test]
async fn fcrdns_confirms_good_test() {
    let t = lab();
    let obs = check(&t, "good.test").await;
    let checks = check_ptrs(&t, &obs.networks).await;
    assert_eq!(checks.len(), 1);
    let c = &checks[0];
    assert_eq!(c.address, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)));
    assert_eq!(c.ptr_names, ["outbound.good.test"]);
    assert!(c.forward_confirmed);
    assert_eq!(c.lookup_error, None);
    assert_eq!(
        c.answers,
        [
            "PTR 10.2.0.192.in-addr.arpa: outbound.good.test",
            "A outbound.good.test: 192.0.2.10"
        ]
    );
}

#[tokio::test]
async fn fcrdns_fails_without_ptr_or_without_the_way_back() {
    let t = Table::new()
        .txt(
            "fc.test",
            "v=spf1 ip4:127.0.0.13 ip4:127.0.0.14 ip4:127.0.0.15 ip4:127.0.1.0/24 ip4:127.0.0.13/32 -all",
        )
        .with("13.0.0.127.in-addr.arpa", ptr("Mail.Elsewhere.test."))
        .with("mail.elsewhere.test", a("127.0.0.99"))
        .with("15.0.0.127.in-addr.arpa", ptr("mail.broken.test"))
        .failing("mail.broken.test", RecordType::A, Failure::Timeout);
    let obs = check(&t, "fc.test").await;
    assert_eq!(obs.networks.len(), 4);
    let checks = check_ptrs(&t, &obs.networks).await;
    // The /24 is not checked; 127.0.0.13 once.
    assert_eq!(checks.len(), 3);
    assert_eq!(checks[0].ptr_names, ["mail.elsewhere.test"]);
    assert!(!checks[0].forward_confirmed);
    assert_eq!(checks[0].lookup_error, None);
    assert!(checks[1].ptr_names.is_empty());
    assert!(!checks[1].forward_confirmed);
    assert_eq!(checks[1].answers, ["PTR 14.0.0.127.in-addr.arpa: NXDOMAIN"]);
    assert!(!checks[2].forward_confirmed);
    assert_eq!(
        checks[2].lookup_error.as_deref(),
        Some("A mail.broken.test: timed out")
    );
}

#[tokio::test]
async fn fcrdns_checks_at_most_its_bound() {
    let record = (1..=20)
        .map(|i| format!("ip4:127.0.2.{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let t = Table::new().txt("many.test", &format!("v=spf1 {record} -all"));
    let obs = check(&t, "many.test").await;
    let checks = check_ptrs(&t, &obs.networks).await;
    assert_eq!(checks.len(), MAX_PTR_CHECKS);
}

#[test]
fn the_walk_is_send() {
    // The scan runs checks on a multi-threaded runtime.
    fn assert_send<T: Send>(_: &T) {}
    let t = Table::new();
    let fut = check(&t, "good.test");
    assert_send(&fut);
    let networks = [];
    assert_send(&check_ptrs(&t, &networks));
}

proptest::proptest! {
    #[test]
    fn hostile_records_never_panic(body in "[ -~\t]{0,80}") {
        let text = format!("v=spf1 {body}");
        let _ = parse(&text);
        let t = Table::new().txt("hostile.test", &text);
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let obs = rt.block_on(check(&t, "hostile.test"));
        proptest::prop_assert!(obs.lookups <= MAX_LOOKUPS + 1);
        proptest::prop_assert!(t.asked() <= 1 + 2 * MAX_LOOKUPS as usize);
    }

    #[test]
    fn spf_like_terms_never_panic(
        terms in proptest::collection::vec(
            "[+~?-]?(a|mx|ptr|include|exists|ip4|ip6|all|redirect|exp)[:=/]?[%{}a-z0-9./:_-]{0,20}",
            0..12,
        )
    ) {
        let text = format!("v=spf1 {}", terms.join(" "));
        let t = Table::new().txt("hostile.test", &text);
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let obs = rt.block_on(check(&t, "hostile.test"));
        proptest::prop_assert!(obs.lookups <= MAX_LOOKUPS + 1);
        proptest::prop_assert!(t.asked() <= 1 + 2 * MAX_LOOKUPS as usize);
    }
}

#[tokio::test]
async fn lab_domains_give_the_findings_the_lab_plants_them_for() {
    use trustwatch_rules::evaluate::mail::spf::spf_findings;
    use trustwatch_rules::{Catalogue, Status};
    use Status::{Error, Fail, NotApplicable as Na, Pass};

    let cat = Catalogue::embedded().unwrap();
    let t = lab();
    // (domain, DMARC p as planted, MAIL-001, MAIL-002, MAIL-012)
    for (domain, dmarc, m1, m2, m12) in [
        ("good.test", Some("reject"), Pass, Pass, Pass),
        ("nospf.test", Some("reject"), Fail, Na, Na),
        ("twospf.test", Some("reject"), Fail, Na, Na),
        ("spf-plusall.test", Some("reject"), Pass, Fail, Na),
        ("spf-softfail.test", Some("none"), Pass, Fail, Pass),
        ("spf-toomany.test", None, Fail, Na, Na),
        ("spf-loop.test", None, Fail, Na, Na),
        ("spf-void.test", None, Fail, Na, Na),
        ("spf-syntax.test", None, Fail, Na, Na),
        ("unknown.spf-syntax.test", None, Fail, Na, Na),
        ("spf-redirect.test", None, Pass, Pass, Pass),
        ("nonsend-good.test", Some("reject"), Pass, Pass, Na),
        // 127.0.0.30, listed before the failure, has no PTR.
        ("servfail-mid.test", None, Error, Error, Fail),
    ] {
        let obs = check(&t, domain).await;
        let ptrs = check_ptrs(&t, &obs.networks).await;
        let findings = spf_findings(&cat, &obs, dmarc, Some(&ptrs));
        let got: Vec<Status> = findings.iter().map(|f| f.status).collect();
        assert_eq!(got, [m1, m2, m12], "{domain}: {findings:#?}");
    }
}
