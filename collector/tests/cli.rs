//! The real `trustwatch-collector` binary: exit statuses, messages, files,
//! and a clean stop on Ctrl-C. The demo's agent side is exercised with a
//! stand-in script (the real agent is covered by the e2e crate).

#[path = "shared/cli.rs"]
mod cli;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cli::{assert_usage, run_env, stderr, BIN, BOUND};

#[test]
fn a_bad_config_exits_2_with_one_sentence_naming_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("collector.toml"),
        "data_dir = \"d\"\n[http]\nlisten = \"nowhere\"\n",
    )
    .unwrap();
    let out = run_env(&["serve", "--config", "collector.toml"], tmp.path(), &[]);
    assert_usage(&out, "collector.toml line 3, key `http.listen`");
    assert!(
        !tmp.path().join("d").exists(),
        "nothing created before the config is valid"
    );
}

#[test]
fn agent_cert_writes_a_bundle_and_refuses_bad_names() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_env(
        &[
            "agent-cert",
            "ward-1",
            "--site",
            "north",
            "--days",
            "10",
            "--out",
            "bundle",
            "--data-dir",
            "data",
        ],
        tmp.path(),
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for f in ["agent.crt", "agent.key", "ca.crt"] {
        assert!(tmp.path().join("bundle").join(f).is_file(), "{f}");
    }
    let mode = std::fs::metadata(tmp.path().join("bundle/agent.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        std::fs::read(tmp.path().join("bundle/ca.crt")).unwrap(),
        std::fs::read(tmp.path().join("data/ca.crt")).unwrap()
    );

    let out = run_env(
        &["agent-cert", "ward 1", "--out", "x", "--data-dir", "data"],
        tmp.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("agent name `ward 1`"),
        "{}",
        stderr(&out)
    );
    let out = run_env(&["agent-cert", "ward-1", "--out", "x"], tmp.path(), &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--config or --data-dir is required"
    );
}

#[test]
fn demo_without_an_agent_binary_says_how_to_build_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_env(
        &[
            "demo",
            "--once",
            "--dir",
            "demo",
            "--ingest-listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
        ],
        tmp.path(),
        &[("TRUSTWATCH_AGENT_BIN", "/nonexistent/trustwatch-agent")],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("cargo build --release -p trustwatch-agent"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn demo_writes_the_agent_config_and_fails_when_the_agent_dies_without_reporting() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = tmp.path().join("fake-agent");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/agent-args\"\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run_env(
        &[
            "demo",
            "--once",
            "--dir",
            "demo",
            "--tls",
            "127.0.0.1:9",
            "--ingest-listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
        ],
        tmp.path(),
        &[("TRUSTWATCH_AGENT_BIN", fake.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the agent exited"),
        "{}",
        stderr(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("DELIBERATELY MISCONFIGURED"), "{stdout}");

    let demo = tmp.path().join("demo").canonicalize().unwrap();
    let args = std::fs::read_to_string(tmp.path().join("agent-args")).unwrap();
    assert_eq!(
        args.trim(),
        format!("run --config {} --once", demo.join("agent.toml").display())
    );

    let config: toml::Table = std::fs::read_to_string(demo.join("agent.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(config["agent"]["name"].as_str(), Some("demo-agent"));
    let url = config["collector"]["url"].as_str().unwrap();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    for key in ["ca", "cert", "key"] {
        let file = config["collector"][key].as_str().unwrap();
        assert!(demo.join(file).is_file(), "{key} = {file}");
    }
    assert_eq!(config["schedule"]["interval_secs"].as_integer(), Some(60));
    assert_eq!(config["scan"]["timeout_secs"].as_integer(), Some(5));
    let tls = config["tls"].as_array().unwrap();
    assert_eq!(tls.len(), 3);
    assert_eq!(tls[0]["target"].as_str(), url.strip_prefix("https://"));
    assert_eq!(tls[0]["sni"].as_str(), Some("localhost"));
    let target_ca = tls[1]["ca"][0].as_str().unwrap();
    assert!(demo.join(target_ca).is_file());
    assert_eq!(tls[2]["target"].as_str(), Some("127.0.0.1:9"));
}

#[test]
fn serve_prints_its_addresses_and_stops_cleanly_on_ctrl_c() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("collector.toml"),
        "data_dir = \"data\"\n[ingest]\nlisten = \"127.0.0.1:0\"\n[http]\nlisten = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--config", "collector.toml"])
        .current_dir(tmp.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.starts_with("metrics: ")) {
        lines.push(rx.recv_timeout(BOUND).expect("serve prints its addresses"));
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("collector CA created: ")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ingest (mutual TLS): https://127.0.0.1:")),
        "{lines:?}"
    );
    let metrics = lines.iter().find(|l| l.starts_with("metrics: ")).unwrap();
    assert!(
        !metrics.contains(":0/"),
        "real ports are printed: {metrics}"
    );
    assert_eq!(
        std::fs::metadata(tmp.path().join("data/ca.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < BOUND, "serve stops after Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    assert_eq!(rx.recv_timeout(BOUND).unwrap(), "collector stopped");
}
