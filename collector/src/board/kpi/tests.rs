use super::*;

fn key(target: &str, rule: &str, steps: &[(i64, &str, Severity)]) -> KeyHistory {
    KeyHistory {
        site: "north".into(),
        target: target.into(),
        rule_id: rule.into(),
        before: None,
        steps: steps
            .iter()
            .map(|(at, status, severity)| Step {
                at: *at,
                seen: Seen::parse(status),
                severity: *severity,
            })
            .collect(),
    }
}

const H: Severity = Severity::High;
const C: Severity = Severity::Critical;
const M: Severity = Severity::Medium;

#[test]
fn status_at_a_time_is_the_last_change_at_or_before_it() {
    let k = key(
        "h:443",
        "TLS-001",
        &[(10, "fail", C), (20, "pass", C), (30, "absent", C)],
    );
    assert_eq!(k.at(9), None, "not yet seen");
    assert_eq!(k.at(10), Some((Seen::Fail, C)));
    assert_eq!(k.at(19), Some((Seen::Fail, C)));
    assert_eq!(k.at(20), Some((Seen::Pass, C)));
    assert_eq!(k.at(30), None, "no longer reported");
    let mut pruned = key("h:443", "TLS-001", &[(20, "pass", C)]);
    pruned.before = Some((Seen::Fail, C));
    assert_eq!(
        pruned.at(5),
        Some((Seen::Fail, C)),
        "from the first kept change"
    );
}

#[test]
fn hosts_without_an_overdue_fix_are_counted_once_per_host() {
    let h = History {
        keys: vec![
            key("web1", "PATCH-001", &[(0, "fail", H), (50, "pass", H)]),
            key("web1", "PATCH-005", &[(0, "pass", H)]),
            key("db1", "PATCH-001", &[(0, "pass", H)]),
            // A network target is not a host the patch rules assess.
            key("db1:5432", "TLS-001", &[(0, "pass", C)]),
            key("app1", "PATCH-001", &[(60, "fail", H)]),
        ],
        ..History::default()
    };
    assert_eq!(snapshot(&h, 10).patched, Ratio { good: 1, of: 2 });
    assert_eq!(snapshot(&h, 55).patched, Ratio { good: 2, of: 2 });
    assert_eq!(snapshot(&h, 70).patched, Ratio { good: 2, of: 3 });
    assert_eq!(
        snapshot(&h, 70).patched.percent().map(f64::round),
        Some(67.0)
    );
    assert_eq!(
        Ratio::default().percent(),
        None,
        "nothing assessed is not 0 %"
    );
}

#[test]
fn unsupported_systems_are_accepted_only_while_an_exception_is_live() {
    let exception = ExceptionSpan {
        site: Some("north".into()),
        rule_id: "OS-001".into(),
        target: "xp-1".into(),
        created_at: 100,
        expires_at: 300,
        withdrawn_at: None,
    };
    let h = History {
        keys: vec![
            key("xp-1", "OS-001", &[(0, "fail", C)]),
            key("win7-2", "OS-001", &[(0, "fail", C)]),
            key("deb-3", "OS-001", &[(0, "pass", C)]),
        ],
        exceptions: vec![exception.clone()],
        ..History::default()
    };
    let at = |t| {
        let s = snapshot(&h, t);
        (s.unsupported_accepted, s.unsupported_open)
    };
    assert_eq!(at(50), (0, 2), "before the exception was created");
    assert_eq!(at(150), (1, 1));
    assert_eq!(at(300), (0, 2), "expired");
    let mut withdrawn = h.clone();
    withdrawn.exceptions[0].withdrawn_at = Some(200);
    assert_eq!(snapshot(&withdrawn, 250).unsupported_accepted, 0);
    let mut other_site = h.clone();
    other_site.exceptions[0].site = Some("south".into());
    assert_eq!(snapshot(&other_site, 150).unsupported_accepted, 0);
    let mut wildcard = h;
    wildcard.exceptions[0].target = "*".into();
    wildcard.exceptions[0].site = None;
    assert_eq!(snapshot(&wildcard, 150).unsupported_accepted, 2);
}

#[test]
fn exposed_criticals_count_critical_failures_of_the_listed_rules_once_per_target() {
    let h = History {
        keys: vec![
            key("1.2.3.4:3389", "SVC-003", &[(0, "fail", C)]),
            // The same target seen by a second agent.
            key("1.2.3.4:3389", "SVC-003", &[(5, "fail", C)]),
            // Internal exposure: reported one level lower, not counted.
            key("10.0.0.1:443", "TLS-001", &[(0, "fail", H)]),
            key("www:443", "CERT-001", &[(0, "pass", C), (20, "fail", C)]),
            // Not one of the listed rules.
            key("10.0.0.2:23", "SVC-001", &[(0, "fail", C)]),
        ],
        ..History::default()
    };
    assert_eq!(snapshot(&h, 10).exposed_critical, 1);
    assert_eq!(snapshot(&h, 20).exposed_critical, 2);
}

#[test]
fn a_domain_is_protected_only_when_all_six_mail_rules_pass() {
    let mut keys = Vec::new();
    for rule in MAIL_RULES {
        keys.push(key("good.nhs.uk", rule, &[(0, "pass", M)]));
        let late = if rule == "MAIL-004" { "fail" } else { "pass" };
        keys.push(key("weak.nhs.uk", rule, &[(0, "pass", M), (50, late, M)]));
    }
    // Only five of the six checked: not evidenced as protected.
    for rule in &MAIL_RULES[..5] {
        keys.push(key("part.nhs.uk", rule, &[(0, "pass", M)]));
    }
    let h = History {
        keys,
        ..History::default()
    };
    assert_eq!(snapshot(&h, 10).mail_protected, Ratio { good: 2, of: 3 });
    assert_eq!(snapshot(&h, 60).mail_protected, Ratio { good: 1, of: 3 });
}

#[test]
fn certificates_expiring_exclude_the_already_expired() {
    let h = History {
        keys: vec![
            key("a:443", "CERT-002", &[(0, "pass", M), (10, "fail", M)]),
            key("b:443", "CERT-002", &[(0, "fail", H)]),
            key("b:443", "CERT-001", &[(0, "pass", C), (20, "fail", C)]),
        ],
        ..History::default()
    };
    assert_eq!(snapshot(&h, 5).certs_expiring, 1);
    assert_eq!(snapshot(&h, 15).certs_expiring, 2);
    assert_eq!(snapshot(&h, 25).certs_expiring, 1);
}

#[test]
fn coverage_counts_agents_heard_from_within_the_window() {
    let h = History {
        agents: vec![
            AgentSpan {
                first_seen: 0,
                revoked_at: None,
                contacts: vec![0, 100, 200],
            },
            AgentSpan {
                first_seen: 0,
                revoked_at: Some(150),
                contacts: vec![0, 100],
            },
            AgentSpan {
                first_seen: 120,
                revoked_at: None,
                contacts: vec![120],
            },
        ],
        stale_after: 50,
        ..History::default()
    };
    assert_eq!(snapshot(&h, 110).coverage, Ratio { good: 2, of: 2 });
    assert_eq!(snapshot(&h, 160).coverage, Ratio { good: 1, of: 2 });
    assert_eq!(snapshot(&h, 210).coverage, Ratio { good: 1, of: 2 });
}

#[test]
fn points_are_evenly_spaced_and_end_at_the_report_time() {
    let p = points(1_000 * DAY, 90);
    assert_eq!(p.len(), 13);
    assert_eq!(p[0], 910 * DAY);
    assert_eq!(*p.last().unwrap(), 1_000 * DAY);
    let gaps: BTreeSet<i64> = p.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, BTreeSet::from([90 * DAY / 12]));
    assert_eq!(points(1_000 * DAY, 7).len(), 8, "daily for a week");
    assert_eq!(points(1_000 * DAY, 730).len(), 53, "at most 53");
}

#[test]
fn hosts_are_the_host_part_of_targets() {
    assert_eq!(host_of("web1:443"), "web1");
    assert_eq!(host_of("[2001:db8::1]:443"), "2001:db8::1");
    assert_eq!(host_of("2001:db8::1"), "2001:db8::1");
    assert_eq!(host_of("example.nhs.uk"), "example.nhs.uk");
}
