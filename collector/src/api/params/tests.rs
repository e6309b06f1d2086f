use super::*;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn accepts_every_finding_filter() {
    let cursor = Cursor::Finding {
        agent: "a".into(),
        target: "t".into(),
        rule_id: "r".into(),
    };
    let f = finding_filter(&pairs(&[
        ("site", "a"),
        ("agent", "ag"),
        ("host", "10.0.0.5"),
        ("target", "10.0.0.5:443"),
        ("status", "fail"),
        ("severity", "HIGH"),
        ("rule_id", "TLS-001"),
        ("since", "2026-03-01T12:00:00Z"),
        ("until", "2026-03-02T00:00:00+01:00"),
        ("changed_since", "2026-02-01T00:00:00Z"),
        ("exception", "exclude"),
        ("limit", "5"),
        ("cursor", &cursor.encode()),
    ]))
    .unwrap();
    assert_eq!(f.site.as_deref(), Some("a"));
    assert_eq!(f.agent.as_deref(), Some("ag"));
    assert_eq!(f.host.as_deref(), Some("10.0.0.5"));
    assert_eq!(f.target.as_deref(), Some("10.0.0.5:443"));
    assert_eq!(f.status, Some(Status::Fail));
    assert_eq!(f.severity, Some(Severity::High));
    assert_eq!(f.rule_id.as_deref(), Some("TLS-001"));
    assert_eq!(f.since, Some(1_772_366_400));
    assert_eq!(f.until, Some(1_772_406_000));
    assert_eq!(f.exception, ExceptionFilter::Exclude);
    assert_eq!(f.limit, Some(5));
    assert_eq!(f.after, Some(cursor));
    assert_eq!(finding_filter(&[]).unwrap(), FindingFilter::default());
}

#[test]
fn refuses_bad_values_unknown_keys_and_repeats() {
    for (list, needle) in [
        (
            pairs(&[("status", "broken")]),
            "status `broken` is not one of",
        ),
        (pairs(&[("severity", "huge")]), "severity `huge`"),
        (pairs(&[("limit", "0")]), "limit `0`"),
        (pairs(&[("limit", "1001")]), "from 1 to 1000"),
        (pairs(&[("limit", "x")]), "limit `x`"),
        (
            pairs(&[("since", "yesterday")]),
            "since `yesterday` is not an RFC 3339",
        ),
        (pairs(&[("until", "2026-03-01")]), "until `2026-03-01`"),
        (
            pairs(&[("exception", "maybe")]),
            "one of include, only, exclude",
        ),
        (pairs(&[("cursor", "garbage!")]), "a cursor this API issued"),
        (pairs(&[("sight", "a")]), "unknown query parameter `sight`"),
        (pairs(&[("site", "a"), ("site", "b")]), "more than once"),
        (pairs(&[("site", "")]), "`site` must be"),
    ] {
        let err = finding_filter(&list).unwrap_err();
        assert!(err.contains(needle), "{needle}: {err}");
        assert!(!err.contains('\n'));
    }
}

#[test]
fn each_list_has_its_own_keys() {
    assert!(history_filter(&pairs(&[("target", "t")]), true).is_ok());
    let err = history_filter(&pairs(&[("target", "t")]), false).unwrap_err();
    assert!(
        err.contains("expected site, agent, since, until, limit or cursor"),
        "{err}"
    );
    assert!(host_filter(&pairs(&[("status", "fail")])).is_err());
    let a = agent_filter(&pairs(&[("state", "stale")]), 60).unwrap();
    assert_eq!((a.state, a.stale_after_secs), (Some(AgentState::Stale), 60));
    assert!(agent_filter(&pairs(&[("state", "asleep")]), 60).is_err());
    let e = exception_query(&pairs(&[("state", "expired")])).unwrap();
    assert_eq!(e.state, Some(ExceptionState::Expired));
    assert_eq!(site(&pairs(&[("site", "north")])).unwrap(), "north");
    assert!(site(&[]).unwrap_err().contains("required"));
    assert!(none(&pairs(&[("x", "1")]))
        .unwrap_err()
        .contains("expected none"));
}
