//! Broken configuration and baseline files: exit status 2 and one sentence
//! on stderr naming the file, the line and the key. Nothing is started.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use trustwatch_e2e::binary;
use trustwatch_e2e::process::run_bounded;

/// Runs `cmd` and checks it exits 2 with one line naming `file`, `line`
/// and `key`; returns that line.
fn assert_one_sentence_exit_2(cmd: &mut Command, file: &Path, line: usize, key: &str) -> String {
    let out = run_bounded(cmd, Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    let msg = lines[0];
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(msg.contains(name.as_ref()), "file not named: {msg}");
    assert!(
        msg.contains(&format!("line {line}")),
        "line {line} not named: {msg}"
    );
    assert!(msg.contains(key), "key {key} not named: {msg}");
    msg.to_owned()
}

#[test]
fn malformed_collector_config_exits_2_naming_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("collector.toml");
    fs::write(&config, "data_dir = \"data\"\n\n[ingest]\nlisten = \"127.0.0.1:1\"\nlisen = \"oops\"\n\n[http]\nlisten = \"127.0.0.1:2\"\n").unwrap();
    assert_one_sentence_exit_2(
        Command::new(binary("trustwatch-collector"))
            .arg("serve")
            .arg("--config")
            .arg(&config),
        &config,
        5,
        "lisen",
    );
    // A value of the wrong shape is named too.
    fs::write(&config, "data_dir = \"data\"\n\n[ingest]\nlisten = \"not an address\"\n\n[http]\nlisten = \"127.0.0.1:2\"\n").unwrap();
    assert_one_sentence_exit_2(
        Command::new(binary("trustwatch-collector"))
            .arg("serve")
            .arg("--config")
            .arg(&config),
        &config,
        4,
        "listen",
    );
}

#[test]
fn malformed_agent_config_exits_2_naming_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("agent.toml");
    fs::write(
        &config,
        "[collector]\nurl = \"https://127.0.0.1:1\"\nca = \"ca.crt\"\ncert = \"a.crt\"\nkey = \"a.key\"\n\n[schedule]\ninterval_secs = 3600\n\n[[tls]]\ntarget = \"127.0.0.1:443\"\nsnii = \"x\"\n",
    )
    .unwrap();
    assert_one_sentence_exit_2(
        Command::new(binary("trustwatch-agent"))
            .args(["run", "--once", "--config"])
            .arg(&config),
        &config,
        12,
        "snii",
    );
}

#[test]
fn malformed_baseline_file_exits_2_naming_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/baseline");
    for entry in fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), tmp.path().join(entry.file_name())).unwrap();
    }
    let cert = tmp.path().join("cert.toml");
    let text = fs::read_to_string(&cert).unwrap();
    let text = text.replacen("severity = \"critical\"", "severity = \"catastrophic\"", 1);
    let line = text
        .lines()
        .position(|l| l.contains("catastrophic"))
        .unwrap()
        + 1;
    fs::write(&cert, text).unwrap();
    assert_one_sentence_exit_2(
        Command::new(binary("trustwatch-agent"))
            .args([
                "scan",
                "--tls",
                "127.0.0.1:1",
                "--format",
                "json",
                "--baseline",
            ])
            .arg(tmp.path()),
        &cert,
        line,
        "severity",
    );
}

/// Writes a CA and an agent certificate into `dir` and returns the start of
/// an agent config whose collector section validates (its PEM files are
/// checked first), so that an error further down is the one reported.
fn valid_collector(dir: &Path) -> &'static str {
    let ca = trustwatch_e2e::pki::TestCa::new("Config errors test CA");
    ca.write_ca(dir);
    ca.leaf(dir, "agent", &["localhost"], -1, 30);
    "[collector]\nurl = \"https://127.0.0.1:1\"\nca = \"test-ca.pem\"\ncert = \"agent.crt\"\nkey = \"agent.key\"\n\n[schedule]\ninterval_secs = 3600\n\n"
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{text}"))
        + 1
}

#[test]
fn malformed_discovery_table_exits_2_naming_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    // A collector section that validates, so the error is the discovery's.
    let head = valid_collector(tmp.path());
    let head = format!("{head}[[discovery]]\nhosts = [\"127.0.0.1\"]\nports = \"22\"\n\n");
    let config = tmp.path().join("agent.toml");
    fs::write(
        tmp.path().join("bad-register.toml"),
        "[[approved]]\nhost = \"10.0.0.5/24\"\nport = 22\n",
    )
    .unwrap();
    for (table, needle, key) in [
        // A port past 65535.
        (
            "[[discovery]]\nhosts = [\"127.0.0.1\"]\nports = \"T:1-99999\"\n",
            "99999",
            "discovery[1].ports",
        ),
        // Public address space without allow_public.
        (
            "[[discovery]]\nhosts = [\"10.0.0.0/24\", \"81.2.69.0/28\"]\nports = \"22\"\n",
            "81.2.69.0/28",
            "discovery[1].hosts",
        ),
        // A misspelt key.
        (
            "[[discovery]]\nhosts = [\"127.0.0.1\"]\nprots = \"22\"\n",
            "prots",
            "discovery[1].prots",
        ),
        // An approved-services register that is not there.
        (
            "[[discovery]]\nhosts = [\"127.0.0.1\"]\nports = \"22\"\napproved = \"no-such-register.toml\"\n",
            "no-such-register",
            "discovery[1].approved",
        ),
        // A register that is there but wrong: both files are named.
        (
            "[[discovery]]\nhosts = [\"127.0.0.1\"]\nports = \"22\"\napproved = \"bad-register.toml\"\n",
            "bad-register",
            "approved[0].host",
        ),
    ] {
        let text = format!("{head}{table}");
        fs::write(&config, &text).unwrap();
        assert_one_sentence_exit_2(
            Command::new(binary("trustwatch-agent"))
                .args(["run", "--once", "--config"])
                .arg(&config),
            &config,
            line_of(&text, needle),
            key,
        );
    }
}

#[test]
fn packages_table_with_missing_advisories_exits_2_naming_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    // A collector section that validates (its PEM files are checked
    // first), so the error is the packages table's.
    let head = valid_collector(tmp.path());
    fs::create_dir(tmp.path().join("system")).unwrap();
    let text =
        &format!("{head}[packages]\nroot = \"system\"\nadvisories = \"no-such-advisories.db\"\n");
    let config = tmp.path().join("agent.toml");
    fs::write(&config, text).unwrap();
    let msg = assert_one_sentence_exit_2(
        Command::new(binary("trustwatch-agent"))
            .args(["run", "--once", "--config"])
            .arg(&config),
        &config,
        line_of(text, "no-such-advisories"),
        "packages.advisories",
    );
    // The missing file is named too, not only the key that names it.
    assert!(msg.contains("no-such-advisories.db"), "{msg}");
}

#[test]
fn malformed_domains_table_exits_2_naming_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    // A collector section that validates, so the error is the domains'.
    let head = valid_collector(tmp.path());
    let config = tmp.path().join("agent.toml");
    for (table, needle, key) in [
        (
            "[domains]\ndomains = [\"good.test\", \"not a domain\"]\n",
            "not a domain",
            "domains.domains",
        ),
        (
            "[domains]\ndomains = [\"good.test\"]\nresolver = \"localhost\"\n",
            "resolver",
            "domains.resolver",
        ),
        (
            "[domains]\ndomains = [\"good.test\"]\naccredited = \"no-such-list.txt\"\n",
            "no-such-list",
            "domains.accredited",
        ),
        (
            "[domains]\ndomains = [\"good.test\"]\nresolvr = \"127.0.0.1:53\"\n",
            "resolvr",
            "resolvr",
        ),
    ] {
        let text = format!("{head}{table}");
        fs::write(&config, &text).unwrap();
        assert_one_sentence_exit_2(
            Command::new(binary("trustwatch-agent"))
                .args(["run", "--once", "--config"])
                .arg(&config),
            &config,
            line_of(&text, needle),
            key,
        );
    }
}
