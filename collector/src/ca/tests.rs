use std::os::unix::fs::PermissionsExt;

use x509_parser::prelude::*;

use super::*;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn parse(der: &[u8]) -> X509Certificate<'_> {
    x509_parser::parse_x509_certificate(der).unwrap().1
}

#[test]
fn first_start_creates_the_ca_and_later_starts_load_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (ca, origin) = Ca::load_or_create(&data).unwrap();
    assert_eq!(origin, CaOrigin::Created);
    assert_eq!(mode(&data.join(CA_KEY_FILE)), 0o600);
    assert_eq!(mode(&data), 0o700);

    let cert = parse(ca.cert_der());
    assert_eq!(
        cert.subject()
            .iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        CA_COMMON_NAME
    );
    assert!(cert.is_ca());
    let days =
        (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp()) / 86_400;
    assert!((3649..=3651).contains(&days), "{days}");
    assert_eq!(
        cert.public_key().algorithm.algorithm,
        x509_parser::oid_registry::OID_KEY_TYPE_EC_PUBLIC_KEY
    );

    let (again, origin) = Ca::load_or_create(&data).unwrap();
    assert_eq!(origin, CaOrigin::Loaded);
    assert_eq!(again.cert_der(), ca.cert_der());
}

#[test]
fn half_a_ca_is_an_error_not_a_new_ca() {
    let tmp = tempfile::tempdir().unwrap();
    Ca::load_or_create(tmp.path()).unwrap();
    std::fs::remove_file(tmp.path().join(CA_KEY_FILE)).unwrap();
    let err = Ca::load_or_create(tmp.path()).unwrap_err().to_string();
    assert!(err.contains("ca.key") && err.contains("missing"), "{err}");
    assert!(tmp.path().join(CA_CERT_FILE).exists());
}

#[test]
fn a_key_that_does_not_match_the_certificate_is_refused() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    Ca::load_or_create(a.path()).unwrap();
    Ca::load_or_create(b.path()).unwrap();
    std::fs::copy(b.path().join(CA_KEY_FILE), a.path().join(CA_KEY_FILE)).unwrap();
    let err = Ca::load_or_create(a.path()).unwrap_err().to_string();
    assert!(err.contains("not the key of"), "{err}");
}

#[test]
fn server_certificate_is_issued_once_then_reused_and_reissued_for_new_names() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, _) = Ca::load_or_create(tmp.path()).unwrap();
    let names = vec!["collector.example.nhs.uk".to_owned()];
    let first = ca.server_cert(tmp.path(), &names).unwrap();
    assert!(first.issued);
    assert_eq!(first.chain.len(), 2);
    assert_eq!(mode(&tmp.path().join(server::SERVER_KEY_FILE)), 0o600);

    let leaf = parse(&first.chain[0]);
    let sans = server::san_names(&leaf);
    assert_eq!(
        sans,
        ["collector.example.nhs.uk", "localhost", "127.0.0.1", "::1"]
    );
    let days = (leaf.validity().not_after.timestamp() - OffsetDateTime::now_utc().unix_timestamp())
        / 86_400;
    assert!((396..=397).contains(&days), "{days}");
    leaf.verify_signature(Some(parse(ca.cert_der()).public_key()))
        .unwrap();

    // Reloaded from disk as it is: same certificate.
    let (ca2, _) = Ca::load_or_create(tmp.path()).unwrap();
    let second = ca2.server_cert(tmp.path(), &names).unwrap();
    assert!(!second.issued);
    assert_eq!(second.chain[0], first.chain[0]);

    // A newly configured name needs a new certificate.
    let third = ca2
        .server_cert(tmp.path(), &["other.example.nhs.uk".to_owned()])
        .unwrap();
    assert!(third.issued);
    assert_ne!(third.chain[0], first.chain[0]);
}

#[test]
fn server_certificate_from_another_ca_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let (ca, _) = Ca::load_or_create(tmp.path()).unwrap();
    let (other_ca, _) = Ca::load_or_create(other.path()).unwrap();
    other_ca.server_cert(other.path(), &[]).unwrap();
    for f in [server::SERVER_CERT_FILE, server::SERVER_KEY_FILE] {
        std::fs::copy(other.path().join(f), tmp.path().join(f)).unwrap();
    }
    assert!(ca.server_cert(tmp.path(), &[]).unwrap().issued);
}

#[test]
fn agent_certificate_carries_name_site_and_client_auth() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, _) = Ca::load_or_create(&tmp.path().join("data")).unwrap();
    let out = tmp.path().join("agent");
    let bundle = ca
        .issue_agent("ward-7.scanner", "st-marys", 30, &out)
        .unwrap();
    assert_eq!(mode(&bundle.key), 0o600);
    let key_pem = std::fs::read_to_string(&bundle.key).unwrap();
    assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8");
    assert_eq!(std::fs::read_to_string(&bundle.ca).unwrap(), ca.cert_pem());

    let pem = std::fs::read_to_string(&bundle.cert).unwrap();
    let der = files::first_certificate(&bundle.cert, &pem).unwrap();
    assert_eq!(bundle.fingerprint, fingerprint(&der));
    let cert = parse(&der);
    let subject = cert.subject();
    assert_eq!(
        subject.iter_common_name().next().unwrap().as_str().unwrap(),
        "ward-7.scanner"
    );
    assert_eq!(
        subject
            .iter_organizational_unit()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        "st-marys"
    );
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth);
    let days = (cert.validity().not_after.timestamp() - OffsetDateTime::now_utc().unix_timestamp())
        / 86_400;
    assert!((29..=30).contains(&days), "{days}");
    cert.verify_signature(Some(parse(ca.cert_der()).public_key()))
        .unwrap();
}

#[test]
fn agent_names_sites_and_days_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, _) = Ca::load_or_create(tmp.path()).unwrap();
    let long = "a".repeat(65);
    for (name, site, days) in [
        ("", "s", 30),
        (long.as_str(), "s", 30),
        ("bad name", "s", 30),
        ("ok", "site/1", 30),
        ("ok", "", 30),
        ("ok", "s", 0),
        ("ok", "s", 398),
    ] {
        let err = ca.issue_agent(name, site, days, tmp.path()).unwrap_err();
        assert!(err.is_usage(), "{err}");
    }
    assert!(!tmp.path().join("agent.crt").exists());
    assert!(check_label("site", &"x".repeat(64)).is_ok());
}
