//! The page as paper: Debian's headless Chromium prints it, poppler's
//! `pdfinfo` counts the pages.

use std::fs;
use std::path::Path;
use std::process::Command;

use trustwatch_e2e::process::run_bounded;

use super::BOUND;

const CHROMIUM: &str = "/usr/bin/chromium";
const PDFINFO: &str = "/usr/bin/pdfinfo";

/// Chromium prints the page to PDF (one page, or the layout is wrong) and
/// takes an A4-shaped screenshot at 150 dpi.
pub fn print_and_check(html: &Path, out_dir: &Path) {
    for tool in [CHROMIUM, PDFINFO] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: install chromium, poppler-utils and fonts-liberation (scripts/test does)"
        );
    }
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", html.display());
    let pdf = out_dir.join("board.pdf");
    let png = out_dir.join("board.png");
    let _ = fs::remove_file(&pdf);
    let _ = fs::remove_file(&png);
    let chromium = |extra: &[String]| {
        let mut cmd = Command::new(CHROMIUM);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .env("HOME", profile.path())
        .args(extra)
        .arg(&url);
        let out = run_bounded(&mut cmd, BOUND);
        assert!(
            out.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    chromium(&[
        format!("--print-to-pdf={}", pdf.display()),
        "--no-pdf-header-footer".into(),
    ]);
    chromium(&[
        format!("--screenshot={}", png.display()),
        // A4 at 96 dpi drawn at 1.5×: a 1240 × 1754 picture (150 dpi)
        // that the page's 210 mm fill.
        "--window-size=827,1170".into(),
        "--force-device-scale-factor=1.5".into(),
        "--hide-scrollbars".into(),
    ]);
    assert!(
        fs::metadata(&png).unwrap().len() > 10_000,
        "a real screenshot"
    );
    let info = run_bounded(Command::new(PDFINFO).arg(&pdf), BOUND);
    let info = String::from_utf8_lossy(&info.stdout);
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(str::trim);
    assert_eq!(
        pages,
        Some("1"),
        "the board report must print on one page:\n{info}"
    );
    let size = info
        .lines()
        .find(|l| l.starts_with("Page size:"))
        .unwrap_or("");
    assert!(size.contains("(A4)"), "A4: {size}");
}
