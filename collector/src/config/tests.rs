use std::path::Path;

use super::*;

const FULL: &str = r#"
data_dir = "state"

[ingest]
listen = "0.0.0.0:8443"
server_names = ["collector.example.nhs.uk"]
max_report_bytes = 8388608

[http]
listen = "127.0.0.1:9464"

[agents]
stale_after_secs = 86400
"#;

fn parse(text: &str) -> Result<Config> {
    Config::parse(text, Path::new("/etc/trustwatch/collector.toml"))
}

fn message(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn full_example_parses_and_resolves_data_dir_against_the_file() {
    let c = parse(FULL).unwrap();
    assert_eq!(c.data_dir, Path::new("/etc/trustwatch/state"));
    assert_eq!(c.ingest.listen, "0.0.0.0:8443".parse().unwrap());
    assert_eq!(c.ingest.server_names, ["collector.example.nhs.uk"]);
    assert_eq!(c.ingest.max_report_bytes, 8_388_608);
    assert_eq!(c.http.listen, "127.0.0.1:9464".parse().unwrap());
    assert_eq!(c.agents.stale_after, Duration::from_secs(86_400));
}

#[test]
fn absolute_data_dir_and_defaults() {
    let c = parse("data_dir = \"/var/lib/trustwatch\"\n").unwrap();
    assert_eq!(c.data_dir, Path::new("/var/lib/trustwatch"));
    assert_eq!(c.ingest.listen, "0.0.0.0:8443".parse().unwrap());
    assert_eq!(c.ingest.max_report_bytes, DEFAULT_MAX_REPORT_BYTES);
    assert_eq!(c.http.listen, "127.0.0.1:9464".parse().unwrap());
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let text = FULL.replace("max_report_bytes = 8388608", "max_report_byte = 1");
    let m = message(&text);
    assert!(
        m.starts_with("/etc/trustwatch/collector.toml line 7, key `ingest.max_report_byte`:"),
        "{m}"
    );
    assert!(m.contains("unknown field"), "{m}");
}

#[test]
fn unknown_table_is_refused() {
    let m = message("data_dir = \"x\"\n[ingset]\nlisten = \"1.2.3.4:1\"\n");
    assert!(
        m.contains("key `ingset`") && m.contains("unknown field"),
        "{m}"
    );
}

#[test]
fn wrong_type_names_the_key_and_line() {
    let text = FULL.replace("stale_after_secs = 86400", "stale_after_secs = \"a day\"");
    let m = message(&text);
    assert!(m.contains("line 13, key `agents.stale_after_secs`"), "{m}");
}

#[test]
fn missing_data_dir_is_named() {
    let m = message("[http]\nlisten = \"127.0.0.1:1\"\n");
    assert!(
        m.contains("key `data_dir`") && m.contains("missing field"),
        "{m}"
    );
}

#[test]
fn malformed_toml_names_a_line() {
    let m = message("data_dir = \"x\"\n[ingest\n");
    assert!(m.contains("collector.toml line 2"), "{m}");
}

#[test]
fn validation_errors_name_line_and_key() {
    let cases = [
        (
            "listen = \"0.0.0.0:8443\"",
            "listen = \"everywhere\"",
            "line 5, key `ingest.listen`",
        ),
        (
            "server_names = [\"collector.example.nhs.uk\"]",
            "server_names = [\"*.example.nhs.uk\"]",
            "line 6, key `ingest.server_names`",
        ),
        (
            "server_names = [\"collector.example.nhs.uk\"]",
            "server_names = [\"bad name\"]",
            "line 6, key `ingest.server_names`",
        ),
        (
            "max_report_bytes = 8388608",
            "max_report_bytes = 10",
            "line 7, key `ingest.max_report_bytes`",
        ),
        (
            "listen = \"127.0.0.1:9464\"",
            "listen = \"0.0.0.0:8443\"",
            "line 10, key `http.listen`",
        ),
        (
            "stale_after_secs = 86400",
            "stale_after_secs = 5",
            "line 13, key `agents.stale_after_secs`",
        ),
        (
            "data_dir = \"state\"",
            "data_dir = \"\"",
            "line 2, key `data_dir`",
        ),
    ];
    for (from, to, want) in cases {
        let text = FULL.replace(from, to);
        let err = parse(&text).unwrap_err();
        assert!(matches!(err, Error::ConfigInvalid { .. }), "{err}");
        assert!(err.is_usage());
        let m = err.to_string();
        assert!(
            m.starts_with("/etc/trustwatch/collector.toml ") && m.contains(want),
            "{want}: {m}"
        );
        assert_eq!(m.lines().count(), 1, "one sentence: {m}");
    }
}

#[test]
fn unreadable_file_is_named() {
    let err = Config::load(Path::new("/nonexistent/collector.toml")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("/nonexistent/collector.toml: cannot be read"),
        "{err}"
    );
    assert!(err.is_usage());
}

#[test]
fn retention_and_ingest_queue_default_and_are_validated() {
    let c = parse("data_dir = \"/d\"\n").unwrap();
    assert_eq!(c.ingest.max_queued_reports, DEFAULT_MAX_QUEUED_REPORTS);
    assert_eq!(
        (c.retention.report_bodies_days, c.retention.history_days),
        (DEFAULT_REPORT_BODIES_DAYS, DEFAULT_HISTORY_DAYS)
    );
    let c = parse(
        "data_dir = \"/d\"\n[ingest]\nmax_queued_reports = 10\n\
         [retention]\nreport_bodies_days = 30\nhistory_days = 30\n",
    )
    .unwrap();
    assert_eq!(c.ingest.max_queued_reports, 10);
    assert_eq!(
        (c.retention.report_bodies_days, c.retention.history_days),
        (30, 30)
    );
    for (text, want) in [
        (
            "[ingest]\nmax_queued_reports = 0\n",
            "line 3, key `ingest.max_queued_reports`: 0 is outside",
        ),
        (
            "[retention]\nhistory_days = 0\n",
            "line 3, key `retention.history_days`: 0 is outside",
        ),
        (
            "[retention]\nreport_bodies_days = 9999\n",
            "line 3, key `retention.report_bodies_days`: 9999 is outside",
        ),
        (
            "[retention]\nreport_bodies_days = 100\nhistory_days = 50\n",
            "line 3, key `retention.report_bodies_days`: 100 is longer than history_days (50)",
        ),
    ] {
        let m = message(&format!("data_dir = \"/d\"\n{text}"));
        assert!(m.contains(want), "{want}: {m}");
        assert_eq!(m.lines().count(), 1, "one sentence: {m}");
    }
}

#[test]
fn enrolment_settings_default_and_are_checked() {
    let c = parse(FULL).unwrap();
    assert_eq!(c.enrol.cert_days, DEFAULT_CERT_DAYS);
    assert_eq!(c.ingest.public_url, None);

    let c = parse(&format!("{FULL}\n[enrol]\ncert_days = 90\n")).unwrap();
    assert_eq!(c.enrol.cert_days, 90);
    for bad in ["0", "91", "-1"] {
        let m = message(&format!("{FULL}\n[enrol]\ncert_days = {bad}\n"));
        assert!(
            m.contains("key `enrol.cert_days`") && m.contains("outside 1..=90"),
            "{m}"
        );
    }

    let with_url = |url: &str| {
        FULL.replace(
            "max_report_bytes = 8388608",
            &format!("max_report_bytes = 8388608\npublic_url = \"{url}\""),
        )
    };
    for (url, want) in [
        (
            "https://collector.example.nhs.uk:8443",
            "https://collector.example.nhs.uk:8443",
        ),
        ("https://10.0.0.1/", "https://10.0.0.1"),
        ("https://[::1]:8443", "https://[::1]:8443"),
    ] {
        assert_eq!(
            parse(&with_url(url)).unwrap().ingest.public_url.as_deref(),
            Some(want)
        );
    }
    for (url, why) in [
        ("http://c.example:8443", "https://"),
        ("https://c.example:8443/ingest", "path"),
        ("https://user@c.example", "user information"),
        ("c.example:8443", "https://"),
        ("https://", "not a URL"),
    ] {
        let m = message(&with_url(url));
        assert!(
            m.contains("key `ingest.public_url`") && m.contains(why),
            "{url}: {m}"
        );
    }
}

#[test]
fn board_names_default_to_none_and_blank_ones_are_refused() {
    assert_eq!(parse(FULL).unwrap().board, BoardConfig::default());
    let c = parse(&format!(
        "{FULL}\n[board]\ntrust_name = \"Northshire NHS Trust\"\n[board.owners]\nnorth = \"Head of IT\"\n"
    ))
    .unwrap();
    assert_eq!(c.board.trust_name.as_deref(), Some("Northshire NHS Trust"));
    assert_eq!(
        c.board.owners.get("north").map(String::as_str),
        Some("Head of IT")
    );
    let m = message(&format!("{FULL}\n[board]\ntrust_name = \" \"\n"));
    assert!(
        m.contains("key `board.trust_name`") && m.contains("blank"),
        "{m}"
    );
    let m = message(&format!("{FULL}\n[board.owners]\nsouth = \"\"\n"));
    assert!(
        m.contains("key `board.owners`") && m.contains("`south`"),
        "{m}"
    );
    let m = message(&format!("{FULL}\n[board]\nowner = \"x\"\n"));
    assert!(
        m.contains("board.owner") && m.contains("unknown field"),
        "{m}"
    );
}
