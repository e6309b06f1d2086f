use super::*;

#[test]
fn links_encode_what_the_store_holds() {
    assert_eq!(url_encode("10.0.0.5"), "10.0.0.5");
    assert_eq!(url_encode("a b/&?<"), "a%20b%2F%26%3F%3C");
    assert_eq!(url_encode("fe80::1"), "fe80%3A%3A1");
    assert_eq!(
        query(&[("site", "north"), ("host", ""), ("rule_id", "TLS-001")]),
        "?site=north&rule_id=TLS-001"
    );
    assert_eq!(query(&[("site", "")]), "");
    assert_eq!(
        host_link("<script>"),
        r#"<a href="/ui/hosts/%3Cscript%3E">&lt;script&gt;</a>"#
    );
}

#[test]
fn severity_and_status_are_words_on_a_colour() {
    assert_eq!(
        severity("critical"),
        r#"<span class="badge sev-critical">Critical</span>"#
    );
    assert_eq!(
        severity("<b>"),
        r#"<span class="badge sev-other">&lt;b&gt;</span>"#
    );
    assert!(status("accepted_risk").contains("Accepted risk"));
    assert!(status("not_applicable").contains("st-na"));
    assert!(status("<i>").contains("&lt;i&gt;"));
}

#[test]
fn times_read_as_words() {
    let t = OffsetDateTime::from_unix_timestamp(1_772_366_400).unwrap();
    assert_eq!(when(t), "2026-03-01 12:00 UTC");
    assert_eq!(day(1_772_366_400), "2026-03-01");
    assert_eq!(relative(1000 + 5 * 86_400, 1000), "in 5 days");
    assert_eq!(relative(1000 - 3 * 3600, 1000), "3 hours ago");
    assert_eq!(relative(1000 + 60, 1000), "in 1 minute");
}

#[test]
fn problems_are_one_sentence_and_empty_tables_say_so() {
    assert_eq!(sentence("the token <x>"), "The token <x>.");
    assert_eq!(sentence("done."), "Done.");
    assert_eq!(
        table(&["A"], &[], "No findings <yet>"),
        r#"<p class="empty">No findings &lt;yet&gt;</p>"#
    );
    assert!(table(&["A", "#N"], &["<tr></tr>".into()], "").contains(r#"<th class="num">N</th>"#));
    let doc = document("T<itle>", None, Nav::None, "<p>x</p>");
    assert!(doc.contains("<title>T&lt;itle&gt; · Trustwatch</title>"));
    assert!(!doc.contains("Sign out"));
}
