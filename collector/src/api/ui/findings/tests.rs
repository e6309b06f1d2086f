use super::*;

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn empty_fields_are_no_filter_and_values_are_checked() {
    let f = Form::from_pairs(&pairs(&[
        ("site", "north"),
        ("host", ""),
        ("severity", "high"),
        ("status", "fail"),
        ("within", "7d"),
        ("other", "x"),
    ]));
    let filter = f.filter(1_000_000).unwrap();
    assert_eq!(filter.site.as_deref(), Some("north"));
    assert_eq!(filter.host, None);
    assert_eq!(filter.severity, Some(Severity::High));
    assert_eq!(filter.status, Some(Status::Fail));
    assert_eq!(filter.changed_since, Some(1_000_000 - 7 * 86_400));
    assert_eq!(filter.limit, Some(PAGE + 1));

    let bad = |k: &str, v: &str| Form::from_pairs(&pairs(&[(k, v)])).filter(0).unwrap_err();
    assert!(bad("severity", "urgent").contains("urgent"));
    assert!(bad("status", "broken").contains("not one of"));
    assert!(bad("within", "2y").contains("2y"));
    assert!(bad("cursor", "nonsense").contains("damaged"));
    assert!(bad("site", &"x".repeat(300)).contains("256"));
}

#[test]
fn the_form_keeps_choices_escaped_and_pages_keep_filters() {
    let f = Form::from_pairs(&pairs(&[("site", "<x>\""), ("status", "fail")]));
    let html = render(&f, &[], Some("CUR"));
    assert!(html.contains(r#"value="&lt;x&gt;&quot;""#), "{html}");
    assert!(html.contains(r#"<option value="fail" selected>"#));
    assert!(html.contains("No current finding matches these filters."));
    assert!(html.contains("/ui/findings?site=%3Cx%3E%22&status=fail&cursor=CUR"));
    let html = render(&Form::default(), &[], None);
    assert!(html.contains("No findings are stored yet."));
    assert!(!html.contains("Next page"));
}
