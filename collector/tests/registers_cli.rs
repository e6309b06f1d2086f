//! The register commands of the real `trustwatch-collector` binary: API
//! tokens, exceptions and policy on the store a collector.toml names, with
//! exit statuses and one-sentence errors.

#[path = "shared/cli.rs"]
mod cli;

use std::path::Path;
use std::process::Output;

use cli::{assert_usage, stderr, stdout};

fn run(args: &[&str], dir: &Path) -> Output {
    cli::run_as("operator", args, dir)
}

fn setup() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("collector.toml"), "data_dir = \"data\"\n").unwrap();
    std::fs::create_dir(tmp.path().join("data")).unwrap();
    tmp
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}{}", stdout(out), stderr(out));
    stdout(out)
}

#[test]
fn api_tokens_are_printed_once_listed_and_revoked() {
    let tmp = setup();
    let c = ["--config", "collector.toml"];
    let out = run(
        &[
            &["api-token", "create"][..],
            &c,
            &["--name", "grafana", "--role", "auditor", "--ttl", "30d"],
        ]
        .concat(),
        tmp.path(),
    );
    let token = ok(&out).trim().to_owned();
    assert!(
        token.starts_with("twa_") && token.lines().count() == 1,
        "{token}"
    );
    assert!(stderr(&out).contains("shown only now"));
    let id = &token[4..20];
    let listed = ok(&run(&[&["api-token", "list"][..], &c].concat(), tmp.path()));
    assert!(
        listed.contains(id) && listed.contains("auditor") && listed.contains("grafana"),
        "{listed}"
    );
    assert!(!listed.contains(&token[21..]), "the secret was listed");
    let revoked = ok(&run(
        &[&["api-token", "revoke"][..], &c, &[id]].concat(),
        tmp.path(),
    ));
    assert!(revoked.contains("revoked API token"), "{revoked}");
    let again = ok(&run(
        &[&["api-token", "revoke"][..], &c, &[id]].concat(),
        tmp.path(),
    ));
    assert!(again.contains("already revoked"), "{again}");
    assert_usage(
        &run(
            &[&["api-token", "revoke"][..], &c, &["ffffffffffffffff"]].concat(),
            tmp.path(),
        ),
        "no such token",
    );
    assert_usage(
        &run(
            &[
                &["api-token", "create"][..],
                &c,
                &["--name", "x", "--role", "root"],
            ]
            .concat(),
            tmp.path(),
        ),
        "--role `root`",
    );
    assert_usage(
        &run(
            &[
                &["api-token", "create"][..],
                &c,
                &["--name", "x", "--role", "admin", "--ttl", "5y"],
            ]
            .concat(),
            tmp.path(),
        ),
        "lifetime `5y`",
    );
    assert_usage(
        &run(
            &["api-token", "list", "--config", "missing.toml"],
            tmp.path(),
        ),
        "missing.toml",
    );
}

#[test]
fn exceptions_are_validated_added_listed_and_withdrawn() {
    let tmp = setup();
    let c = ["--config", "collector.toml"];
    let today = time::OffsetDateTime::now_utc().date();
    let accepted = (today - time::Duration::days(30)).to_string();
    let expires = (today + time::Duration::days(90)).to_string();
    let add = |rule: &str, expires: &str| {
        run(
            &[
                &["exception", "add"][..],
                &c,
                &[
                    "--rule",
                    rule,
                    "--target",
                    "10.1.2.3:443",
                    "--site",
                    "north",
                    "--owner",
                    "Head of IT",
                    "--siro-accepted",
                    &accepted,
                    "--control",
                    "PACS VLAN only",
                    "--reason",
                    "vendor-locked",
                    "--expires",
                    expires,
                ],
            ]
            .concat(),
            tmp.path(),
        )
    };
    assert_usage(
        &add("TLS-999", &expires),
        "rule `TLS-999` is not allowed: it is not a rule of the baseline catalogue",
    );
    assert_usage(&add("TLS-002", "2099-01-01"), "more than 3 years");
    assert_usage(&add("TLS-002", "31/12/2026"), "--expires `31/12/2026`");
    let added = ok(&add("TLS-002", &expires));
    assert!(
        added.starts_with("added exception 1: TLS-002 on 10.1.2.3:443 (site north)"),
        "{added}"
    );
    let listed = ok(&run(
        &[&["exception", "list"][..], &c, &["--state", "active"]].concat(),
        tmp.path(),
    ));
    assert!(
        listed
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("active") && l.contains(&expires)),
        "{listed}"
    );
    ok(&run(
        &[&["exception", "withdraw"][..], &c, &["1"]].concat(),
        tmp.path(),
    ));
    let listed = ok(&run(&[&["exception", "list"][..], &c].concat(), tmp.path()));
    assert!(listed.contains("withdrawn"), "{listed}");
    assert_usage(
        &run(
            &[&["exception", "withdraw"][..], &c, &["7"]].concat(),
            tmp.path(),
        ),
        "no such exception",
    );
    assert_usage(
        &run(
            &[&["exception", "list"][..], &c, &["--state", "old"]].concat(),
            tmp.path(),
        ),
        "--state `old`",
    );
}

#[test]
fn policy_files_are_checked_versioned_and_shown() {
    let tmp = setup();
    let c = ["--config", "collector.toml"];
    std::fs::write(
        tmp.path().join("north.toml"),
        "interval_secs = 900\nscope = [\"10.1.0.0/16\"]\ndisabled_rules = [\"PATCH-*\"]\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("bad.toml"),
        "scope = [\"10.1.0.0/16\"]\n\ntls_targets = [\"pacs:99999\"]\n",
    )
    .unwrap();
    assert_usage(
        &run(
            &[&["policy", "set"][..], &c, &["--site", "north", "bad.toml"]].concat(),
            tmp.path(),
        ),
        "bad.toml line 3, key `tls_targets[0]`: `pacs:99999` has the port `99999`",
    );
    assert_usage(
        &run(
            &[
                &["policy", "set"][..],
                &c,
                &["--site", "no site", "north.toml"],
            ]
            .concat(),
            tmp.path(),
        ),
        "site `no site`",
    );
    for version in 1..=2 {
        let out = ok(&run(
            &[
                &["policy", "set"][..],
                &c,
                &["--site", "north", "north.toml"],
            ]
            .concat(),
            tmp.path(),
        ));
        assert_eq!(
            out.trim(),
            format!("policy for site north is now version {version}")
        );
    }
    let shown: serde_json::Value = serde_json::from_str(&ok(&run(
        &[&["policy", "show"][..], &c, &["--site", "north"]].concat(),
        tmp.path(),
    )))
    .unwrap();
    assert_eq!(
        (shown["version"].as_i64(), shown["interval_secs"].as_i64()),
        (Some(2), Some(900))
    );
    assert_eq!(shown["updated_by"], "cli:operator");
    let out = run(
        &[&["policy", "show"][..], &c, &["--site", "south"]].concat(),
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("site `south` has no central policy"));
    let listed = ok(&run(&[&["policy", "list"][..], &c].concat(), tmp.path()));
    assert!(
        listed
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("north") && l.contains("cli:operator")),
        "{listed}"
    );
}
