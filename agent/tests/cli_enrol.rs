//! `trustwatch-agent enrol`: what a person sees for a bad token (exit 2,
//! one sentence), an unreachable collector and a server that is not the
//! pinned collector (exit 1), with nothing written in either case.

use std::process::{Command, Output};
use std::time::Duration;

use trustwatch_agent::enrol::Token;

fn enrol(args: &[&str], dir: &std::path::Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trustwatch-agent"))
        .arg("enrol")
        .args(args)
        .arg("--dir")
        .arg(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run trustwatch-agent");
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().expect("poll").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("enrol did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_malformed_token_exits_2_with_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    for (token, words) in [
        ("hello", "does not start with `twe1_`"),
        ("twe1_!!!", "not base64url"),
        ("twe1_e30", "not the expected JSON"),
    ] {
        let out = enrol(&[token, "--name", "ward-7"], dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{token}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("trustwatch-agent: the enrolment token"),
            "{err}"
        );
        assert!(err.contains(words), "{token}: {err}");
    }
    let good = Token::encode("https://127.0.0.1:1", &[0; 32], "i", "s");
    let out = enrol(&[&good, "--name", "no spaces allowed"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--name"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn an_unreachable_collector_exits_1_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("https://127.0.0.1:{}", free_port());
    let token = Token::encode(&url, &[7; 32], "tok", "secret-value");
    let out = enrol(&[&token, "--name", "ward-7"], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with(&format!("trustwatch-agent: cannot reach the collector at {url}/api/v1/enrol: connection refused")),
        "{err}"
    );
    assert!(!err.contains("secret-value"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
