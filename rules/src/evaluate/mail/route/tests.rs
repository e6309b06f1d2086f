use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::observe::mailroute::MxObservation;
use crate::observe::{
    AccreditedLookup, CertificateSummary, KeyAlgorithm, MailService, MtaStsObservation, MxCoverage,
    NegotiatedTls, PolicyFetch, PublicKeySummary, SmtpSession, StsMode, StsPolicy, StsRecord,
    TlsVersion,
};

const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::embedded().unwrap())
}

fn chain(name: &str, matches: bool, trusted: bool, days_left: i64) -> ChainObservation {
    ChainObservation {
        certificates: vec![CertificateSummary {
            subject: format!("CN={name}"),
            issuer: "CN=Test CA".into(),
            serial: "01".into(),
            not_before: NOW - Duration::days(30),
            not_after: NOW + Duration::days(days_left),
            subject_alt_names: vec![name.into()],
            public_key: PublicKeySummary {
                algorithm: KeyAlgorithm::Ec,
                bits: 256,
                curve: Some("P-256".into()),
            },
            signature_algorithm: "ecdsa-with-SHA256".into(),
            self_signed: false,
            sha256_fingerprint: "00".into(),
        }],
        trust: if trusted {
            TrustVerdict::Trusted { public: false }
        } else {
            TrustVerdict::Untrusted {
                reason: "unknown issuer".into(),
            }
        },
        checked_name: name.into(),
        name_matches: matches,
    }
}

fn good_session(name: &str) -> SmtpSession {
    SmtpSession {
        address: "127.0.0.1:25".into(),
        connected: true,
        greeted: true,
        ehlo: true,
        starttls_offered: true,
        starttls_accepted: true,
        tls: Some(NegotiatedTls {
            version: TlsVersion::Tls13,
            cipher_suite: "TLS13_AES_256_GCM_SHA384".into(),
        }),
        chain: Some(chain(name, true, true, 60)),
        error: None,
    }
}

fn plain_session() -> SmtpSession {
    SmtpSession {
        address: "127.0.0.2:25".into(),
        connected: true,
        greeted: true,
        ehlo: true,
        starttls_offered: false,
        starttls_accepted: false,
        tls: None,
        chain: None,
        error: Some("smtp server at 127.0.0.2:25 did not offer STARTTLS".into()),
    }
}

fn silent_session() -> SmtpSession {
    SmtpSession {
        address: "127.0.0.3:25".into(),
        connected: false,
        greeted: false,
        ehlo: false,
        starttls_offered: false,
        starttls_accepted: false,
        tls: None,
        chain: None,
        error: Some("connection refused by 127.0.0.3:25".into()),
    }
}

fn host(name: &str, service: MailService, sessions: Vec<SmtpSession>) -> MxHost {
    MxHost {
        name: name.into(),
        preference: 10,
        service,
        addresses: sessions
            .iter()
            .map(|s| s.address.split(':').next().unwrap().to_owned())
            .collect(),
        resolve_problems: vec![],
        sessions,
    }
}

fn enforcing_sts(mx: &[&str]) -> MtaStsObservation {
    MtaStsObservation {
        record: StsRecord {
            answer: "TXT _mta-sts.example.test: \"v=STSv1; id=1\"".into(),
            lookup_error: None,
            records: vec!["v=STSv1; id=1".into()],
            id: Some("1".into()),
            problem: None,
        },
        fetch: Some(PolicyFetch {
            url: "https://mta-sts.example.test/.well-known/mta-sts.txt".into(),
            address: Some("127.0.0.9:443".into()),
            chain: Some(chain("mta-sts.example.test", true, true, 60)),
            status: Some(200),
            content_type: Some("text/plain; charset=utf-8".into()),
            location: None,
            body_bytes: 80,
            error: None,
        }),
        policy: Some(StsPolicy {
            version: Some("STSv1".into()),
            mode: Some(StsMode::Enforce),
            mx: vec!["*.example.test".into()],
            max_age: Some(604800),
            problems: vec![],
        }),
        coverage: mx
            .iter()
            .map(|m| MxCoverage {
                mx: (*m).into(),
                pattern: Some("*.example.test".into()),
            })
            .collect(),
    }
}

fn obs(hosts: Vec<MxHost>) -> MailRouteObservation {
    let names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
    let mta_sts = enforcing_sts(&names);
    MailRouteObservation {
        domain: "example.test".into(),
        resolver: "table".into(),
        smtp_port: 25,
        mx: MxObservation {
            answer: "MX example.test: 10 mx1.example.test".into(),
            outcome: MxOutcome::Hosts { hosts, skipped: 0 },
        },
        mta_sts,
        accredited: None,
    }
}

fn good() -> MailRouteObservation {
    obs(vec![host(
        "mx1.example.test",
        MailService::Other,
        vec![good_session("mx1.example.test")],
    )])
}

fn finding(o: &MailRouteObservation, id: &str) -> Finding {
    findings(catalogue(), o, NOW)
        .into_iter()
        .find(|f| f.rule_id == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn one_finding_per_rule_in_catalogue_order_targeting_the_domain() {
    let all = findings(catalogue(), &good(), NOW);
    let ids: Vec<&str> = all.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, ROUTE_RULES);
    assert!(all.iter().all(|f| f.target == "example.test"));
    let statuses: Vec<Status> = all.iter().map(|f| f.status).collect();
    // MAIL-013 fails: a trust's own MX with no list.
    assert_eq!(
        statuses,
        [Status::Pass, Status::Pass, Status::Pass, Status::Fail]
    );
}

#[test]
fn mail_007_fails_on_an_mx_without_starttls_and_names_it() {
    let o = obs(vec![
        host(
            "mx1.example.test",
            MailService::Other,
            vec![good_session("mx1.example.test")],
        ),
        host(
            "mx2.example.test",
            MailService::Other,
            vec![plain_session()],
        ),
    ]);
    let f = finding(&o, "MAIL-007");
    assert_eq!(f.status, Status::Fail);
    assert!(f.summary.contains("mx2.example.test"), "{}", f.summary);
    assert!(
        f.summary.contains("STARTTLS is not offered"),
        "{}",
        f.summary
    );
    assert!(!f.summary.contains("mx1"), "{}", f.summary);
}

#[test]
fn mail_007_fails_when_the_handshake_after_starttls_fails() {
    let mut s = good_session("mx1.example.test");
    s.tls = None;
    s.chain = None;
    s.error = Some("TLS handshake failed: received fatal alert: ProtocolVersion".into());
    let o = obs(vec![host("mx1.example.test", MailService::Other, vec![s])]);
    let f = finding(&o, "MAIL-007");
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.summary.contains("handshake after STARTTLS failed"),
        "{}",
        f.summary
    );
    // MAIL-008 fails too: no TLS 1.2+ was negotiated.
    let f = finding(&o, "MAIL-008");
    assert_eq!(f.status, Status::Fail);
    assert!(f.summary.contains("ProtocolVersion"), "{}", f.summary);
}

#[test]
fn mail_007_is_an_error_when_no_mx_answers_and_passes_over_a_silent_one() {
    let o = obs(vec![host(
        "mx1.example.test",
        MailService::Other,
        vec![silent_session()],
    )]);
    let f = finding(&o, "MAIL-007");
    assert_eq!(f.status, Status::Error);
    assert_eq!(finding(&o, "MAIL-008").status, Status::Error);
    let o = obs(vec![
        host(
            "mx1.example.test",
            MailService::Other,
            vec![good_session("mx1.example.test")],
        ),
        host(
            "mx2.example.test",
            MailService::Other,
            vec![silent_session()],
        ),
    ]);
    let f = finding(&o, "MAIL-007");
    assert_eq!(f.status, Status::Pass);
    assert!(f
        .summary
        .contains("not assessed (no answer): mx2.example.test"));
    assert_eq!(f.evidence.get("unanswered").unwrap()[0], "mx2.example.test");
}

#[test]
fn null_and_absent_mx_are_not_applicable_and_a_failed_lookup_is_an_error() {
    for outcome in [MxOutcome::Null, MxOutcome::Absent] {
        let mut o = good();
        o.mx.outcome = outcome.clone();
        for id in ROUTE_RULES {
            assert_eq!(
                finding(&o, id).status,
                Status::NotApplicable,
                "{id} {outcome:?}"
            );
        }
    }
    let mut o = good();
    o.mx.outcome = MxOutcome::LookupFailed {
        reason: "SERVFAIL".into(),
    };
    for id in ROUTE_RULES {
        let f = finding(&o, id);
        assert_eq!(f.status, Status::Error, "{id}");
        assert!(f.summary.contains("SERVFAIL"), "{id}: {}", f.summary);
    }
    // ...unless the list says the domain is accredited.
    o.accredited = Some(AccreditedLookup {
        source: "/etc/trustwatch/accredited.txt".into(),
        entries: 3,
        listed: true,
        problems: vec![],
    });
    assert_eq!(finding(&o, "MAIL-013").status, Status::Pass);
}

#[test]
fn mail_008_fails_on_each_certificate_fault_and_old_tls() {
    type Spoil = fn(&mut SmtpSession);
    let cases: [(Spoil, &str); 5] = [
        (
            |s| s.chain = Some(chain("mx1.example.test", true, false, 60)),
            "not trusted: unknown issuer",
        ),
        (
            |s| s.chain = Some(chain("other.test", false, true, 60)),
            "not valid for other.test",
        ),
        (
            |s| s.chain = Some(chain("mx1.example.test", true, true, -2)),
            "expired on",
        ),
        (
            |s| s.tls.as_mut().unwrap().version = TlsVersion::Tls11,
            "negotiated TLSv1.1",
        ),
        (|s| s.chain = None, "no certificate was served"),
    ];
    for (spoil, expect) in cases {
        let mut s = good_session("mx1.example.test");
        spoil(&mut s);
        let o = obs(vec![host("mx1.example.test", MailService::Other, vec![s])]);
        let f = finding(&o, "MAIL-008");
        assert_eq!(f.status, Status::Fail, "{expect}");
        assert!(f.summary.contains(expect), "{expect}: {}", f.summary);
        assert!(f.summary.contains("mx1.example.test"), "{}", f.summary);
    }
}

#[test]
fn mail_008_is_not_applicable_when_no_mx_accepts_starttls() {
    let o = obs(vec![host(
        "mx2.example.test",
        MailService::Other,
        vec![plain_session()],
    )]);
    assert_eq!(finding(&o, "MAIL-008").status, Status::NotApplicable);
    assert_eq!(finding(&o, "MAIL-007").status, Status::Fail);
}

#[test]
fn mail_008_evidence_lists_each_mx_with_version_and_expiry() {
    let f = finding(&good(), "MAIL-008");
    assert_eq!(f.status, Status::Pass);
    let mx = &f.evidence.get("mx").unwrap()[0];
    assert_eq!(mx["name"], "mx1.example.test");
    assert_eq!(mx["sessions"][0]["tls_version"], "TLSv1.3");
    assert_eq!(mx["sessions"][0]["certificate"]["days_left"], 60);
    assert_eq!(mx["sessions"][0]["certificate"]["name_matches"], true);
}

#[test]
fn mail_009_passes_with_max_age_and_fails_for_each_reason() {
    let f = finding(&good(), "MAIL-009");
    assert_eq!(f.status, Status::Pass, "{}", f.summary);
    assert_eq!(f.evidence.get("max_age").unwrap(), 604800);

    type Spoil = fn(&mut MtaStsObservation);
    let cases: [(Spoil, &str); 8] = [
        (
            |s| {
                s.record.records.clear();
                s.record.id = None;
                s.record.problem = Some("no v=STSv1 TXT record at _mta-sts.example.test".into());
                s.fetch = None;
                s.policy = None;
            },
            "no v=STSv1 TXT record",
        ),
        (
            |s| s.policy.as_mut().unwrap().mode = Some(StsMode::Testing),
            "mode is testing, not enforce",
        ),
        (
            |s| s.coverage[0].pattern = None,
            "no mx pattern covers mx1.example.test",
        ),
        (
            |s| {
                s.fetch.as_mut().unwrap().chain =
                    Some(chain("www.example.test", false, true, 60))
            },
            "policy host certificate is not valid for www.example.test",
        ),
        (
            |s| {
                let f = s.fetch.as_mut().unwrap();
                f.status = Some(301);
                f.location = Some("https://elsewhere.test/".into());
            },
            "a redirect to https://elsewhere.test/ (not followed",
        ),
        (
            |s| s.fetch.as_mut().unwrap().content_type = Some("text/html".into()),
            "served as text/html, not text/plain",
        ),
        (
            |s| {
                s.fetch.as_mut().unwrap().error = Some("connection refused".into());
                s.fetch.as_mut().unwrap().status = None;
                s.policy = None;
            },
            "could not be fetched from https://mta-sts.example.test/.well-known/mta-sts.txt: connection refused",
        ),
        (
            |s| {
                let p = s.policy.as_mut().unwrap();
                p.max_age = None;
                p.problems.push("max_age is missing".into());
            },
            "policy: max_age is missing",
        ),
    ];
    for (spoil, expect) in cases {
        let mut o = good();
        spoil(&mut o.mta_sts);
        let f = finding(&o, "MAIL-009");
        assert_eq!(f.status, Status::Fail, "{expect}");
        assert!(f.summary.contains(expect), "{expect}: {}", f.summary);
    }
}

#[test]
fn mail_009_is_an_error_when_the_txt_lookup_fails() {
    let mut o = good();
    o.mta_sts.record.lookup_error = Some("SERVFAIL".into());
    let f = finding(&o, "MAIL-009");
    assert_eq!(f.status, Status::Error);
    assert!(f.summary.contains("SERVFAIL"));
}

#[test]
fn mail_013_nhsmail_passes_m365_alone_fails_with_the_note() {
    let o = obs(vec![host(
        "mx1.nhs.net",
        MailService::Nhsmail,
        vec![good_session("mx1.nhs.net")],
    )]);
    assert_eq!(finding(&o, "MAIL-013").status, Status::Pass);

    let mut o = obs(vec![host(
        "example-test.mail.protection.outlook.com",
        MailService::Microsoft365,
        vec![good_session("example-test.mail.protection.outlook.com")],
    )]);
    let f = finding(&o, "MAIL-013");
    assert_eq!(f.status, Status::Fail);
    let notes = f.evidence.get("notes").unwrap();
    assert_eq!(notes[0], dcb1596::M365_NOTE);
    assert_eq!(notes[1], "no accredited-domain list was given to the agent");

    o.accredited = Some(AccreditedLookup {
        source: "accredited.txt".into(),
        entries: 1,
        listed: false,
        problems: vec![],
    });
    let f = finding(&o, "MAIL-013");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(
        f.evidence.get("notes").unwrap().as_array().unwrap().len(),
        1
    );
    o.accredited.as_mut().unwrap().listed = true;
    let f = finding(&o, "MAIL-013");
    assert_eq!(f.status, Status::Pass);
    assert!(f.summary.contains("accredited-domain list"));
}

#[test]
fn mail_013_mixed_nhsmail_and_own_mx_fails() {
    let o = obs(vec![
        host(
            "mx1.nhs.net",
            MailService::Nhsmail,
            vec![good_session("mx1.nhs.net")],
        ),
        host(
            "mx1.example.test",
            MailService::Other,
            vec![good_session("mx1.example.test")],
        ),
    ]);
    let f = finding(&o, "MAIL-013");
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.summary.contains("mx1.example.test (other)"),
        "{}",
        f.summary
    );
}

#[test]
fn observation_round_trips_through_json() {
    let o = good();
    let text = serde_json::to_string(&o).unwrap();
    let back: MailRouteObservation = serde_json::from_str(&text).unwrap();
    assert_eq!(back, o);
}
