//! The mail route (MAIL-007, MAIL-008, MAIL-009, MAIL-013) against real
//! servers on loopback: Debian's Exim offering STARTTLS with a certificate
//! from the test CA for the MX name, Exim without STARTTLS, and nginx
//! serving `/.well-known/mta-sts.txt` over HTTPS with a certificate for
//! `mta-sts.<domain>` (and one with a certificate for another name).
//!
//! DNS here is the `Table` resolver, pointing the MX and policy host names
//! at the lab's 127.a.b.n addresses; the test CA is given as an extra
//! trust anchor, as a trust's own CA would be.
//!
//! Lab layout (one SMTP port and one HTTPS port, shared by the addresses):
//!   .1  Exim, STARTTLS, certificate for mx1.good.test
//!   .2  Exim, no STARTTLS
//!   .3  nginx, certificate for mta-sts.good.test, policy: enforce, *.good.test
//!   .4  nginx, certificate for www.elsewhere.test, policy: testing, mx1 only
//!   .5  nginx, certificate for mta-sts.moved.test, policy URL redirects
//!   .6  nginx, certificate for mta-sts.big.test, a 70 KiB policy
//!   .9  nothing listening

use std::fs;
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;
use trustwatch_agent::dns::{Record, Table};
use trustwatch_agent::mail::route::{self, AccreditedList, RouteConfig};
use trustwatch_agent::probe::tls::Anchors;
use trustwatch_e2e::pki::{Leaf, TestCa};
use trustwatch_e2e::svclab::{nginx, smtp};
use trustwatch_e2e::tlslab::launch::{spawn_logged, AddressPlan, Server};
use trustwatch_rules::evaluate::mail::route::findings;
use trustwatch_rules::observe::{MailRouteObservation, MxOutcome, StsMode, TlsVersion};
use trustwatch_rules::{Catalogue, Finding, Status};

struct Lab {
    _dir: tempfile::TempDir,
    ca_pem: std::path::PathBuf,
    plan: AddressPlan,
    smtp_port: u16,
    https_port: u16,
    _servers: Vec<Server>,
}

/// A port free on every one of `ips` right now.
fn shared_port(ips: &[Ipv4Addr]) -> u16 {
    for _ in 0..50 {
        let first = TcpListener::bind((ips[0], 0)).expect("bind");
        let port = first.local_addr().expect("port").port();
        if ips[1..]
            .iter()
            .all(|ip| TcpListener::bind((*ip, port)).is_ok())
        {
            return port;
        }
    }
    panic!("no port free on all of {ips:?}");
}

fn lab() -> Lab {
    let dir = tempfile::tempdir().expect("lab folder");
    let d = dir.path();
    let plan = AddressPlan::next();
    let ca = TestCa::new("Trustwatch mail-route test CA");
    let ca_pem = ca.write_ca(d);
    let smtp_port = shared_port(&[plan.host(1), plan.host(2)]);
    let https_port = shared_port(&[plan.host(3), plan.host(4), plan.host(5), plan.host(6)]);

    let mx = ca.leaf(d, "mx1", &["mx1.good.test"], -1, 90);
    let mut servers = vec![
        smtp::start_with_certificate(d, "exim-mx1", plan.host(1), smtp_port, &mx.cert, &mx.key),
        smtp::start(d, plan.host(2), smtp_port, false),
    ];
    let good = ca.leaf(d, "mta-sts-good", &["mta-sts.good.test"], -1, 90);
    servers.push(policy_site(
        d,
        "nginx-good",
        plan.host(3),
        https_port,
        &good,
        "version: STSv1\r\nmode: enforce\r\nmx: *.good.test\r\nmax_age: 604800\r\n",
        "",
    ));
    let wrong = ca.leaf(d, "mta-sts-wrong", &["www.elsewhere.test"], -1, 90);
    servers.push(policy_site(
        d,
        "nginx-wrong",
        plan.host(4),
        https_port,
        &wrong,
        "version: STSv1\nmode: testing\nmx: mx1.mixed.test\nmax_age: 86400\n",
        "",
    ));
    let moved = ca.leaf(d, "mta-sts-moved", &["mta-sts.moved.test"], -1, 90);
    servers.push(policy_site(
        d,
        "nginx-moved",
        plan.host(5),
        https_port,
        &moved,
        "version: STSv1\nmode: enforce\nmx: *.moved.test\nmax_age: 86400\n",
        "location = /.well-known/mta-sts.txt { return 301 https://mta-sts.good.test/.well-known/mta-sts.txt; }",
    ));
    let big = ca.leaf(d, "mta-sts-big", &["mta-sts.big.test"], -1, 90);
    let mut policy = "version: STSv1\nmode: enforce\nmax_age: 86400\n".to_owned();
    while policy.len() < 70 * 1024 {
        policy.push_str("mx: *.big.test\n");
    }
    servers.push(policy_site(
        d,
        "nginx-big",
        plan.host(6),
        https_port,
        &big,
        &policy,
        "",
    ));
    Lab {
        _dir: dir,
        ca_pem,
        plan,
        smtp_port,
        https_port,
        _servers: servers,
    }
}

/// nginx serving `policy` at `/.well-known/mta-sts.txt` over HTTPS with
/// `cert` on `ip:port`; `location` is added to the server block.
fn policy_site(
    dir: &Path,
    name: &str,
    ip: Ipv4Addr,
    port: u16,
    cert: &Leaf,
    policy: &str,
    location: &str,
) -> Server {
    let root = dir.join(name);
    let well_known = root.join("html/.well-known");
    fs::create_dir_all(&well_known).expect("nginx folder");
    fs::write(well_known.join("mta-sts.txt"), policy).expect("write policy");
    let conf = root.join("nginx.conf");
    let listen = format!(
        "listen {ip}:{port} ssl;\n        ssl_certificate {};\n        ssl_certificate_key {};",
        cert.cert.display(),
        cert.key.display()
    );
    let server = format!("root {}/html;\n        {location}", root.display());
    fs::write(&conf, nginx::http_config(&root, &listen, &server)).expect("write nginx.conf");
    let mut cmd = Command::new("/usr/sbin/nginx");
    cmd.arg("-p")
        .arg(&root)
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(root.join("error.log"));
    spawn_logged(name, cmd, &ip.to_string(), port, dir)
}

impl Lab {
    fn table(&self) -> Table {
        let a = |n: u8| Record::A {
            address: self.plan.host(n),
        };
        let mx = |preference: u16, exchange: &str| Record::Mx {
            preference,
            exchange: exchange.into(),
        };
        Table::new()
            // good.test: one MX with STARTTLS and a matching certificate,
            // an enforcing policy that covers it.
            .with("good.test", mx(10, "mx1.good.test."))
            .with("mx1.good.test", a(1))
            .txt("_mta-sts.good.test", "v=STSv1; id=20261101T000000;")
            .with("mta-sts.good.test", a(3))
            // mixed.test: the same Exim under another name (certificate
            // does not match), an Exim without STARTTLS, a testing policy
            // behind a wrong-name certificate that covers only mx1.
            .with("mixed.test", mx(10, "mx1.mixed.test"))
            .with("mixed.test", mx(20, "mx2.mixed.test"))
            .with("mx1.mixed.test", a(1))
            .with("mx2.mixed.test", a(2))
            .txt("_mta-sts.mixed.test", "v=STSv1; id=1")
            .with("mta-sts.mixed.test", a(4))
            // dead.test: an MX where nothing listens, no MTA-STS.
            .with("dead.test", mx(10, "mx.dead.test"))
            .with("mx.dead.test", a(9))
            // moved.test and big.test: a good MX; the policy URL
            // redirects, or serves more than the 64 KiB bound.
            .with("moved.test", mx(10, "mx1.moved.test"))
            .with("mx1.moved.test", a(1))
            .txt("_mta-sts.moved.test", "v=STSv1; id=1")
            .with("mta-sts.moved.test", a(5))
            .with("big.test", mx(10, "mx1.big.test"))
            .with("mx1.big.test", a(1))
            .txt("_mta-sts.big.test", "v=STSv1; id=1")
            .with("mta-sts.big.test", a(6))
            // null.test: RFC 7505 null MX.
            .with("null.test", mx(0, "."))
    }

    fn config(&self, with_ca: bool) -> RouteConfig {
        let mut config = RouteConfig::new(OffsetDateTime::now_utc());
        config.smtp_port = self.smtp_port;
        config.https_port = self.https_port;
        config.timeout = Duration::from_secs(5);
        config.budget = Duration::from_secs(30);
        if with_ca {
            config.anchors = Anchors {
                private: trustwatch_agent::pem::anchors(&self.ca_pem).expect("test CA"),
            };
        }
        config
    }
}

fn judged(obs: &MailRouteObservation, now: OffsetDateTime) -> Vec<Finding> {
    let catalogue = Catalogue::embedded().expect("catalogue");
    findings(&catalogue, obs, now)
}

fn rule<'a>(all: &'a [Finding], id: &str) -> &'a Finding {
    all.iter().find(|f| f.rule_id == id).expect("finding")
}

fn summary(all: &[Finding]) -> String {
    all.iter()
        .map(|f| format!("{} {}: {}", f.rule_id, f.status, f.summary))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_route_against_exim_and_nginx() {
    let lab = lab();
    let table = lab.table();
    let config = lab.config(true);

    // good.test: every rule that can pass does.
    let obs = route::observe(&table, "good.test", &config, None).await;
    let host = &obs.mx.outcome.hosts()[0];
    let session = &host.sessions[0];
    assert!(
        session.greeted && session.ehlo && session.starttls_offered,
        "{session:?}"
    );
    let tls = session.tls.as_ref().expect("TLS negotiated");
    assert!(tls.version >= TlsVersion::Tls12, "{tls:?}");
    let chain = session.chain.as_ref().expect("certificate");
    assert!(chain.name_matches, "{chain:?}");
    let fetch = obs.mta_sts.fetch.as_ref().expect("policy fetched");
    assert_eq!(fetch.status, Some(200), "{fetch:?}");
    assert_eq!(fetch.content_type.as_deref(), Some("text/plain"));
    let policy = obs.mta_sts.policy.as_ref().expect("policy parsed");
    assert_eq!(policy.mode, Some(StsMode::Enforce));
    assert_eq!(
        obs.mta_sts.coverage[0].pattern.as_deref(),
        Some("*.good.test")
    );
    let all = judged(&obs, config.now);
    let s = summary(&all);
    assert_eq!(rule(&all, "MAIL-007").status, Status::Pass, "{s}");
    assert_eq!(rule(&all, "MAIL-008").status, Status::Pass, "{s}");
    assert_eq!(rule(&all, "MAIL-009").status, Status::Pass, "{s}");
    assert_eq!(
        rule(&all, "MAIL-009").evidence.get("max_age"),
        Some(&Value::from(604800))
    );
    // The trust's own MX and no list: not evidenced.
    let f = rule(&all, "MAIL-013");
    assert_eq!(f.status, Status::Fail, "{s}");
    assert_eq!(
        f.evidence.get("notes").unwrap()[0],
        "no accredited-domain list was given to the agent"
    );

    // The same, on the accredited list: MAIL-013 passes.
    let list = AccreditedList::parse("accredited.txt", "# test\ngood.test\n");
    let obs = route::observe(&table, "good.test", &config, Some(&list)).await;
    let all = judged(&obs, config.now);
    assert_eq!(
        rule(&all, "MAIL-013").status,
        Status::Pass,
        "{}",
        summary(&all)
    );

    // Without the test CA as an anchor the certificates are untrusted.
    let bare = lab.config(false);
    let obs = route::observe(&table, "good.test", &bare, None).await;
    let all = judged(&obs, bare.now);
    let s = summary(&all);
    assert_eq!(rule(&all, "MAIL-007").status, Status::Pass, "{s}");
    let f = rule(&all, "MAIL-008");
    assert_eq!(f.status, Status::Fail, "{s}");
    assert!(f.summary.contains("certificate not trusted"), "{s}");
    let f = rule(&all, "MAIL-009");
    assert_eq!(f.status, Status::Fail, "{s}");
    assert!(
        f.summary.contains("policy host certificate not trusted"),
        "{s}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_route_failures_against_real_servers() {
    let lab = lab();
    let table = lab.table();
    let config = lab.config(true);

    // mixed.test: no STARTTLS on mx2, a certificate for another name on
    // mx1, a testing policy behind a wrong-name certificate.
    let obs = route::observe(&table, "mixed.test", &config, None).await;
    let hosts = obs.mx.outcome.hosts();
    assert_eq!(hosts.len(), 2);
    let plain = &hosts[1].sessions[0];
    assert!(
        plain.greeted && plain.ehlo && !plain.starttls_offered,
        "{plain:?}"
    );
    let all = judged(&obs, config.now);
    let s = summary(&all);
    let f = rule(&all, "MAIL-007");
    assert_eq!(f.status, Status::Fail, "{s}");
    assert!(f.summary.contains("mx2.mixed.test"), "{s}");
    assert!(f.summary.contains("STARTTLS is not offered"), "{s}");
    assert!(!f.summary.contains("mx1.mixed.test"), "{s}");
    let f = rule(&all, "MAIL-008");
    assert_eq!(f.status, Status::Fail, "{s}");
    assert!(
        f.summary
            .contains("certificate is not valid for mx1.mixed.test"),
        "{s}"
    );
    let f = rule(&all, "MAIL-009");
    assert_eq!(f.status, Status::Fail, "{s}");
    for reason in [
        "policy host certificate is not valid for mta-sts.mixed.test",
        "mode is testing, not enforce",
        "no mx pattern covers mx2.mixed.test",
    ] {
        assert!(f.summary.contains(reason), "{reason}: {s}");
    }
    assert_eq!(
        f.evidence.get("max_age"),
        Some(&Value::from(86400)),
        "max_age in evidence"
    );

    // dead.test: nothing answers on the MX, no MTA-STS record.
    let started = std::time::Instant::now();
    let obs = route::observe(&table, "dead.test", &config, None).await;
    assert!(started.elapsed() < Duration::from_secs(15));
    let all = judged(&obs, config.now);
    let s = summary(&all);
    assert_eq!(rule(&all, "MAIL-007").status, Status::Error, "{s}");
    assert_eq!(rule(&all, "MAIL-008").status, Status::Error, "{s}");
    let f = rule(&all, "MAIL-009");
    assert_eq!(f.status, Status::Fail, "{s}");
    assert!(f.summary.contains("no v=STSv1 TXT record"), "{s}");

    // moved.test: the redirect is reported, not followed (RFC 8461 3.3).
    let obs = route::observe(&table, "moved.test", &config, None).await;
    let fetch = obs.mta_sts.fetch.as_ref().expect("fetched");
    assert_eq!(fetch.status, Some(301), "{fetch:?}");
    assert!(
        obs.mta_sts.policy.is_none(),
        "a redirect's body is no policy"
    );
    let all = judged(&obs, config.now);
    let f = rule(&all, "MAIL-009");
    assert_eq!(f.status, Status::Fail, "{}", summary(&all));
    assert!(
        f.summary.contains(
            "answered 301, a redirect to https://mta-sts.good.test/.well-known/mta-sts.txt (not followed"
        ),
        "{}",
        f.summary
    );

    // big.test: a policy over 64 KiB is not read past the bound.
    let obs = route::observe(&table, "big.test", &config, None).await;
    let fetch = obs.mta_sts.fetch.as_ref().expect("fetched");
    assert_eq!(
        fetch.error.as_deref(),
        Some("the policy is larger than 64 KiB")
    );
    assert!(obs.mta_sts.policy.is_none());
    let all = judged(&obs, config.now);
    assert_eq!(
        rule(&all, "MAIL-009").status,
        Status::Fail,
        "{}",
        summary(&all)
    );

    // null.test: null MX, nothing to judge.
    let obs = route::observe(&table, "null.test", &config, None).await;
    assert_eq!(obs.mx.outcome, MxOutcome::Null);
    let all = judged(&obs, config.now);
    assert!(
        all.iter().all(|f| f.status == Status::NotApplicable),
        "{}",
        summary(&all)
    );
}

/// The whole route through the binary and the real DNS lab: good.test's MX
/// (`mail.good.test`) and policy host (`mta-sts.good.test`) both resolve to
/// 127.0.0.10 in Knot, where Exim offers STARTTLS on port 25 and nginx
/// serves an enforcing policy on 443, each with a certificate from the test
/// CA, which the scan is given with `--ca`.
#[test]
fn the_binary_checks_the_route_through_real_dns() {
    use trustwatch_e2e::dnslab::scan::{scan, status};
    use trustwatch_e2e::dnslab::{zones, DnsLab};

    let dns = DnsLab::start();
    let dir = tempfile::tempdir().expect("folder");
    let d = dir.path();
    let ip = Ipv4Addr::new(127, 0, 0, 10);
    let ca = TestCa::new("Trustwatch mail-route end-to-end CA");
    let ca_pem = ca.write_ca(d);
    let mx = ca.leaf(d, "mail", &["mail.good.test"], -1, 90);
    let _exim = smtp::start_with_certificate(d, "exim-mail", ip, 25, &mx.cert, &mx.key);
    let sts = ca.leaf(d, "mta-sts", &["mta-sts.good.test"], -1, 90);
    let _nginx = policy_site(
        d,
        "nginx-sts",
        ip,
        443,
        &sts,
        "version: STSv1\r\nmode: enforce\r\nmx: mail.good.test\r\nmax_age: 604800\r\n",
        "",
    );
    let ca_arg = ca_pem.display().to_string();
    let (_, f) = scan(&dns, &[zones::GOOD], &["--ca", &ca_arg]);
    for rule in ["MAIL-007", "MAIL-008", "MAIL-009"] {
        assert_eq!(status(&f, rule, zones::GOOD), "pass", "{rule}: {f:#?}");
    }
    // Not NHSmail and no accredited list: not evidenced.
    assert_eq!(status(&f, "MAIL-013", zones::GOOD), "fail");
    // The trust's own CA is what makes the certificates valid.
    let (_, f) = scan(&dns, &[zones::GOOD], &[]);
    assert_eq!(status(&f, "MAIL-008", zones::GOOD), "fail");
    assert_eq!(status(&f, "MAIL-009", zones::GOOD), "fail");
}
