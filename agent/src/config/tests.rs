use super::*;

/// A folder with the collector CA and an agent identity, as `demo` makes.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["agent".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    std::fs::write(dir.path().join("ca.crt"), ca.pem()).unwrap();
    std::fs::write(dir.path().join("agent.crt"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("agent.key"), key.serialize_pem()).unwrap();
    dir
}

const GOOD: &str = r#"[agent]
name = "demo-agent"

[collector]
url = "https://127.0.0.1:8443"
ca = "ca.crt"
cert = "agent.crt"
key = "agent.key"

[schedule]
interval_secs = 3600

[scan]
timeout_secs = 5

[[tls]]
target = "127.0.0.1:8443"
sni = "localhost"
ca = ["ca.crt"]

[[tls]]
target = "[::1]:443"
"#;

fn parse(dir: &tempfile::TempDir, text: &str) -> Result<Config> {
    Config::parse(&dir.path().join("agent.toml"), text)
}

/// (line, key, problem) of a config error.
fn error(text: &str) -> (usize, String, String) {
    let dir = fixture();
    match parse(&dir, text) {
        Err(Error::Config {
            line, key, problem, ..
        }) => (line, key, problem),
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn the_documented_example_is_valid() {
    let dir = fixture();
    let config = parse(&dir, GOOD).unwrap();
    assert_eq!(config.agent_name.as_deref(), Some("demo-agent"));
    assert_eq!(config.interval, Duration::from_secs(3600));
    assert_eq!(config.limits.timeout, Duration::from_secs(5));
    assert_eq!(
        config.collector.reports_url(),
        "https://127.0.0.1:8443/api/v1/reports"
    );
    assert_eq!(config.tls.len(), 2);
    assert_eq!(
        config.tls[0].sni.as_ref().map(|s| s.as_ref()),
        Some("localhost")
    );
    assert_eq!(config.tls[0].anchors.private.len(), 1);
    assert_eq!(config.tls[1].target.as_str(), "[::1]:443");
}

#[test]
fn optional_tables_take_defaults() {
    let dir = fixture();
    let text = "[collector]\nurl = \"https://c.example\"\nca = \"ca.crt\"\ncert = \"agent.crt\"\nkey = \"agent.key\"\n[[tls]]\ntarget = \"127.0.0.1:1\"\n";
    let config = parse(&dir, text).unwrap();
    assert_eq!(config.interval, Duration::from_secs(3600));
    assert_eq!(config.limits.timeout, Duration::from_secs(10));
    assert_eq!(config.agent_name, None);
}

#[test]
fn unknown_keys_are_named_with_their_line() {
    let (line, key, problem) = error(&GOOD.replace(
        "key = \"agent.key\"",
        "key = \"agent.key\"\nkeyfile = \"x\"",
    ));
    assert_eq!((line, key.as_str()), (9, "collector.keyfile"));
    assert!(problem.contains("unknown field `keyfile`"), "{problem}");
}

#[test]
fn wrong_types_are_named() {
    let (line, key, _) = error(&GOOD.replace("interval_secs = 3600", "interval_secs = \"hourly\""));
    assert_eq!((line, key.as_str()), (11, "schedule.interval_secs"));
}

#[test]
fn url_must_be_https() {
    let (line, key, problem) =
        error(&GOOD.replace("https://127.0.0.1:8443", "http://127.0.0.1:8443"));
    assert_eq!((line, key.as_str()), (5, "collector.url"));
    assert!(problem.contains("https://"), "{problem}");
}

#[test]
fn ranges_are_checked() {
    let (line, key, problem) = error(&GOOD.replace("interval_secs = 3600", "interval_secs = 5"));
    assert_eq!((line, key.as_str()), (11, "schedule.interval_secs"));
    assert_eq!(problem, "must be from 10 to 604800, not 5");
    let (line, key, _) = error(&GOOD.replace("timeout_secs = 5", "timeout_secs = 0"));
    assert_eq!((line, key.as_str()), (14, "scan.timeout_secs"));
}

#[test]
fn missing_files_name_the_path() {
    let (line, key, problem) = error(&GOOD.replace("cert = \"agent.crt\"", "cert = \"nope.crt\""));
    assert_eq!((line, key.as_str()), (7, "collector.cert"));
    assert!(problem.contains("nope.crt: cannot be read"), "{problem}");
    let (line, key, problem) = error(&GOOD.replace("ca = [\"ca.crt\"]", "ca = [\"agent.key\"]"));
    assert_eq!((line, key.as_str()), (19, "tls[0].ca"));
    assert!(problem.contains("no PEM certificate"), "{problem}");
}

#[test]
fn mismatched_key_is_refused() {
    let dir = fixture();
    let other = rcgen::KeyPair::generate().unwrap();
    std::fs::write(dir.path().join("other.key"), other.serialize_pem()).unwrap();
    match parse(
        &dir,
        &GOOD.replace("key = \"agent.key\"", "key = \"other.key\""),
    ) {
        Err(Error::Config { line: 8, key, .. }) => assert_eq!(key, "collector.key"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn targets_and_sni_are_validated() {
    let (line, key, problem) =
        error(&GOOD.replace("target = \"[::1]:443\"", "target = \"::1:443\""));
    assert_eq!((line, key.as_str()), (22, "tls[1].target"));
    assert!(problem.contains("brackets"), "{problem}");
    let (_, key, _) = error(&GOOD.replace("sni = \"localhost\"", "sni = \"10.0.0.1\""));
    assert_eq!(key, "tls[0].sni");
}

#[test]
fn no_local_targets_is_valid_for_an_agent_run_by_central_policy() {
    // An enrolled agent may scan only what its site's policy adds; the
    // daemon says so when a cycle finds nothing to scan.
    let dir = fixture();
    let text = GOOD.split("[[tls]]").next().unwrap();
    let config = parse(&dir, text).unwrap();
    assert!(config.tls.is_empty() && config.discovery.is_empty());
    assert!(config.packages.is_none() && config.domains.is_none());
}

#[test]
fn missing_required_keys_are_reported() {
    let (_, key, problem) = error(&GOOD.replace("url = \"https://127.0.0.1:8443\"\n", ""));
    assert!(key.starts_with("collector"), "{key}");
    assert!(problem.contains("missing field `url`"), "{problem}");
}

#[test]
fn messages_are_one_line_naming_file_line_and_key() {
    let dir = fixture();
    let err = parse(
        &dir,
        &GOOD.replace("interval_secs = 3600", "interval_secs = 5"),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.ends_with(
            "agent.toml line 11, key `schedule.interval_secs`: must be from 10 to 604800, not 5"
        ),
        "{text}"
    );
    assert!(!text.contains('\n'));
}

#[test]
fn starttls_by_key_or_by_port() {
    let dir = fixture();
    let text = GOOD.replace(
        "target = \"[::1]:443\"",
        "target = \"[::1]:443\"\nstarttls = \"SMTP\"\n\n[[tls]]\ntarget = \"mail.example:25\"\n\n[[tls]]\ntarget = \"db.example:5432\"\nstarttls = \"none\"",
    );
    let config = parse(&dir, &text).unwrap();
    let starttls: Vec<_> = config.tls.iter().map(|t| t.starttls).collect();
    use crate::starttls::Starttls;
    assert_eq!(
        starttls,
        [None, Some(Starttls::Smtp), Some(Starttls::Smtp), None]
    );
    let (line, key, problem) = error(&GOOD.replace(
        "target = \"[::1]:443\"",
        "target = \"[::1]:443\"\nstarttls = \"smtps\"",
    ));
    assert_eq!((line, key.as_str()), (23, "tls[1].starttls"));
    assert!(
        problem.contains("unknown STARTTLS protocol `smtps`"),
        "{problem}"
    );
}

#[test]
fn schedule_defaults_and_ranges() {
    let dir = fixture();
    let config = parse(&dir, GOOD).unwrap();
    assert_eq!(config.schedule, Schedule::default());
    assert_eq!(
        (config.schedule.concurrency, config.schedule.per_host),
        (32, 1)
    );
    let text = GOOD.replace(
        "timeout_secs = 5",
        "timeout_secs = 5\nconcurrency = 4\nper_host = 2",
    );
    let config = parse(&dir, &text).unwrap();
    assert_eq!(
        (config.schedule.concurrency, config.schedule.per_host),
        (4, 2)
    );
    let (line, key, problem) =
        error(&GOOD.replace("timeout_secs = 5", "timeout_secs = 5\nper_host = 0"));
    assert_eq!((line, key.as_str()), (15, "scan.per_host"));
    assert_eq!(problem, "must be from 1 to 64, not 0");
    let (_, key, problem) =
        error(&GOOD.replace("timeout_secs = 5", "timeout_secs = 5\nconcurrency = 5000"));
    assert_eq!(key, "scan.concurrency");
    assert_eq!(problem, "must be from 1 to 1024, not 5000");
}

#[test]
fn the_spool_defaults_beside_the_config() {
    let dir = fixture();
    let config = parse(&dir, GOOD).unwrap();
    assert_eq!(config.spool.dir, dir.path().join("spool"));
    assert_eq!(config.spool.limits, crate::spool::SpoolLimits::default());
    assert_eq!(config.spool.limits.max_bytes, 256 * 1024 * 1024);
    assert_eq!(
        config.spool.limits.max_age,
        Duration::from_secs(14 * 86_400)
    );
}

#[test]
fn the_spool_table_is_read_and_checked() {
    let dir = fixture();
    let with = |table: &str| format!("{GOOD}\n[spool]\n{table}\n");
    let config = parse(
        &dir,
        &with("dir = \"queue\"\nmax_bytes = 1048576\nmax_age_days = 2"),
    )
    .unwrap();
    assert_eq!(config.spool.dir, dir.path().join("queue"));
    assert_eq!(config.spool.limits.max_bytes, 1 << 20);
    assert_eq!(config.spool.limits.max_age, Duration::from_secs(2 * 86_400));
    let abs = dir.path().join("elsewhere");
    let config = parse(
        &dir,
        &with(&format!("dir = {:?}", abs.display().to_string())),
    )
    .unwrap();
    assert_eq!(config.spool.dir, abs);

    // GOOD has 22 lines; `[spool]` is line 24.
    let (line, key, problem) = error(&with("max_bytes = 1000"));
    assert_eq!((line, key.as_str()), (25, "spool.max_bytes"));
    assert_eq!(problem, "must be from 1048576 to 1099511627776, not 1000");
    let (line, key, problem) = error(&with("max_age_days = 0"));
    assert_eq!((line, key.as_str()), (25, "spool.max_age_days"));
    assert_eq!(problem, "must be from 1 to 365, not 0");
    let (line, key, problem) = error(&with("max_age = 3"));
    assert_eq!((line, key.as_str()), (25, "spool.max_age"));
    assert!(problem.contains("unknown field `max_age`"), "{problem}");
    let (_, key, problem) = error(&with("dir = \"\""));
    assert_eq!(
        (key.as_str(), problem.as_str()),
        ("spool.dir", "must name a folder")
    );
    let (_, key, _) = error(&with("max_bytes = \"big\""));
    assert_eq!(key, "spool.max_bytes");
}

#[test]
fn the_enrolled_name_is_the_certificate_cn() {
    let dir = fixture();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ward-7");
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.path().join("agent.crt"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("agent.key"), key.serialize_pem()).unwrap();
    let config = parse(&dir, GOOD).unwrap();
    assert_eq!(config.enrolled_name, "ward-7");
    // `[agent] name` is the vantage only.
    assert_eq!(config.agent_name.as_deref(), Some("demo-agent"));
    assert_eq!(config.identity_files.key, dir.path().join("agent.key"));
}
