//! The collector's web view in a real browser: a real `trustwatch-collector
//! serve` holding the two-site estate of the Prometheus test (uploaded
//! over mutual TLS, with an accepted risk, a stale and a revoked agent),
//! and Debian's headless Chromium signing in with an API token through the
//! login form, then reading the overview, the findings filtered through
//! the form, a host's page reached by its link, and the board report
//! reached from the reports page. Each page's visible text is checked and
//! a 1280 × 900 screenshot kept in `target/test-output/web/` for a person
//! to look at.

#[path = "web_view/browser.rs"]
mod browser;
// Shared with prometheus_e2e.rs, which uses all of it.
#[allow(dead_code)]
#[path = "prometheus_e2e/estate.rs"]
mod estate;

use std::fs;
use std::path::{Path, PathBuf};

use browser::Browser;
use trustwatch_e2e::process::Collector;
use trustwatch_rules::Catalogue;

fn output_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let dir = target.join("test-output/web");
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn has(text: &str, needles: &[&str], page: &str) {
    for n in needles {
        assert!(
            text.contains(n),
            "the {page} page does not show {n:?}:\n{text}"
        );
    }
}

#[test]
fn a_person_signs_in_and_reads_the_estate_in_headless_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let catalogue = Catalogue::embedded().unwrap();
    let collector = Collector::start(tmp.path());
    estate::seed(&collector, &catalogue);
    let token = collector.api_token("auditor");
    let out = output_dir();
    for old in ["login", "overview", "findings", "host", "reports", "board"] {
        let _ = fs::remove_file(out.join(format!("{old}.png")));
    }
    let base = format!("http://{}", collector.http);
    let mut b = Browser::launch(&out.join("chromium.log"));

    // Not signed in: the view sends the browser to the login form.
    b.open(&format!("{base}/ui/"), "/ui/login");
    has(&b.text(), &["Sign in", "API token"], "login");
    b.screenshot(&out.join("login.png"));

    // Type the token into the form and submit it, as a person would.
    b.eval("document.getElementById('token').focus()");
    b.call("Input.insertText", serde_json::json!({ "text": token }));
    let typed = b.eval("document.getElementById('token').value.length");
    assert_eq!(
        typed,
        serde_json::json!(token.len()),
        "the token was not typed in"
    );
    b.click("form button[type=submit]");
    b.wait_for("the overview after signing in", |p| p == "/ui/");
    let text = b.text();
    has(
        &text,
        &[
            "Estate overview",
            "Signed in as e2e (auditor)",
            "north",
            "south",
            "Top failing rules",
            "agents gone silent",
            "Exceptions",
        ],
        "overview",
    );
    b.screenshot(&out.join("overview.png"));

    // Filter through the form: critical failures at north.
    b.open(&format!("{base}/ui/findings"), "/ui/findings");
    b.eval(
        "document.querySelector('input[name=site]').value = 'north';
         document.querySelector('select[name=severity]').value = 'critical';
         document.querySelector('select[name=status]').value = 'fail'",
    );
    b.click("form.filters button");
    let path = b.wait_for("the filtered findings", |p| p.contains("severity=critical"));
    assert!(
        path.contains("site=north") && path.contains("status=fail"),
        "{path}"
    );
    let severities =
        b.eval("[...document.querySelectorAll('tbody tr td:first-child')].map(td => td.innerText)");
    let severities: Vec<&str> = severities
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(!severities.is_empty(), "no critical failures listed");
    assert!(
        severities.iter().all(|s| *s == "Critical"),
        "the filter let through {severities:?}"
    );
    let text = b.text();
    has(&text, &["Findings", "Fail", "north"], "findings");
    assert!(!text.contains("south-web"), "another site was listed");
    b.screenshot(&out.join("findings.png"));

    // A row's host link leads to the host's page.
    let host = b
        .eval("document.querySelector('tbody a[href^=\"/ui/hosts/\"]').innerText")
        .as_str()
        .expect("a host link")
        .to_owned();
    b.click("tbody a[href^=\"/ui/hosts/\"]");
    b.wait_for("the host page", |p| p.starts_with("/ui/hosts/"));
    has(
        &b.text(),
        &[
            &format!("Host {host}"),
            "Current findings",
            "History of changes",
            "first seen",
            "Agents that observe this host",
            "Evidence",
        ],
        "host",
    );
    // The first finding's evidence, unfolded as a person would.
    b.eval("document.querySelector('details').open = true");
    assert!(
        b.text().contains("\"observed\": "),
        "the evidence is not shown as JSON"
    );
    b.screenshot(&out.join("host.png"));

    // The reports page links to the board report, built on demand.
    b.open(&format!("{base}/ui/reports"), "/ui/reports");
    has(
        &b.text(),
        &["Reports", "Whole estate", "north", "Evidence pack"],
        "reports",
    );
    b.screenshot(&out.join("reports.png"));
    b.click("a[href=\"/ui/reports/board?site=north\"]");
    b.wait_for("the board report", |p| p == "/ui/reports/board?site=north");
    has(
        &b.text(),
        &["Cyber security posture", "CAF outcomes", "Top risks"],
        "board",
    );
    b.screenshot(&out.join("board.png"));

    // Signing out forgets the cookie: the view asks for a token again.
    b.open(&format!("{base}/ui/logout"), "/ui/login");
    b.open(&format!("{base}/ui/findings"), "/ui/login");
    drop(b);
    for shot in ["login", "overview", "findings", "host", "reports", "board"] {
        let len = fs::metadata(out.join(format!("{shot}.png")))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(
            len > 10_000,
            "{shot}.png is not a real screenshot ({len} bytes)"
        );
    }
}
