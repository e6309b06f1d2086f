//! What the command-line test binaries share: run the real
//! `trustwatch-collector` under a time bound, read what it printed, and
//! check the one-sentence usage error. Included with `#[path]` (a file
//! directly in `tests/` would be built as a test binary of its own).

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_trustwatch-collector");
/// How long any one command may run before the test fails.
pub const BOUND: Duration = Duration::from_secs(20);

/// Runs the binary in `dir` with `env` added and `RUST_LOG` removed (so a
/// developer's setting cannot change what is printed); kills it and fails
/// after [`BOUND`].
pub fn run_env(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > BOUND {
            let _ = child.kill();
            panic!("{args:?} did not finish within {BOUND:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Runs the binary as the login `user`, which admin events record as the
/// actor `cli:<user>`.
pub fn run_as(user: &str, args: &[&str], dir: &Path) -> Output {
    run_env(args, dir, &[("USER", user)])
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 2 and exactly one line on stderr containing `want`.
pub fn assert_usage(o: &Output, want: &str) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "one sentence: {e}");
    assert!(e.contains(want), "{want}: {e}");
}
