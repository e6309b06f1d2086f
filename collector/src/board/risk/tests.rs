use super::*;

const NOW: i64 = 1_000 * DAY;

fn candidate(target: &str, rule: &str, severity: Severity, age_days: i64) -> Candidate {
    Candidate {
        site: "north".into(),
        target: target.into(),
        rule_id: rule.into(),
        title: format!("title of {rule}"),
        severity,
        failing_since: NOW - age_days * DAY,
        exception_owner: None,
    }
}

#[test]
fn bands_follow_the_npsa_matrix() {
    let bands: Vec<(u8, Band)> = [1, 3, 4, 6, 8, 12, 15, 25]
        .into_iter()
        .map(|s| (s, Band::of(s)))
        .collect();
    assert_eq!(
        bands,
        [
            (1, Band::Low),
            (3, Band::Low),
            (4, Band::Moderate),
            (6, Band::Moderate),
            (8, Band::High),
            (12, Band::High),
            (15, Band::Extreme),
            (25, Band::Extreme),
        ]
    );
    assert_eq!(Band::Extreme.colour(), "red");
    assert_eq!(Band::Moderate.colour(), "yellow");
}

#[test]
fn likelihood_rises_with_exposure_age_and_exploitation_and_stays_in_range() {
    assert_eq!(likelihood(false, 0, false, false), 2);
    assert_eq!(likelihood(true, 0, false, false), 3);
    assert_eq!(likelihood(true, 31, false, false), 4);
    assert_eq!(likelihood(true, 31, true, false), 5);
    assert_eq!(likelihood(true, 31, true, true), 4);
    assert_eq!(likelihood(false, 0, false, true), 1);
    assert_eq!(
        likelihood(false, 30, false, false),
        2,
        "30 days is not more than 30"
    );
}

#[test]
fn internet_exposure_comes_from_the_rule_mode_and_severity() {
    let catalogue = Catalogue::embedded().unwrap();
    let rule = |id| catalogue.rule(id).unwrap();
    // External only.
    assert!(internet_facing(rule("SVC-003"), Severity::Critical));
    // DNS and mail are the public side by definition.
    assert!(internet_facing(rule("MAIL-003"), Severity::High));
    // X/N: at the internet-facing severity, or one lower inside.
    assert!(internet_facing(rule("TLS-001"), Severity::Critical));
    assert!(!internet_facing(rule("TLS-001"), Severity::High));
    // An agent's local check.
    assert!(!internet_facing(rule("PATCH-001"), Severity::High));
}

#[test]
fn entries_score_own_and_date_as_documented() {
    let catalogue = Catalogue::embedded().unwrap();
    let owners = BTreeMap::from([("north".to_owned(), "Head of IT (North)".to_owned())]);
    let rdp = candidate("1.2.3.4:3389", "SVC-003", Severity::Critical, 40);
    let e = entry(&rdp, catalogue.rule("SVC-003"), &owners, NOW);
    assert_eq!((e.consequence, e.likelihood, e.score), (5, 4, 20));
    assert_eq!(e.band, Band::Extreme);
    assert_eq!(e.owner, "Head of IT (North)");
    assert_eq!(e.due, rdp.failing_since + 14 * DAY);
    assert!(e.internet && !e.accepted);

    let mut xp = candidate("xp-1", "OS-001", Severity::Critical, 10);
    xp.exception_owner = Some("Clinical Systems Manager".into());
    let e = entry(&xp, catalogue.rule("OS-001"), &BTreeMap::new(), NOW);
    assert_eq!((e.consequence, e.likelihood, e.score), (5, 1, 5));
    assert_eq!(
        (e.band, e.owner.as_str()),
        (Band::Moderate, "Clinical Systems Manager")
    );

    let hsts = candidate("www:443", "HTTP-002", Severity::Medium, 5);
    let e = entry(&hsts, catalogue.rule("HTTP-002"), &BTreeMap::new(), NOW);
    assert_eq!(e.owner, "unassigned");
    assert_eq!(e.due, hsts.failing_since + 30 * DAY);
    assert_eq!(due(Severity::Low, 0), 90 * DAY);
}

#[test]
fn top_keeps_the_highest_once_per_target_and_rule() {
    let catalogue = Catalogue::embedded().unwrap();
    let cands = vec![
        candidate("www:443", "HTTP-002", Severity::Medium, 5),
        candidate("1.2.3.4:3389", "SVC-003", Severity::Critical, 40),
        // The same exposure reported by a second agent.
        candidate("1.2.3.4:3389", "SVC-003", Severity::Critical, 40),
        candidate("web1", "PATCH-001", Severity::High, 60),
        candidate("web2", "PATCH-001", Severity::High, 61),
    ];
    let top = top(&cands, &catalogue, &BTreeMap::new(), NOW, 3);
    let got: Vec<(&str, u8)> = top.iter().map(|e| (e.asset.as_str(), e.score)).collect();
    // RDP 5×4; the patch findings 4×3, the older first.
    assert_eq!(got, [("1.2.3.4:3389", 20), ("web2", 12), ("web1", 12)]);
}
