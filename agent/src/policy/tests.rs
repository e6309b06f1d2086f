use std::time::Duration;

use hyper::body::Bytes;
use hyper::StatusCode;

use super::*;
use crate::discover::{DiscoveryInput, DiscoveryPlan, ScopeEntry};
use crate::domains::{DomainInput, DomainPlan};
use crate::https::Response;
use crate::probe::http::HttpCheck;
use crate::probe::tls::{Anchors, TlsProbeConfig};
use crate::starttls::Starttls;
use crate::target::Target;

fn tls(target: &str) -> TlsProbeConfig {
    TlsProbeConfig {
        target: Target::parse(target).unwrap(),
        sni: None,
        anchors: Anchors::default(),
        starttls: None,
        http: None,
    }
}

fn discovery(hosts: &[&str], exclude: &[&str]) -> DiscoveryPlan {
    DiscoveryPlan::from_input(DiscoveryInput {
        hosts: hosts.iter().map(|s| s.to_string()).collect(),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        ..DiscoveryInput::default()
    })
    .unwrap()
}

fn domains(names: &[&str]) -> DomainPlan {
    DomainPlan::from_input(DomainInput {
        domains: names.iter().map(|s| s.to_string()).collect(),
        ..DomainInput::default()
    })
    .unwrap()
}

fn local() -> Plan {
    Plan {
        tls: vec![
            tls("10.1.2.3:443"),
            tls("10.2.0.9:8443"),
            tls("pacs.example:443"),
            tls("web.example:443"),
        ],
        discovery: vec![
            discovery(&["10.1.0.0/16"], &["10.1.9.0/24"]),
            discovery(&["10.5.5.0/24", "dicom.example"], &[]),
        ],
        domains: Some(domains(&["trust.example", "old.example"])),
        interval: Duration::from_secs(3600),
        disabled_rules: RuleFilter::default(),
    }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn targets(plan: &Plan) -> Vec<&str> {
    plan.tls.iter().map(|t| t.target.as_str()).collect()
}

fn entries(list: &[ScopeEntry]) -> Vec<String> {
    list.iter()
        .map(|e| match e {
            ScopeEntry::Net(n) => n.clone(),
            ScopeEntry::Name(h) => h.to_string(),
        })
        .collect()
}

#[test]
fn an_empty_policy_changes_nothing() {
    let local = local();
    let (plan, notes) = apply(&local, &Policy::default());
    assert_eq!(targets(&plan), targets(&local));
    assert_eq!(plan.discovery.len(), 2);
    assert_eq!(
        plan.domains.unwrap().domains,
        ["trust.example", "old.example"]
    );
    assert_eq!(plan.interval, Duration::from_secs(3600));
    assert!(plan.disabled_rules.is_empty());
    assert!(notes.is_empty(), "{notes:?}");
}

#[test]
fn the_interval_is_overridden_within_the_local_bounds() {
    let policy = Policy {
        interval_secs: Some(600),
        ..Policy::default()
    };
    assert_eq!(
        apply(&local(), &policy).0.interval,
        Duration::from_secs(600)
    );
    let policy = Policy {
        interval_secs: Some(1),
        ..Policy::default()
    };
    let (plan, notes) = apply(&local(), &policy);
    assert_eq!(plan.interval, Duration::from_secs(3600));
    assert!(matches!(
        &notes[..],
        [Note::Invalid {
            key: "interval_secs",
            ..
        }]
    ));
}

#[test]
fn scope_narrows_tls_targets_and_names_must_be_listed() {
    let policy = Policy {
        scope: strings(&["10.1.0.0/16", "PACS.example."]),
        ..Policy::default()
    };
    let (plan, notes) = apply(&local(), &policy);
    assert_eq!(targets(&plan), ["10.1.2.3:443", "pacs.example:443"]);
    let skipped = notes
        .iter()
        .find(|n| matches!(n, Note::Skipped { why, .. } if why.contains("scope")))
        .unwrap();
    assert!(!skipped.is_warning());
    // One line names every target left out.
    let text = skipped.to_string();
    assert!(
        text.contains("10.2.0.9:8443") && text.contains("web.example:443"),
        "{text}"
    );
}

#[test]
fn scope_narrows_discovery_to_the_overlap() {
    let policy = Policy {
        scope: strings(&["10.1.4.0/24", "10.5.0.0/16", "10.9.0.0/16"]),
        ..Policy::default()
    };
    let (plan, _) = apply(&local(), &policy);
    assert_eq!(plan.discovery.len(), 2);
    // A /16 range with a /24 scope inside it scans the /24 only.
    assert_eq!(entries(&plan.discovery[0].include), ["10.1.4.0/24"]);
    // Its own exclusions stay.
    assert_eq!(entries(&plan.discovery[0].exclude), ["10.1.9.0/24"]);
    // A range inside the scope stays whole; a name not in the scope goes.
    assert_eq!(entries(&plan.discovery[1].include), ["10.5.5.0/24"]);

    let policy = Policy {
        scope: strings(&["192.168.0.0/16"]),
        ..Policy::default()
    };
    let (plan, notes) = apply(&local(), &policy);
    assert!(plan.discovery.is_empty());
    assert!(
        notes
            .iter()
            .any(|n| n.to_string().contains("discovery of 10.1.0.0/16")),
        "{notes:?}"
    );
}

#[test]
fn a_scope_of_only_invalid_entries_matches_nothing() {
    let policy = Policy {
        scope: strings(&["not a host!"]),
        ..Policy::default()
    };
    let (plan, notes) = apply(&local(), &policy);
    assert!(plan.tls.is_empty());
    assert!(plan.discovery.is_empty());
    // Domain checks are not host targets.
    assert!(plan.domains.is_some());
    assert!(notes
        .iter()
        .any(|n| n.is_warning() && n.to_string().contains("\"not a host!\"")));
}

#[test]
fn exclude_removes_targets_ranges_and_domains() {
    let policy = Policy {
        exclude: strings(&["10.1.2.0/24", "pacs.example", "old.example", "10.5.5.7"]),
        ..Policy::default()
    };
    let (plan, notes) = apply(&local(), &policy);
    assert_eq!(targets(&plan), ["10.2.0.9:8443", "web.example:443"]);
    assert_eq!(plan.domains.as_ref().unwrap().domains, ["trust.example"]);
    // Discovery keeps its ranges and gains the exclusions.
    let excl = entries(&plan.discovery[1].exclude);
    assert!(excl.contains(&"10.5.5.7/32".to_owned()), "{excl:?}");
    assert!(excl.contains(&"pacs.example".to_owned()), "{excl:?}");
    assert!(notes
        .iter()
        .any(|n| matches!(n, Note::Skipped { why, targets } if why.contains("excluded") && targets.len() == 3)));
}

#[test]
fn policy_targets_and_domains_are_added_validated_and_checked_against_local_exclusions() {
    let policy = Policy {
        tls_targets: strings(&[
            "mail.example:25",
            "10.1.9.4:443",
            "::1:443",
            "10.1.2.3:443",
            "new.example:443",
        ]),
        domains: strings(&["Extra.Example.", "trust.example", "no_dot"]),
        ..Policy::default()
    };
    let (plan, notes) = apply(&local(), &policy);
    let t = targets(&plan);
    // Added after the local ones, each once; inside a local exclusion
    // (10.1.9.0/24 of the first discovery range) never scanned.
    assert_eq!(
        t,
        [
            "10.1.2.3:443",
            "10.2.0.9:8443",
            "pacs.example:443",
            "web.example:443",
            "mail.example:25",
            "new.example:443"
        ]
    );
    // Validated like a local target: STARTTLS and HTTP by port.
    let mail = plan
        .tls
        .iter()
        .find(|p| p.target.as_str() == "mail.example:25")
        .unwrap();
    assert_eq!(mail.starttls, Some(Starttls::Smtp));
    assert_eq!(mail.http, None);
    let web = plan
        .tls
        .iter()
        .find(|p| p.target.as_str() == "new.example:443")
        .unwrap();
    assert_eq!(web.http, HttpCheck::for_endpoint(443, false, false, None));
    assert_eq!(
        plan.domains.unwrap().domains,
        ["trust.example", "old.example", "extra.example"]
    );
    let warnings: Vec<String> = notes
        .iter()
        .filter(|n| n.is_warning())
        .map(|n| n.to_string())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings
        .iter()
        .any(|w| w.contains("tls_targets entry \"::1:443\"")));
    assert!(warnings
        .iter()
        .any(|w| w.contains("domains entry \"no_dot\"")));
    assert!(notes
        .iter()
        .any(|n| matches!(n, Note::Skipped { why, targets } if why.contains("own config") && targets == &["10.1.9.4:443"])));
}

#[test]
fn policy_targets_are_still_subject_to_the_policy_scope() {
    let policy = Policy {
        scope: strings(&["10.0.0.0/8"]),
        tls_targets: strings(&["10.3.3.3:443", "192.168.1.1:443"]),
        ..Policy::default()
    };
    let (plan, _) = apply(&local(), &policy);
    assert_eq!(
        targets(&plan),
        ["10.1.2.3:443", "10.2.0.9:8443", "10.3.3.3:443"]
    );
}

#[test]
fn domains_can_come_from_policy_alone() {
    let mut bare = local();
    bare.domains = None;
    let policy = Policy {
        domains: strings(&["trust.example"]),
        ..Policy::default()
    };
    let (plan, _) = apply(&bare, &policy);
    assert_eq!(plan.domains.unwrap().domains, ["trust.example"]);
    let mut nothing = bare.clone();
    nothing.tls.clear();
    nothing.discovery.clear();
    assert!(apply(&nothing, &Policy::default()).0.is_empty());
    assert!(!apply(&nothing, &policy).0.is_empty());
}

#[test]
fn disabled_rules_match_ids_and_prefixes() {
    let (filter, bad) = RuleFilter::parse(&strings(&["TLS-004", "patch-*", "*", "a b", ""]));
    assert_eq!(bad, ["*", "a b", ""]);
    assert!(filter.drops("TLS-004"));
    assert!(!filter.drops("TLS-0041"));
    assert!(!filter.drops("TLS-003"));
    assert!(filter.drops("PATCH-001"));
    assert!(filter.drops("PATCH-"));
    assert!(!filter.drops("PAT"));
    assert!(!filter.drops("ÜPATCH"));
    let policy = Policy {
        disabled_rules: strings(&["CERT-*", "*"]),
        ..Policy::default()
    };
    let (plan, notes) = apply(&local(), &policy);
    assert!(plan.disabled_rules.drops("CERT-001"));
    assert!(
        matches!(&notes[..], [Note::Invalid { key: "disabled_rules", entry, .. }] if entry == "*")
    );
}

#[test]
fn answers_are_classified() {
    let r = |status: u16, body: &'static str| Response {
        status: StatusCode::from_u16(status).unwrap(),
        retry_after: None,
        body: Bytes::from_static(body.as_bytes()),
    };
    let ok = Fetched::from_response(&r(
        200,
        r#"{"site":"north","version":3,"interval_secs":900,"scope":["10.0.0.0/8"],"future_key":true}"#,
    ));
    match ok {
        Fetched::Policy(p) => {
            assert_eq!(
                (p.site.as_str(), p.version, p.interval_secs),
                ("north", 3, Some(900))
            );
            assert_eq!(p.scope, ["10.0.0.0/8"]);
            assert!(p.exclude.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        Fetched::from_response(&r(404, r#"{"error":"none","reason":"no_policy"}"#)),
        Fetched::NoPolicy
    );
    assert!(matches!(
        Fetched::from_response(&r(200, "[]")),
        Fetched::Unavailable(_)
    ));
    assert!(
        matches!(Fetched::from_response(&r(403, "")), Fetched::Unavailable(m) if m.contains("403"))
    );
}

#[test]
fn the_cache_round_trips_and_is_cleared() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(load_cached(dir.path()), None);
    let policy = Policy {
        site: "north".into(),
        version: 4,
        tls_targets: strings(&["a.example:443"]),
        ..Policy::default()
    };
    save_cached(dir.path(), &policy).unwrap();
    assert_eq!(load_cached(dir.path()), Some(policy));
    std::fs::write(dir.path().join(POLICY_FILE), b"{torn").unwrap();
    assert_eq!(load_cached(dir.path()), None);
    remove_cached(dir.path()).unwrap();
    remove_cached(dir.path()).unwrap();
    assert!(!dir.path().join(POLICY_FILE).exists());
}
