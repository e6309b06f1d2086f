use super::*;
use crate::observe::{
    AxfrProbe, CaaObservation, CaaRecord, ChainEnd, CnameChain, DanglingObservation,
    DnssecObservation, NameServerObservation, RecursionProbe, Validation, ValidationStep,
};

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::embedded().unwrap())
}

fn server(recursion: RecursionProbe, axfr: AxfrProbe) -> NameServerProbe {
    NameServerProbe {
        name: "ns.example.test".into(),
        address: "127.0.0.1:53".into(),
        recursion,
        axfr,
    }
}

fn refused() -> RecursionProbe {
    RecursionProbe::Answered {
        asked: "www.example.com".into(),
        rcode: "REFUSED".into(),
        recursion_available: false,
        answers: 0,
    }
}

fn obs() -> DnsHealthObservation {
    DnsHealthObservation {
        domain: "example.test".into(),
        resolver: "table".into(),
        dnssec: DnssecObservation::Answered {
            server: "127.0.0.1:53".into(),
            rcode: "NOERROR".into(),
            dnskeys: 0,
            rrsigs: 0,
            validation: Validation::NotAttempted {
                reason: "the zone publishes no DNSKEY".into(),
            },
        },
        caa: CaaObservation {
            asked: vec!["CAA example.test: 0 issue \"letsencrypt.org\"".into()],
            found_at: Some("example.test".into()),
            records: vec![CaaRecord {
                critical: false,
                tag: "issue".into(),
                value: "letsencrypt.org".into(),
            }],
            failure: None,
        },
        dangling: DanglingObservation {
            names: vec![CnameChain {
                name: "www.example.test".into(),
                chain: vec!["host.example.test".into()],
                end: ChainEnd::Resolves,
            }],
        },
        servers: NameServerObservation {
            answer: "NS example.test: ns.example.test".into(),
            outcome: NameServerOutcome::Servers {
                servers: vec![server(
                    refused(),
                    AxfrProbe::Refused {
                        reason: "REFUSED".into(),
                    },
                )],
                unresolved: vec![],
                skipped: 0,
            },
        },
    }
}

fn status(obs: &DnsHealthObservation, rule: &str) -> (Status, String) {
    let f = findings(catalogue(), obs)
        .into_iter()
        .find(|f| f.rule_id == rule)
        .unwrap();
    (f.status, f.summary)
}

#[test]
fn one_finding_per_rule_in_catalogue_order() {
    let ids: Vec<String> = findings(catalogue(), &obs())
        .into_iter()
        .map(|f| f.rule_id)
        .collect();
    assert_eq!(ids, DNS_RULES);
}

fn step(proof: &str) -> ValidationStep {
    ValidationStep {
        asked: "SOA example.test".into(),
        proof: proof.into(),
        detail: String::new(),
    }
}

#[test]
fn dnssec_unsigned_fails_and_signed_is_judged_by_validation() {
    let o = obs();
    assert_eq!(status(&o, "DNS-001").0, Status::Fail);
    let signed = |validation: Validation, rrsigs: usize| {
        let mut o = obs();
        o.dnssec = DnssecObservation::Answered {
            server: "127.0.0.1:53".into(),
            rcode: "NOERROR".into(),
            dnskeys: 2,
            rrsigs,
            validation,
        };
        status(&o, "DNS-001").0
    };
    let secure = Validation::from_steps(vec![step("secure"), step("absent")]);
    assert!(matches!(secure, Validation::Secure { .. }));
    assert_eq!(signed(secure.clone(), 1), Status::Pass);
    assert_eq!(signed(secure, 0), Status::Fail);
    let bogus = Validation::from_steps(vec![step("secure"), step("bogus"), step("error")]);
    assert_eq!(signed(bogus, 1), Status::Fail);
    let insecure = Validation::from_steps(vec![step("insecure"), step("secure")]);
    assert!(matches!(insecure, Validation::Insecure { .. }));
    assert_eq!(signed(insecure, 1), Status::Fail);
    let failed = Validation::from_steps(vec![step("secure"), step("error")]);
    assert_eq!(signed(failed, 1), Status::Error);
    let none = Validation::NotAttempted { reason: "x".into() };
    assert_eq!(signed(none, 1), Status::Error);
}

#[test]
fn caa_passes_with_an_issuer_fails_without_and_errors_on_a_failed_walk() {
    assert_eq!(status(&obs(), "DNS-002").0, Status::Pass);
    let mut o = obs();
    o.caa.records[0].tag = "iodef".into();
    assert_eq!(status(&o, "DNS-002").0, Status::Fail);
    o.caa.found_at = None;
    o.caa.records.clear();
    assert_eq!(status(&o, "DNS-002").0, Status::Fail);
    o.caa.failure = Some("CAA example.test: SERVFAIL".into());
    assert_eq!(status(&o, "DNS-002").0, Status::Error);
}

#[test]
fn dangling_fails_on_nxdomain_or_claimable_and_lists_unknowns() {
    assert_eq!(status(&obs(), "DNS-003").0, Status::Pass);
    let mut o = obs();
    o.dangling.names.push(CnameChain {
        name: "app.example.test".into(),
        chain: vec!["x.azurewebsites.net".into()],
        end: ChainEnd::LookupFailed {
            at: "x.azurewebsites.net".into(),
            reason: "REFUSED".into(),
        },
    });
    assert_eq!(status(&o, "DNS-003").0, Status::Error);
    o.dangling.names.push(CnameChain {
        name: "old.example.test".into(),
        chain: vec!["gone.example.test".into()],
        end: ChainEnd::NxDomain,
    });
    let (s, summary) = status(&o, "DNS-003");
    assert_eq!(s, Status::Fail);
    assert!(summary.contains("old.example.test -> gone.example.test (NXDOMAIN)"));
    assert!(
        summary.contains("could not check: app.example.test"),
        "{summary}"
    );
}

#[test]
fn servers_open_recursion_and_axfr_fail_refusals_pass_silence_errors() {
    assert_eq!(status(&obs(), "DNS-004").0, Status::Pass);
    assert_eq!(status(&obs(), "DNS-005").0, Status::Pass);
    let mut o = obs();
    o.servers.outcome = NameServerOutcome::Servers {
        servers: vec![server(
            RecursionProbe::Answered {
                asked: "www.example.com".into(),
                rcode: "NOERROR".into(),
                recursion_available: true,
                answers: 1,
            },
            AxfrProbe::Allowed {
                records: 7,
                sample: vec!["intranet.example.test".into()],
            },
        )],
        unresolved: vec![],
        skipped: 0,
    };
    assert_eq!(status(&o, "DNS-004").0, Status::Fail);
    assert_eq!(status(&o, "DNS-005").0, Status::Fail);
    o.servers.outcome = NameServerOutcome::Servers {
        servers: vec![server(
            RecursionProbe::NoAnswer {
                reason: "timed out".into(),
            },
            AxfrProbe::NoAnswer {
                reason: "timed out".into(),
            },
        )],
        unresolved: vec![],
        skipped: 0,
    };
    assert_eq!(status(&o, "DNS-004").0, Status::Error);
    assert_eq!(status(&o, "DNS-005").0, Status::Error);
    o.servers.outcome = NameServerOutcome::NotApex;
    assert_eq!(status(&o, "DNS-004").0, Status::NotApplicable);
    o.servers.outcome = NameServerOutcome::LookupFailed {
        reason: "SERVFAIL".into(),
    };
    assert_eq!(status(&o, "DNS-005").0, Status::Error);
}
