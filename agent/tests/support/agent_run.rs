//! Running the real agent binary once (`run --once`) with a config written
//! next to the test's PKI files, bounded in time.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// Writes `config_text` to `dir/agent.toml` and runs `trustwatch-agent run
/// --once` on it with `RUST_LOG=log`; fails the test past 60 s.
pub async fn run_once(dir: &Path, config_text: &str, log: &str) -> Output {
    let file = dir.join("agent.toml");
    std::fs::write(&file, config_text).unwrap();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_trustwatch-agent"))
        .args(["run", "--once", "--config"])
        .arg(&file)
        .env("RUST_LOG", log)
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(60), child)
        .await
        .expect("agent --once finished within 60s")
        .expect("run trustwatch-agent")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
