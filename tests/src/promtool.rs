//! Real promtool, from Debian's `prometheus` package (scripts/test installs it).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn promtool() -> Command {
    assert!(
        Path::new("/usr/bin/promtool").exists() || which("promtool"),
        "promtool is not installed: run scripts/test, which installs Debian's prometheus package"
    );
    Command::new("promtool")
}

fn which(cmd: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(cmd).is_file()))
        .unwrap_or(false)
}

/// `promtool check metrics` on a scrape; returns (success, combined output).
pub fn check_metrics(scrape: &str) -> (bool, String) {
    let mut child = promtool()
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(scrape.as_bytes())
        .expect("write scrape to promtool");
    let out = child.wait_with_output().expect("promtool finished");
    (out.status.success(), combined(&out))
}

/// Runs promtool with `args` from `dir`.
pub fn run(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = promtool()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run promtool");
    (out.status.success(), combined(&out))
}

fn combined(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
