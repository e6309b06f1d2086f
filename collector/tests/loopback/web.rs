//! The web view under `/ui/`: strangers are sent to the login page, bad
//! tokens are refused and counted like bad bearer tokens, every role reads
//! every page through the cookie the login sets, and markup an agent
//! stored is shown as text.

use axum::body::Bytes;
use http_body_util::Full;
use hyper::{header, HeaderMap, Request, StatusCode};
use serde_json::json;
use trustwatch_collector::metrics::AuthRefusal;
use trustwatch_collector::store::{Actor, Role};

use crate::support::{exchange, sample_report, seed, Harness};

type Answer = (StatusCode, HeaderMap, String);

async fn get(h: &Harness, path: &str, token: Option<&str>) -> Answer {
    let mut request = Request::get(path).header("host", "localhost");
    if let Some(t) = token {
        request = request.header(header::COOKIE, format!("other=1; trustwatch_ui={t}"));
    }
    exchange(h.http, request.body(Full::new(Bytes::new())).unwrap()).await
}

async fn login(h: &Harness, form: &str) -> Answer {
    let request = Request::post("/ui/login")
        .header("host", "localhost")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(form.to_owned())))
        .unwrap();
    exchange(h.http, request).await
}

fn header(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn strangers_go_to_the_login_and_bad_tokens_are_refused_and_counted() {
    let h = Harness::start(1 << 20).await;
    for path in [
        "/ui/",
        "/ui/findings",
        "/ui/hosts/10.0.0.5",
        "/ui/reports/board",
    ] {
        let (status, headers, _) = get(&h, path, None).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(header(&headers, header::LOCATION), "/ui/login", "{path}");
    }
    // Being sent to the login is not a refusal; presenting a bad token is.
    assert_eq!(h.metrics.refused(AuthRefusal::ApiTokenInvalid), 0);

    let (status, headers, page) = get(&h, "/ui/login", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"<form method="post" action="/ui/login">"#));
    assert!(header(&headers, header::CONTENT_SECURITY_POLICY).contains("default-src 'none'"));
    let (status, headers, css) = get(&h, "/ui/style.css", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, header::CONTENT_TYPE).starts_with("text/css"));
    assert!(css.contains(".badge"));

    let revoked = h.token(Role::Admin).await;
    h.store
        .revoke_api_token(&revoked[4..20], &Actor::system("test"))
        .await
        .unwrap();
    let bad = [
        ("twa_0123456789abcdef.AAAA", "not one this collector issued"),
        ("not-a-token", "not one this collector issued"),
        (revoked.as_str(), "has been revoked"),
    ];
    let mut refused = 0;
    for (token, needle) in bad {
        let (status, headers, page) = get(&h, "/ui/", Some(token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}");
        assert!(page.contains(needle), "{needle}: {page}");
        // The browser is told to forget the bad cookie.
        assert!(header(&headers, header::SET_COOKIE).contains("Max-Age=0"));
        refused += 1;
        let (status, headers, page) = login(&h, &format!("token={token}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}");
        assert!(page.contains(needle), "{needle}: {page}");
        assert!(headers.get(header::SET_COOKIE).is_none());
        refused += 1;
    }
    let (status, _, page) = login(&h, "token=").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("no API token was entered"));
    refused += 1;
    assert_eq!(h.metrics.refused(AuthRefusal::ApiTokenInvalid), refused);
    h.stop().await;
}

#[tokio::test]
async fn every_role_signs_in_and_reads_every_page() {
    let h = Harness::start(1 << 20).await;
    seed(&h, h.agent_client("a1", "north"), "a1", 1, sample_report()).await;
    for role in Role::ALL {
        let token = h.token(role).await;
        let (status, headers, _) = login(&h, &format!("token={token}")).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", role.as_str());
        assert_eq!(header(&headers, header::LOCATION), "/ui/");
        let cookie = header(&headers, header::SET_COOKIE);
        assert_eq!(
            cookie,
            format!("trustwatch_ui={token}; Path=/ui; Max-Age=28800; HttpOnly; SameSite=Strict")
        );
        let pages = [
            ("/ui/", "Estate overview"),
            (
                "/ui/findings?site=north&status=fail&severity=high",
                "TLS-002",
            ),
            ("/ui/hosts/10.0.0.5", "Host 10.0.0.5"),
            ("/ui/reports", "Board report"),
            ("/ui/reports/board?site=north", "Cyber security posture"),
        ];
        for (path, needle) in pages {
            let (status, headers, page) = get(&h, path, Some(&token)).await;
            assert_eq!(status, StatusCode::OK, "{} {path}: {page}", role.as_str());
            assert!(header(&headers, header::CONTENT_TYPE).starts_with("text/html"));
            assert_eq!(header(&headers, header::CACHE_CONTROL), "no-store");
            assert!(page.contains(needle), "{path} lacks {needle}");
        }
        // The evidence pack's instructions are for auditors and admins.
        let (_, _, reports) = get(&h, "/ui/reports", Some(&token)).await;
        assert_eq!(
            reports.contains("report evidence"),
            role != Role::Analyst,
            "{}",
            role.as_str()
        );
        // The filter applies: the findings page lists only high failures.
        let (_, _, page) = get(&h, "/ui/findings?severity=high&status=fail", Some(&token)).await;
        assert!(!page.contains("TLS-004"), "a low finding was listed");
    }
    let token = h.token(Role::Auditor).await;
    let (status, _, page) = get(&h, "/ui/findings?severity=urgent", Some(&token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("urgent"));
    let (status, _, _) = get(&h, "/ui/hosts/nowhere.example", Some(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(&h, "/ui/reports/board?site=nowhere", Some(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Signing out clears the cookie.
    let (status, headers, _) = get(&h, "/ui/logout", Some(&token)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(header(&headers, header::SET_COOKIE).contains("Max-Age=0"));
    assert_eq!(h.metrics.refused(AuthRefusal::ApiTokenInvalid), 0);
    assert_eq!(h.metrics.refused(AuthRefusal::RoleForbidden), 0);
    h.stop().await;
}

#[tokio::test]
async fn markup_an_agent_stored_is_shown_as_text() {
    let h = Harness::start(1 << 20).await;
    let script = r#"<script>alert("x")</script>"#;
    let mut report = sample_report();
    report["findings"] = json!([{
        "rule_id": "TLS-002",
        "title": format!("title {script}"),
        "severity": "high",
        "status": "fail",
        "target": format!("{script}:443"),
        "summary": format!("summary {script}"),
        "evidence": { "banner": format!("<img src=x onerror=alert(1)> {script}") },
        "controls": ["CAF:B4.b"],
        "remediation": "fix it",
    }]);
    seed(&h, h.agent_client("a1", "north"), "a1", 1, report).await;
    let token = h.token(Role::Auditor).await;
    let host = "%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E";
    for path in [
        "/ui/".to_owned(),
        "/ui/findings".to_owned(),
        format!("/ui/hosts/{host}"),
    ] {
        let (status, _, page) = get(&h, &path, Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        assert!(!page.contains("<script"), "{path} carries live markup");
        assert!(!page.contains("<img"), "{path} carries live markup");
    }
    let (_, _, page) = get(&h, "/ui/findings", Some(&token)).await;
    assert!(page.contains("summary &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert!(
        page.contains(&format!(r#"href="/ui/hosts/{host}""#)),
        "{page}"
    );
    let (_, _, page) = get(&h, &format!("/ui/hosts/{host}"), Some(&token)).await;
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{page}"
    );
    h.stop().await;
}
