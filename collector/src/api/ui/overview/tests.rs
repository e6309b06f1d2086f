use super::*;
use crate::store::{AgentCount, ExpiryBySite, FindingCount, RuleFailing};

fn count(site: &str, severity: &str, status: &str, count: i64) -> FindingCount {
    FindingCount {
        site: site.into(),
        severity: severity.into(),
        status: status.into(),
        count,
    }
}

#[test]
fn sites_add_up_and_store_text_is_escaped() {
    let agg = Aggregates {
        findings: vec![
            count("north", "critical", "fail", 2),
            count("north", "high", "fail", 1),
            count("north", "high", "pass", 5),
            count("<b>south</b>", "low", "error", 1),
        ],
        failing: vec![
            RuleFailing {
                site: "north".into(),
                rule_id: "TLS-002".into(),
                targets: 2,
            },
            RuleFailing {
                site: "<b>south</b>".into(),
                rule_id: "TLS-002".into(),
                targets: 1,
            },
        ],
        agents: vec![AgentCount {
            site: "north".into(),
            active: 1,
            stale: 1,
            ..AgentCount::default()
        }],
        expiry: vec![ExpiryBySite {
            site: "north".into(),
            earliest: 1000 + 86_400 * 5,
        }],
        ..Aggregates::default()
    };
    let s = sites(&agg);
    assert_eq!(s["north"].failing, [2, 1, 0, 0, 0]);
    assert_eq!(s["north"].pass, 5);
    assert_eq!(s["<b>south</b>"].error, 1);
    let catalogue = Catalogue::embedded().unwrap();
    assert_eq!(top_rules(&agg, &catalogue), vec![("TLS-002".to_owned(), 3)]);
    let html = render(&agg, &catalogue, 1000);
    assert!(html.contains("&lt;b&gt;south&lt;/b&gt;"));
    assert!(!html.contains("<b>south</b>"));
    assert!(html.contains("site=%3Cb%3Esouth%3C%2Fb%3E"));
    assert!(html.contains(r#"<span class="soon">"#), "{html}");
    assert!(html.contains("in 5 days"));
}

#[test]
fn an_empty_estate_says_so() {
    let catalogue = Catalogue::embedded().unwrap();
    let html = render(&Aggregates::default(), &catalogue, 0);
    assert!(html.contains("No agent has reported yet"));
    assert!(html.contains("No rule is failing"));
    assert!(html.contains("No exceptions"));
}
