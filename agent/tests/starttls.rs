//! `trustwatch-agent scan --starttls` against real servers on 127.0.0.1
//! (Debian packages started by the test): Exim, PostgreSQL, Dovecot
//! (IMAP, POP3), vsftpd (FTP) and slapd (LDAP). Each is scanned through its
//! upgraded connection, and again with TLS switched off, where every
//! finding must be an error that says STARTTLS was not offered.

#[path = "support/daemons.rs"]
mod daemons;
#[path = "support/pki.rs"]
mod pki;
#[path = "support/starttls_servers.rs"]
mod starttls_servers;

use std::process::{Command, Output};

use pki::Pki;
use serde_json::Value;
use starttls_servers::Served;

fn scan(target: &str, protocol: &str, pki: &Pki) -> (Output, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_trustwatch-agent"))
        .args(["scan", "--tls", target, "--starttls", protocol])
        .arg("--ca")
        .arg(&pki.ca_cert)
        .args(["--format", "json", "--timeout", "10"])
        .env_remove("RUST_LOG")
        .output()
        .expect("run trustwatch-agent");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, report)
}

fn finding<'a>(report: &'a Value, rule: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {report:#}"))
}

/// The scan went through the upgrade: TLS 1.2+ and 1.3 negotiated, and the
/// certificate served inside the upgraded connection judged good.
fn assert_upgraded(target: &str, protocol: &str, pki: &Pki) {
    let (out, report) = scan(target, protocol, pki);
    assert_ne!(
        out.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for rule in ["TLS-003", "TLS-004", "CERT-001", "CERT-003", "CERT-004"] {
        let f = finding(&report, rule);
        assert_eq!(f["status"], "pass", "{protocol} {rule}: {f:#}");
        assert_eq!(f["target"], target);
    }
    // No check failed for want of the upgrade (our STARTTLS reasons all
    // read "<protocol> server at <target> …").
    let marker = format!("{protocol} server at {target}");
    let broken: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.to_string().contains(&marker))
        .collect();
    assert!(broken.is_empty(), "{protocol}: {broken:#?}");
}

/// The server does not offer TLS: every finding is an error whose reason
/// names the protocol, the server and what went wrong.
fn assert_not_offered(target: &str, protocol: &str, pki: &Pki, reason: &str) {
    let (out, report) = scan(target, protocol, pki);
    assert_eq!(out.status.code(), Some(0), "errors are not failures");
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    let expected = format!("{protocol} server at {target} {reason}");
    for f in findings {
        assert_eq!(f["status"], "error", "{f:#}");
        let text = f.to_string();
        assert!(
            text.contains(&expected),
            "{protocol}: {expected:?} not in {f:#}"
        );
    }
}

fn served(start: fn(&pki::Pair, bool) -> Served, tls: bool) -> (Pki, Served) {
    let pki = Pki::new();
    let served = start(&pki.good_leaf(), tls);
    (pki, served)
}

#[test]
fn smtp_through_exim() {
    let (pki, exim) = served(starttls_servers::exim, true);
    assert_upgraded(&exim.target(), "smtp", &pki);
}

#[test]
fn smtp_without_starttls_is_an_error_finding() {
    let (pki, exim) = served(starttls_servers::exim, false);
    assert_not_offered(&exim.target(), "smtp", &pki, "did not offer STARTTLS");
}

#[test]
fn postgres_ssl_request() {
    let (pki, pg) = served(starttls_servers::postgres, true);
    assert_upgraded(&pg.target(), "postgres", &pki);
}

#[test]
fn postgres_with_ssl_off_is_an_error_finding() {
    let (pki, pg) = served(starttls_servers::postgres, false);
    assert_not_offered(&pg.target(), "postgres", &pki, "did not offer STARTTLS");
}

#[test]
fn imap_and_pop3_through_dovecot() {
    let (pki, dovecot) = served(starttls_servers::dovecot, true);
    assert_upgraded(&dovecot.target(), "imap", &pki);
    let pop3 = dovecot.second.unwrap().to_string();
    assert_upgraded(&pop3, "pop3", &pki);
}

#[test]
fn imap_and_pop3_without_tls_are_error_findings() {
    let (pki, dovecot) = served(starttls_servers::dovecot, false);
    assert_not_offered(&dovecot.target(), "imap", &pki, "did not offer STARTTLS");
    let pop3 = dovecot.second.unwrap().to_string();
    assert_not_offered(&pop3, "pop3", &pki, "did not offer STARTTLS");
}

#[test]
fn ftp_auth_tls_through_vsftpd() {
    let (pki, ftp) = served(starttls_servers::vsftpd, true);
    assert_upgraded(&ftp.target(), "ftp", &pki);
}

#[test]
fn ftp_without_tls_is_an_error_finding() {
    let (pki, ftp) = served(starttls_servers::vsftpd, false);
    assert_not_offered(&ftp.target(), "ftp", &pki, "refused STARTTLS");
}

#[test]
fn ldap_start_tls_through_slapd() {
    let (pki, slapd) = served(starttls_servers::slapd, true);
    assert_upgraded(&slapd.target(), "ldap", &pki);
}

#[test]
fn ldap_without_tls_is_an_error_finding() {
    let (pki, slapd) = served(starttls_servers::slapd, false);
    assert_not_offered(&slapd.target(), "ldap", &pki, "refused StartTLS");
}

#[test]
fn plain_tls_to_a_starttls_server_fails_cleanly() {
    // Without --starttls the agent speaks TLS at once; an SMTP server
    // answers with its greeting, which is not TLS: errors, quickly.
    let (pki, exim) = served(starttls_servers::exim, true);
    let (out, report) = scan(&exim.target(), "none", &pki);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(finding(&report, "TLS-003")["status"], "error");
}
