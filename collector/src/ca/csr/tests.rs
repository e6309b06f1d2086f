use std::process::Command;

use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, PKCS_ECDSA_P256_SHA256,
    PKCS_ECDSA_P384_SHA384, PKCS_ED25519,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use x509_parser::prelude::parse_x509_certificate;

use super::*;

/// A request asking for everything the collector must NOT grant: another
/// name and site, serverAuth, a SAN and CA status.
fn greedy_csr(key: &KeyPair) -> String {
    let mut params = CertificateParams::new(vec!["evil.example".to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, "admin");
    params
        .distinguished_name
        .push(DnType::OrganizationalUnitName, "other-site");
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.serialize_request(key).unwrap().pem().unwrap()
}

fn ca() -> (tempfile::TempDir, Ca) {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, _) = Ca::load_or_create(tmp.path()).unwrap();
    (tmp, ca)
}

fn der_of(pem: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
}

#[test]
fn the_issued_certificate_ignores_what_the_request_asks_for() {
    let (_tmp, ca) = ca();
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let csr = AgentCsr::from_pem(&greedy_csr(&key)).unwrap();
    let issued = ca.sign_agent_csr(&csr, "ward-3", "north", 7).unwrap();
    let der = der_of(&issued.pem);
    assert_eq!(issued.fingerprint, files::fingerprint(&der));
    let (_, cert) = parse_x509_certificate(&der).unwrap();

    let cn: Vec<_> = cert.subject().iter_common_name().collect();
    let ou: Vec<_> = cert.subject().iter_organizational_unit().collect();
    assert_eq!(cn.len(), 1);
    assert_eq!(cn[0].as_str().unwrap(), "ward-3");
    assert_eq!(ou.len(), 1);
    assert_eq!(ou[0].as_str().unwrap(), "north");
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth && !eku.any);
    assert!(!cert.is_ca());
    assert!(cert.subject_alternative_name().unwrap().is_none());
    // The key is the requester's, and the CA signed it.
    assert_eq!(
        cert.public_key().subject_public_key.data.as_ref(),
        key.public_key_raw()
    );
    let (_, ca_cert) = parse_x509_certificate(ca.cert_der()).unwrap();
    cert.verify_signature(Some(ca_cert.public_key())).unwrap();
    assert_eq!(cert.issuer(), ca_cert.subject());

    let not_after = cert.validity().not_after.timestamp();
    assert_eq!(not_after, issued.not_after.unix_timestamp());
    let days = (not_after - ::time::OffsetDateTime::now_utc().unix_timestamp()) as f64 / 86_400.0;
    assert!((6.99..=7.01).contains(&days), "{days}");
}

#[test]
fn ed25519_requests_are_accepted() {
    let (_tmp, ca) = ca();
    let key = KeyPair::generate_for(&PKCS_ED25519).unwrap();
    let pem = CertificateParams::default()
        .serialize_request(&key)
        .unwrap()
        .pem()
        .unwrap();
    let csr = AgentCsr::from_pem(&pem).unwrap();
    let issued = ca.sign_agent_csr(&csr, "a", "s", 1).unwrap();
    let der = der_of(&issued.pem);
    let (_, cert) = parse_x509_certificate(&der).unwrap();
    assert_eq!(
        cert.public_key().algorithm.algorithm,
        x509_parser::oid_registry::OID_SIG_ED25519
    );
}

#[test]
fn a_p384_key_is_refused_for_its_type() {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
    let pem = CertificateParams::default()
        .serialize_request(&key)
        .unwrap()
        .pem()
        .unwrap();
    let err = AgentCsr::from_pem(&pem).unwrap_err();
    assert!(matches!(err, CsrError::KeyType(_)), "{err:?}");
    assert!(err.to_string().contains("P-256 and Ed25519"), "{err}");
}

/// Requests from another toolkit: OpenSSL's P-256 request is accepted,
/// its RSA one refused for the key type.
#[test]
fn openssl_requests_p256_accepted_rsa_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let make = |args: &[&str], out: &str| {
        let status = Command::new("openssl")
            .args(["req", "-new", "-nodes", "-subj", "/CN=whoever"])
            .args(args)
            .args(["-keyout", "k.pem", "-out", out])
            .current_dir(tmp.path())
            .output()
            .expect("openssl is installed");
        assert!(status.status.success(), "{status:?}");
        std::fs::read_to_string(tmp.path().join(out)).unwrap()
    };
    let p256 = make(
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        "ec.csr",
    );
    AgentCsr::from_pem(&p256).unwrap();
    let rsa = make(&["-newkey", "rsa:2048"], "rsa.csr");
    let err = AgentCsr::from_pem(&rsa).unwrap_err();
    assert!(matches!(err, CsrError::KeyType(_)), "{err:?}");
}

#[test]
fn a_tampered_request_fails_its_signature_check() {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, "aaaa");
    let csr = params.serialize_request(&key).unwrap();
    let mut der = csr.der().to_vec();
    // Change the signed subject ("aaaa" -> "aaab"), keeping the encoding valid.
    let at = der.windows(4).position(|w| w == b"aaaa").unwrap();
    der[at + 3] = b'b';
    let pem = pem_block("CERTIFICATE REQUEST", &der);
    let err = AgentCsr::from_pem(&pem).unwrap_err();
    assert!(matches!(err, CsrError::Signature(_)), "{err:?}");
}

#[test]
fn garbage_is_refused_with_a_reason() {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let good = greedy_csr(&key);
    let cases: Vec<(String, &str)> = vec![
        ("hello".into(), "not a PEM"),
        (
            pem_block("CERTIFICATE", b"\x30\x03\x02\x01\x01"),
            "not a PEM",
        ),
        (
            pem_block("CERTIFICATE REQUEST", b"\x30\x03\x02\x01\x01"),
            "not a valid PKCS#10",
        ),
        (format!("{good}{good}"), "2 PEM blocks"),
    ];
    for (pem, expected) in cases {
        let err = AgentCsr::from_pem(&pem).unwrap_err().to_string();
        assert!(err.contains(expected), "{pem:?}: {err}");
    }
}

fn pem_block(label: &str, der: &[u8]) -> String {
    use std::fmt::Write;
    let b64 = base64_encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        let _ = writeln!(out, "{}", std::str::from_utf8(chunk).unwrap());
    }
    let _ = writeln!(out, "-----END {label}-----");
    out
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
