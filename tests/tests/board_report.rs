//! `trustwatch-collector report board`: the real binary on a SQLite store
//! holding 13 weeks of history, the page it writes checked as text, then
//! printed by Debian's headless Chromium to a PDF that must be exactly one
//! A4 page (poppler's `pdfinfo`), with a screenshot beside it for a person
//! to look at in `target/test-output/board/`.

#[path = "board_report/estate.rs"]
mod estate;
#[path = "board_report/print.rs"]
mod print;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustwatch_collector::{Config, Store};
use trustwatch_e2e::postgres::PgServer;
use trustwatch_e2e::process::{binary, run_bounded};

const BOUND: Duration = Duration::from_secs(120);

/// A config whose store holds the estate, and the report time.
struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    config: PathBuf,
    as_of: OffsetDateTime,
}

/// The estate in a store: SQLite in the fixture's folder, or the
/// PostgreSQL database `store_toml` names.
fn fixture(store_toml: &str) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    let config = dir.join("collector.toml");
    fs::write(
        &config,
        format!(
            "data_dir = \"data\"\n\
             {store_toml}\n\
             [board]\n\
             trust_name = \"Northshire <Test> NHS Trust\"\n\
             [board.owners]\n\
             north = \"Head of IT Infrastructure\"\n"
        ),
    )
    .unwrap();
    fs::create_dir_all(dir.join("data")).unwrap();
    let loaded = Config::load(&config).unwrap();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = Store::connect(&loaded.store, &loaded.data_dir)
            .await
            .unwrap();
        estate::seed(&store, now).await;
    });
    Fixture {
        _tmp: tmp,
        dir,
        config,
        // After the exceptions were added: their creation time is the clock's.
        as_of: OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
            + time::Duration::minutes(1),
    }
}

fn report(f: &Fixture, extra: &[&str], out: &Path) -> Output {
    let as_of = f.as_of.format(&Rfc3339).unwrap();
    let mut cmd = Command::new(binary("trustwatch-collector"));
    cmd.args(["report", "board", "--config"])
        .arg(&f.config)
        .args(["--as-of", &as_of, "--out"])
        .arg(out)
        .args(extra);
    run_bounded(&mut cmd, BOUND)
}

/// The text of the outcome tile for `id`.
fn outcome<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!(r#"<div class="id">{id}</div>"#))
        .unwrap_or_else(|| panic!("no tile for {id}"));
    let rest = &html[start..];
    &rest[..rest.find("</span>").unwrap()]
}

/// The KPI panel titled `title`, up to its chart.
fn panel<'a>(html: &'a str, title: &str) -> &'a str {
    let start = html
        .find(&format!(r#"<div class="title">{title}</div>"#))
        .unwrap_or_else(|| panic!("no panel {title}"));
    let rest = &html[start..];
    &rest[..rest.find("<svg").unwrap()]
}

fn output_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let dir = target.join("test-output/board");
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn board_report_rates_outcomes_charts_trends_and_prints_on_one_a4_page() {
    let f = fixture("");
    let out_dir = output_dir();
    let html_path = out_dir.join("board.html");
    let _ = fs::remove_file(&html_path);
    let html = board(&f, &html_path);
    check_page(&html, &f);
    print::print_and_check(&html_path, &out_dir);

    // The whole estate (one site here): each risk names its site.
    let estate = f.dir.join("estate.html");
    let run = report(&f, &[], &estate);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let estate = fs::read_to_string(estate).unwrap();
    assert!(estate.contains("Scope: all sites"));
    assert_eq!(
        estate
            .matches(r#"<span class="sub">site north</span>"#)
            .count(),
        5
    );
}

/// The same page from the same history in PostgreSQL: the store's reads
/// are one portable SQL text for both backends.
#[test]
fn board_report_reads_the_same_from_postgresql() {
    let pg = PgServer::start();
    let url = pg.create_database("board");
    let f = fixture(&format!("[store]\nbackend = \"postgres\"\nurl = \"{url}\""));
    let html = board(&f, &f.dir.join("board.html"));
    check_page(&html, &f);
}

/// Runs `report board` for site north over 90 days into `out`.
fn board(f: &Fixture, out: &Path) -> String {
    let run = report(f, &["--site", "north", "--period", "90d"], out);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "report failed: {stderr}");
    assert!(String::from_utf8_lossy(&run.stdout).contains("wrote the board report to"));
    fs::read_to_string(out).unwrap()
}

fn check_page(html: &str, f: &Fixture) {
    assert!(html.contains("Technical evidence only — not a DSPT self-assessment"));
    assert!(
        html.contains("Northshire &lt;Test&gt; NHS Trust"),
        "escaped"
    );
    assert!(!html.contains("<Test>"));
    assert!(!html.contains("<script"), "no JavaScript");
    for (id, colour, label) in [
        ("B3.b", "red", "Not achieved"),
        ("B4.b", "green", "Achieved"),
        ("B4.d", "red", "Not achieved"),
        ("C1.a", "amber", "Partially achieved"),
        ("A3.a", "amber", "Partially achieved"),
    ] {
        let tile = outcome(html, id);
        assert!(
            tile.ends_with(&format!(r#"<span class="pill {colour}">{label}"#)),
            "{id}: {tile}"
        );
    }

    assert_eq!(html.matches("<svg").count(), 6, "one chart per KPI");
    assert!(html.contains("13 points over the period"));
    let kpi = |title: &str, want: &[&str]| {
        let p = panel(html, title);
        for w in want {
            assert!(p.contains(w), "{title}: want {w:?} in {p}");
        }
    };
    kpi(
        "Hosts with no overdue high/critical fix",
        &[">75%<", "3 of 4 hosts"],
    );
    kpi(
        "Unsupported systems",
        &["0 not accepted · 1 accepted", "-1 since", "(better)"],
    );
    kpi(
        "Internet-exposed critical findings",
        &[r#"class="value">2<"#],
    );
    kpi(
        "Email domains fully protected",
        &[">100%<", "2 of 2 domains"],
    );
    kpi(
        "Certificates expiring within 30 days",
        &[r#"class="value">1<"#],
    );
    kpi("Agent coverage", &[">83%<", "5 of 6 agents"]);

    // The risk register entries, highest first.
    let risks = &html[html.find("Top risks").unwrap()..html.find("Exceptions register").unwrap()];
    let order: Vec<usize> = ["SVC-003", "CERT-002", "CERT-001", "TLS-006", "OS-001"]
        .iter()
        .map(|r| {
            risks
                .find(r)
                .unwrap_or_else(|| panic!("{r} not in {risks}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{risks}");
    for score in [
        "20 Extreme",
        "16 Extreme",
        "15 Extreme",
        "12 High",
        "10 High",
    ] {
        assert!(risks.contains(score), "{score} in {risks}");
    }
    assert_eq!(
        risks.matches("<tr>").count(),
        6,
        "a header and five entries"
    );
    assert!(
        risks.contains("Head of IT Infrastructure"),
        "the site's owner"
    );
    assert!(
        risks.contains("Clinical Systems Manager"),
        "the exception's owner"
    );

    let register = &html[html.find("Exceptions register").unwrap()..];
    assert!(
        register.contains("<b>2</b> live exceptions (0 expired without renewal, 1 withdrawn)"),
        "{register}"
    );
    assert!(register.contains("OS-001 on srv-2, owner Clinical Systems Manager"));
    let in_quarter =
        usize::from(f.as_of.date() + time::Duration::days(2) < quarter_end(f.as_of.date()));
    assert!(register.contains(&format!("<b>{in_quarter}</b> expiring this quarter")));
}

/// The first day of the next calendar quarter.
fn quarter_end(d: time::Date) -> time::Date {
    let m = d.month() as u8;
    let next = (m - 1) / 3 * 3 + 4;
    let (y, m) = if next > 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), next)
    };
    time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), 1).unwrap()
}

#[test]
fn bad_input_gets_one_clear_sentence() {
    let f = fixture("");
    let out = f.dir.join("board.html");
    let cases: [(&[&str], &Path, i32, &str); 3] = [
        (
            &["--site", "nowhere"],
            out.as_path(),
            2,
            "site `nowhere` is not in the store",
        ),
        (
            &["--period", "ninety"],
            out.as_path(),
            2,
            "--period `ninety` is not allowed",
        ),
        (
            &[],
            Path::new("/nonexistent-board-dir/board.html"),
            1,
            "cannot write the board report to /nonexistent-board-dir/board.html",
        ),
    ];
    for (args, path, code, want) in cases {
        let o = report(&f, args, path);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(!path.exists());
    }
}
