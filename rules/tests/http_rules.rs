//! HTTP-001…HTTP-005 on hand-made observations, and the header parsers
//! behind them.

use trustwatch_rules::evaluate::{self, http_headers as h};
use trustwatch_rules::observe::{Header, HttpObservation, HttpResponse, HttpsOutcome, PlainHttp};
use trustwatch_rules::{Catalogue, Finding, Status};

fn response(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| Header {
                name: n.to_ascii_lowercase(),
                value: (*v).into(),
            })
            .collect(),
    }
}

const GOOD_HEADERS: &[(&str, &str)] = &[
    (
        "Strict-Transport-Security",
        "max-age=63072000; includeSubDomains; preload",
    ),
    ("Server", "nginx"),
    ("X-Content-Type-Options", "nosniff"),
    (
        "Content-Security-Policy",
        "default-src 'self'; frame-ancestors 'none'",
    ),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
];

fn redirect() -> PlainHttp {
    PlainHttp::Response {
        response: response(301, &[("Location", "https://www.example.test/")]),
        body_bytes: 162,
    }
}

fn good() -> HttpObservation {
    HttpObservation {
        target: "www.example.test:443".into(),
        host: "www.example.test".into(),
        https_url: "https://www.example.test/".into(),
        https: HttpsOutcome::Response(response(200, GOOD_HEADERS)),
        plain_url: Some("http://www.example.test/".into()),
        plain: redirect(),
    }
}

fn with_headers(headers: &[(&str, &str)]) -> HttpObservation {
    HttpObservation {
        https: HttpsOutcome::Response(response(200, headers)),
        ..good()
    }
}

/// `good()` with header `name` replaced by `value` (removed if `None`).
fn tweak(name: &str, value: Option<&str>) -> HttpObservation {
    let mut headers: Vec<(&str, &str)> = GOOD_HEADERS
        .iter()
        .copied()
        .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
        .collect();
    if let Some(v) = value {
        headers.push((name, v));
    }
    with_headers(&headers)
}

fn run(obs: &HttpObservation) -> Vec<Finding> {
    evaluate::http(&Catalogue::embedded().unwrap(), obs)
}

fn find(f: &[Finding], id: &str) -> Finding {
    f.iter()
        .find(|f| f.rule_id == id)
        .unwrap_or_else(|| panic!("no {id}"))
        .clone()
}

fn status(obs: &HttpObservation, id: &str) -> Status {
    find(&run(obs), id).status
}

#[test]
fn a_good_site_passes_every_rule_in_catalogue_order() {
    let f = run(&good());
    let ids: Vec<&str> = f.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, evaluate::HTTP_PROBE_RULES);
    for finding in &f {
        assert_eq!(finding.status, Status::Pass, "{finding:?}");
        assert_eq!(finding.target, "www.example.test:443");
    }
    let h3 = find(&f, "HTTP-003");
    assert_eq!(h3.evidence.get("preload").unwrap(), true);
    assert_eq!(h3.evidence.get("max_age").unwrap(), 63072000);
}

#[test]
fn the_combined_rule_list_is_tls_then_http() {
    let both: Vec<&str> = evaluate::TLS_PROBE_RULES
        .iter()
        .chain(evaluate::HTTP_PROBE_RULES)
        .copied()
        .collect();
    assert_eq!(evaluate::TLS_HTTP_PROBE_RULES, both.as_slice());
}

#[test]
fn plain_http_passes_only_closed_or_a_permanent_same_host_redirect() {
    let plain = |status: u16, location: Option<&str>, body: u64| {
        let headers: Vec<(&str, &str)> = location.map(|l| ("Location", l)).into_iter().collect();
        HttpObservation {
            plain: PlainHttp::Response {
                response: response(status, &headers),
                body_bytes: body,
            },
            ..good()
        }
    };
    let https = Some("https://www.example.test/login");
    assert_eq!(status(&plain(308, https, 0), "HTTP-001"), Status::Pass);
    assert_eq!(
        status(
            &plain(301, Some("HTTPS://WWW.example.test:8443/"), 0),
            "HTTP-001"
        ),
        Status::Pass
    );
    for (code, loc, body, why) in [
        (200, None, 5000, "status 200"),
        (302, https, 0, "not a permanent"),
        (307, https, 0, "not a permanent"),
        (301, Some("http://www.example.test/"), 0, "not to https://"),
        (301, Some("https://evil.example/"), 0, "not to https://"),
        (301, Some("/login"), 0, "not to https://"),
        (301, None, 0, "status 301"),
        (301, https, 50_000, "serves 50000 bytes"),
    ] {
        let h1 = find(&run(&plain(code, loc, body)), "HTTP-001");
        assert_eq!(h1.status, Status::Fail, "{code} {loc:?}");
        assert!(h1.summary.contains(why), "{}", h1.summary);
        assert_eq!(h1.evidence.get("status").unwrap(), code);
    }
    let closed = HttpObservation {
        plain: PlainHttp::Closed {
            reason: "connection refused by 127.0.0.1:80".into(),
        },
        ..good()
    };
    assert_eq!(status(&closed, "HTTP-001"), Status::Pass);
    let unknown = HttpObservation {
        plain: PlainHttp::Failed {
            reason: "timed out".into(),
        },
        ..good()
    };
    assert_eq!(status(&unknown, "HTTP-001"), Status::Error);
    let unchecked = HttpObservation {
        plain: PlainHttp::NotChecked {
            reason: "no plain-HTTP port for port 8443".into(),
        },
        plain_url: None,
        ..good()
    };
    assert_eq!(status(&unchecked, "HTTP-001"), Status::NotApplicable);
}

#[test]
fn missing_hsts_fails_http_002_and_leaves_http_003_not_applicable() {
    let obs = tweak("Strict-Transport-Security", None);
    assert_eq!(status(&obs, "HTTP-002"), Status::Fail);
    assert_eq!(status(&obs, "HTTP-003"), Status::NotApplicable);
}

#[test]
fn weak_or_malformed_hsts_fails_http_003() {
    for (value, why) in [
        (
            "max-age=300; includeSubDomains",
            "max-age 300 is under 31536000",
        ),
        ("max-age=31536000", "includeSubDomains is missing"),
        ("max-age=0", "max-age 0"),
        ("includeSubDomains", "max-age is missing"),
        ("max-age=1y; includeSubDomains", "not a number"),
        (
            "max-age=1; max-age=31536000; includeSubDomains",
            "more than once",
        ),
        ("max-age=\"31536000; includeSubDomains", "malformed"),
    ] {
        let obs = tweak("Strict-Transport-Security", Some(value));
        assert_eq!(status(&obs, "HTTP-002"), Status::Pass, "{value}");
        let h3 = find(&run(&obs), "HTTP-003");
        assert_eq!(h3.status, Status::Fail, "{value}");
        assert!(h3.summary.contains(why), "{value}: {}", h3.summary);
    }
    let quoted = tweak(
        "Strict-Transport-Security",
        Some("max-age=\"31536000\";includesubdomains"),
    );
    assert_eq!(status(&quoted, "HTTP-003"), Status::Pass);
}

#[test]
fn version_numbers_fail_http_004_and_bare_products_pass() {
    for (name, value) in [
        ("Server", "nginx/1.24.0"),
        ("Server", "Apache/2.4.57 (Debian)"),
        ("Server", "Microsoft-IIS/10.0"),
        ("Server", "Jetty(9.4.44.v20210927)"),
        ("X-Powered-By", "PHP/8.2"),
        ("X-AspNet-Version", "4.0.30319"),
    ] {
        let h4 = find(&run(&tweak(name, Some(value))), "HTTP-004");
        assert_eq!(h4.status, Status::Fail, "{name}: {value}");
        assert!(h4.summary.contains(name), "{}", h4.summary);
    }
    for (name, value) in [
        ("Server", "nginx"),
        ("Server", "Apache"),
        ("X-Powered-By", "ASP.NET"),
        ("Server", "ECS (dcb/7F84)"),
    ] {
        assert_eq!(
            status(&tweak(name, Some(value)), "HTTP-004"),
            Status::Pass,
            "{name}: {value}"
        );
    }
    // A version on the plain-HTTP redirect counts too.
    let mut obs = good();
    obs.plain = PlainHttp::Response {
        response: response(
            301,
            &[
                ("Location", "https://www.example.test/"),
                ("Server", "nginx/1.22.1"),
            ],
        ),
        body_bytes: 169,
    };
    let h4 = find(&run(&obs), "HTTP-004");
    assert_eq!(h4.status, Status::Fail);
    assert_eq!(
        h4.evidence.get("disclosed").unwrap()[0],
        "Server: nginx/1.22.1"
    );
}

#[test]
fn each_missing_security_header_fails_http_005() {
    for (name, value) in [
        ("X-Content-Type-Options", None),
        ("X-Content-Type-Options", Some("sniff-away")),
        ("Content-Security-Policy", None),
        ("Content-Security-Policy", Some("default-src 'self'")),
        ("Referrer-Policy", None),
        ("Referrer-Policy", Some("unsafe-url")),
        ("Referrer-Policy", Some("whatever")),
    ] {
        let h5 = find(&run(&tweak(name, value)), "HTTP-005");
        assert_eq!(h5.status, Status::Fail, "{name}: {value:?}");
        assert!(!h5
            .evidence
            .get("missing")
            .unwrap()
            .as_array()
            .unwrap()
            .is_empty());
    }
    // X-Frame-Options stands in for CSP frame-ancestors, ALLOW-FROM does not.
    let mut headers: Vec<(&str, &str)> = GOOD_HEADERS
        .iter()
        .copied()
        .filter(|(n, _)| *n != "Content-Security-Policy")
        .collect();
    headers.push(("X-Frame-Options", "SAMEORIGIN"));
    assert_eq!(status(&with_headers(&headers), "HTTP-005"), Status::Pass);
    headers.pop();
    headers.push(("X-Frame-Options", "ALLOW-FROM https://x.example"));
    assert_eq!(status(&with_headers(&headers), "HTTP-005"), Status::Fail);
}

#[test]
fn an_https_fetch_that_failed_is_an_error_for_the_header_rules() {
    let obs = HttpObservation {
        https: HttpsOutcome::Failed {
            reason: "timed out after 5s".into(),
        },
        ..good()
    };
    let f = run(&obs);
    for id in ["HTTP-002", "HTTP-003", "HTTP-004", "HTTP-005"] {
        let finding = find(&f, id);
        assert_eq!(finding.status, Status::Error, "{id}");
        assert_eq!(finding.evidence.get("error").unwrap(), "timed out after 5s");
    }
    // Plain HTTP is judged on its own.
    assert_eq!(find(&f, "HTTP-001").status, Status::Pass);
}

#[test]
fn header_parsers_on_known_values() {
    let p = h::parse_hsts("max-age=31536000; includeSubDomains").unwrap();
    assert_eq!(
        (p.max_age, p.include_subdomains, p.preload),
        (31536000, true, false)
    );
    assert_eq!(
        h::parse_hsts("max-age=99999999999999999999999")
            .unwrap()
            .max_age,
        u64::MAX
    );
    assert_eq!(h::parse_hsts(""), Err(h::HstsDefect::NoMaxAge));
    assert!(h::parse_hsts("max age=1").is_err());
    assert_eq!(
        h::version_tokens("Apache/2.4.41 (Ubuntu) OpenSSL/1.1.1f mod_wsgi/4.6.8"),
        ["Apache/2.4.41", "OpenSSL/1.1.1f", "mod_wsgi/4.6.8"]
    );
    assert_eq!(
        h::csp_frame_ancestors("default-src 'self', FRAME-ANCESTORS 'self' https://a"),
        Some("'self' https://a".into())
    );
    assert_eq!(
        h::referrer_policy("no-referrer, bogus, same-origin"),
        Some("same-origin")
    );
    assert_eq!(
        h::https_host("https://user@[::1]:8443/x").as_deref(),
        Some("[::1]")
    );
    assert_eq!(
        h::https_host("https://Host.Example./").as_deref(),
        Some("host.example")
    );
    assert_eq!(h::https_host("http://host/"), None);
    assert_eq!(h::https_host("https://é"), Some("é".into()));
}

mod properties {
    use super::h;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parsers_never_panic_on_any_text(s in "\\PC{0,80}") {
            let _ = h::parse_hsts(&s);
            let _ = h::version_tokens(&s);
            let _ = h::csp_frame_ancestors(&s);
            let _ = h::frame_options_effective(&s);
            let _ = h::nosniff(&s);
            let _ = h::referrer_policy(&s);
            let _ = h::https_host(&s);
        }

        #[test]
        fn parsers_never_panic_on_header_like_text(s in "[ -~]{0,60}") {
            let _ = h::parse_hsts(&s);
            let _ = h::https_host(&format!("https://{s}"));
            let _ = h::version_tokens(&s);
        }

        #[test]
        fn hsts_round_trips_its_directives(
            age in any::<u64>(),
            sub in any::<bool>(),
            preload in any::<bool>(),
            quoted in any::<bool>(),
            upper in any::<bool>(),
        ) {
            let mut parts = vec![if quoted { format!("max-age=\"{age}\"") } else { format!("max-age={age}") }];
            if sub { parts.push("includeSubDomains".into()); }
            if preload { parts.push("preload".into()); }
            parts.push("x-unknown=\"a;b\"".into());
            let mut text = parts.join(" ; ");
            if upper { text = text.to_ascii_uppercase(); }
            let p = h::parse_hsts(&text).unwrap();
            prop_assert_eq!((p.max_age, p.include_subdomains, p.preload), (age, sub, preload));
        }

        #[test]
        fn product_slash_version_is_always_a_disclosure(
            product in "[A-Za-z][A-Za-z_-]{0,10}",
            major in 0u32..100,
            minor in 0u32..100,
            comment in "( \\([A-Za-z ]{0,10}\\))?",
        ) {
            let token = format!("{product}/{major}.{minor}");
            let found = h::version_tokens(&format!("{token}{comment}"));
            prop_assert_eq!(found, vec![token]);
            let bare = format!("{product}{comment}");
            prop_assert!(h::version_tokens(&bare).is_empty());
        }
    }
}
