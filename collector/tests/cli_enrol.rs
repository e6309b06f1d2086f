//! The real binary's `token` and `agent` commands against a SQLite store:
//! output, admin_events rows, and one clear sentence with exit 2 for bad
//! input.

#[path = "shared/cli.rs"]
mod cli;

use std::path::Path;
use std::process::Output;

use cli::{assert_usage, stderr, stdout};

use trustwatch_collector::ca::{fingerprint, AgentCsr, Ca};
use trustwatch_collector::enrol::{self, EnrolToken};
use trustwatch_collector::store::{Actor, EnrolOutcome, EnrolRequest};
use trustwatch_collector::Store;

fn run(args: &[&str], dir: &Path) -> Output {
    cli::run_as("tester", args, dir)
}

fn config(dir: &Path, extra_ingest: &str) {
    std::fs::write(
        dir.join("collector.toml"),
        format!(
            "data_dir = \"data\"\n[ingest]\nlisten = \"127.0.0.1:8443\"\n\
             server_names = [\"collector.test\"]\n{extra_ingest}\n"
        ),
    )
    .unwrap();
}

/// (actor, action, subject) of every admin event, in order.
fn admin_events(dir: &Path) -> Vec<(String, String, String)> {
    let conn = rusqlite::Connection::open(dir.join("data/trustwatch.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT actor, action, subject FROM admin_events ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn ev(actor: &str, action: &str, subject: &str) -> (String, String, String) {
    (actor.into(), action.into(), subject.into())
}

#[test]
fn token_create_list_and_revoke() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    config(dir, "");
    let c = ["--config", "collector.toml"];
    let o = run(
        &[
            &[
                "token",
                "create",
                "--site",
                "north",
                "--ttl",
                "7d",
                "--max-uses",
                "3",
            ][..],
            &c,
        ]
        .concat(),
        dir,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Only the token on stdout, so `TOKEN=$(… token create …)` works.
    let text = stdout(&o);
    assert_eq!(text.lines().count(), 1, "{text}");
    let token = EnrolToken::decode(text.trim()).unwrap();
    assert_eq!(token.url, "https://collector.test:8443");
    let (ca, _) = Ca::load_or_create(&dir.join("data")).unwrap();
    assert_eq!(token.ca_sha256, fingerprint(ca.cert_der()));
    assert!(
        stderr(&o).contains(&token.id) && stderr(&o).contains("north"),
        "{}",
        stderr(&o)
    );

    // --url wins over the derived URL.
    let o = run(
        &[
            &[
                "token",
                "create",
                "--site",
                "south",
                "--url",
                "https://lb.trust.nhs.uk",
            ][..],
            &c,
        ]
        .concat(),
        dir,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let second = EnrolToken::decode(stdout(&o).trim()).unwrap();
    assert_eq!(second.url, "https://lb.trust.nhs.uk");

    let o = run(&[&["token", "list"][..], &c].concat(), dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let list = stdout(&o);
    let line = list.lines().find(|l| l.contains(&token.id)).unwrap();
    assert!(
        line.contains("north") && line.contains("0/3") && line.contains("active"),
        "{line}"
    );
    assert!(
        !list.contains(&token.secret) && !list.contains(&second.secret),
        "{list}"
    );

    let o = run(&[&["token", "revoke", &token.id][..], &c].concat(), dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[&["token", "revoke", &token.id][..], &c].concat(), dir);
    assert!(
        o.status.success() && stdout(&o).contains("already revoked"),
        "{}",
        stdout(&o)
    );
    let o = run(&[&["token", "list"][..], &c].concat(), dir);
    let line = stdout(&o)
        .lines()
        .find(|l| l.contains(&token.id))
        .unwrap()
        .to_owned();
    assert!(line.contains("revoked"), "{line}");

    assert_eq!(
        admin_events(dir),
        [
            ev("cli:tester", "token.create", &token.id),
            ev("cli:tester", "token.create", &second.id),
            ev("cli:tester", "token.revoke", &token.id),
        ]
    );
}

#[test]
fn public_url_in_the_config_goes_into_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    config(
        tmp.path(),
        "public_url = \"https://collector.trust.nhs.uk:9443\"",
    );
    let o = run(
        &[
            "token",
            "create",
            "--site",
            "s",
            "--config",
            "collector.toml",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let token = EnrolToken::decode(stdout(&o).trim()).unwrap();
    assert_eq!(token.url, "https://collector.trust.nhs.uk:9443");
}

#[test]
fn bad_token_input_is_one_sentence_and_exit_2_before_anything_is_created() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    config(dir, "");
    let create = |extra: &[&str]| {
        run(
            &[
                &["token", "create", "--config", "collector.toml"][..],
                extra,
            ]
            .concat(),
            dir,
        )
    };
    assert_usage(
        &create(&["--site", "north/1"]),
        "site `north/1` is not allowed",
    );
    assert_usage(&create(&["--site", "n", "--ttl", "31d"]), "--ttl `31d`");
    assert_usage(
        &create(&["--site", "n", "--ttl", "0h"]),
        "between 1 minute and 30 days",
    );
    assert_usage(&create(&["--site", "n", "--ttl", "5x"]), "not a unit");
    assert_usage(
        &create(&["--site", "n", "--max-uses", "0"]),
        "--max-uses `0`",
    );
    assert_usage(
        &create(&["--site", "n", "--url", "http://c:1"]),
        "--url `http://c:1`",
    );
    assert!(!dir.join("data").exists(), "nothing created for bad input");

    assert!(create(&["--site", "n"]).status.success());
    let o = run(
        &["token", "revoke", "nope", "--config", "collector.toml"],
        dir,
    );
    assert_usage(&o, "enrolment token `nope` is not in the store");
    let o = run(&["token", "list", "--config", "missing.toml"], dir);
    assert_usage(&o, "missing.toml");

    // A shared PostgreSQL store and no copy of its CA here: a new CA would
    // make tokens that pin the wrong one, so none is created.
    std::fs::write(
        dir.join("pg.toml"),
        "data_dir = \"pgdata\"\n[store]\nbackend = \"postgres\"\n\
         url = \"host=127.0.0.1 port=1 user=u dbname=d\"\n",
    )
    .unwrap();
    let o = run(
        &["token", "create", "--site", "n", "--config", "pg.toml"],
        dir,
    );
    assert_usage(&o, "holds no collector CA certificate (ca.crt)");
    assert!(!dir.join("pgdata").exists());
}

#[test]
fn agent_list_and_revoke() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    config(dir, "");
    // Enrol one agent through the library, as the ingest listener does.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (ca, _) = Ca::load_or_create(&dir.join("data")).unwrap();
        let config = trustwatch_collector::Config::load(&dir.join("collector.toml")).unwrap();
        let store = Store::open_in(&dir.join("data")).unwrap();
        let now = time::OffsetDateTime::now_utc();
        let spec = enrol::TokenSpec {
            site: "north".into(),
            ttl: time::Duration::hours(1),
            max_uses: 1,
            url: None,
        };
        let created = enrol::create_token(
            &store,
            &config,
            &fingerprint(ca.cert_der()),
            spec,
            &Actor::system("setup"),
            now,
        )
        .await
        .unwrap();
        let token = EnrolToken::decode(&created.text).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let csr_pem = rcgen::CertificateParams::default()
            .serialize_request(&key)
            .unwrap()
            .pem()
            .unwrap();
        let csr = AgentCsr::from_pem(&csr_pem).unwrap();
        let request = EnrolRequest {
            token_id: token.id,
            secret_sha256: enrol::secret_sha256(&token.secret),
            name: "ward-1".into(),
            now: now.unix_timestamp(),
        };
        let outcome = store
            .enrol(
                request,
                Box::new(move |site| ca.sign_agent_csr(&csr, "ward-1", site, 7)),
            )
            .await
            .unwrap();
        assert!(
            matches!(outcome, EnrolOutcome::Enrolled { .. }),
            "{outcome:?}"
        );
    });
    let c = ["--config", "collector.toml"];
    let o = run(&[&["agent", "list"][..], &c].concat(), dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let line = stdout(&o)
        .lines()
        .find(|l| l.starts_with("ward-1"))
        .unwrap()
        .to_owned();
    assert!(
        line.contains("north") && line.trim_end().ends_with('-'),
        "not revoked: {line}"
    );

    let o = run(
        &[
            &["agent", "revoke", "ward-1", "--reason", "laptop stolen"][..],
            &c,
        ]
        .concat(),
        dir,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("ward-1 revoked"), "{}", stdout(&o));
    let o = run(&[&["agent", "list"][..], &c].concat(), dir);
    let line = stdout(&o)
        .lines()
        .find(|l| l.starts_with("ward-1"))
        .unwrap()
        .to_owned();
    assert!(line.contains("(laptop stolen)"), "{line}");
    let o = run(&[&["agent", "revoke", "ward-1"][..], &c].concat(), dir);
    assert!(
        o.status.success() && stdout(&o).contains("already revoked"),
        "{}",
        stdout(&o)
    );

    assert_usage(
        &run(&[&["agent", "revoke", "nobody"][..], &c].concat(), dir),
        "agent `nobody` is not in the store",
    );
    assert_usage(
        &run(&[&["agent", "revoke", "bad name"][..], &c].concat(), dir),
        "agent name `bad name` is not allowed",
    );
    let events = admin_events(dir);
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[1].1, "agent.enrol");
    assert_eq!(events[2], ev("cli:tester", "agent.revoke", "ward-1"));
    // The detail is the reason, as for the API's revocation.
    let conn = rusqlite::Connection::open(dir.join("data/trustwatch.db")).unwrap();
    let detail: String = conn
        .query_row(
            "SELECT detail FROM admin_events WHERE action = 'agent.revoke'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(detail, "laptop stolen");
}
