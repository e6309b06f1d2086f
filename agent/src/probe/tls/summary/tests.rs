use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SignatureAlgorithm,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use time::macros::datetime;

use super::*;

fn self_signed(alg: &'static SignatureAlgorithm, names: &[&str]) -> (Vec<u8>, KeyPair) {
    let key = KeyPair::generate_for(alg).unwrap();
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "test leaf");
    let cert = params.self_signed(&key).unwrap();
    (cert.der().to_vec(), key)
}

/// ring cannot generate RSA keys, so RSA material comes from openssl (which
/// the component tests need anyway; CI installs it).
fn openssl(args: &[&str]) {
    let status = std::process::Command::new("/usr/bin/openssl")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("these tests need /usr/bin/openssl (apt-get install openssl)");
    assert!(status.success(), "openssl {args:?} failed");
}

#[test]
fn ec_p256_self_signed_with_sans() {
    let (der, _) = self_signed(
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &["intranet.example.nhs.uk", "10.1.2.3", "::1"],
    );
    let s = summarise(&der).unwrap();
    assert_eq!(s.public_key.algorithm, KeyAlgorithm::Ec);
    assert_eq!(s.public_key.bits, 256);
    assert_eq!(s.public_key.curve.as_deref(), Some("P-256"));
    assert_eq!(s.signature_algorithm, "ecdsa-with-SHA256");
    assert_eq!(
        s.subject_alt_names,
        ["intranet.example.nhs.uk", "10.1.2.3", "::1"]
    );
    assert!(s.self_signed);
    assert_eq!(s.subject, "CN=test leaf");
    assert_eq!(s.subject, s.issuer);
    assert_eq!(s.sha256_fingerprint, hex::encode(Sha256::digest(&der)));
    assert_eq!(s.sha256_fingerprint.len(), 64);
}

#[test]
fn ec_p384_and_ed25519_sizes() {
    let (der, _) = self_signed(&rcgen::PKCS_ECDSA_P384_SHA384, &["a.example"]);
    let s = summarise(&der).unwrap();
    assert_eq!(
        (s.public_key.bits, s.public_key.curve.as_deref()),
        (384, Some("P-384"))
    );
    assert_eq!(s.signature_algorithm, "ecdsa-with-SHA384");

    let (der, _) = self_signed(&rcgen::PKCS_ED25519, &["a.example"]);
    let s = summarise(&der).unwrap();
    assert_eq!(
        (s.public_key.algorithm, s.public_key.bits),
        (KeyAlgorithm::Ed25519, 256)
    );
    assert!(s.self_signed);
}

#[test]
fn ca_signed_leaf_is_not_self_signed_and_dates_are_kept() {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Test Trust CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["old.example".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "old.example");
    params.not_before = datetime!(2020-01-01 00:00 UTC);
    params.not_after = datetime!(2021-01-01 00:00 UTC);
    params.serial_number = Some(vec![0x00, 0x01, 0xab].into());
    let der = params.signed_by(&key, &issuer).unwrap().der().to_vec();

    let s = summarise(&der).unwrap();
    assert!(!s.self_signed);
    assert_eq!(s.issuer, "CN=Test Trust CA");
    assert_eq!(s.not_before, datetime!(2020-01-01 00:00 UTC));
    assert_eq!(s.not_after, datetime!(2021-01-01 00:00 UTC));
    assert_eq!(s.serial, "01ab");
}

#[test]
fn rsa_2048_from_an_openssl_key() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("rsa.key");
    let key_arg = key_path.to_str().unwrap();
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        key_arg,
    ]);
    let pem = std::fs::read_to_string(&key_path).unwrap();
    let key = KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap();
    let der = CertificateParams::new(vec!["rsa.example".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .der()
        .to_vec();
    let s = summarise(&der).unwrap();
    assert_eq!(
        (s.public_key.algorithm, s.public_key.bits),
        (KeyAlgorithm::Rsa, 2048)
    );
    assert_eq!(s.signature_algorithm, "sha256WithRSAEncryption");
    assert!(s.self_signed);
}

#[test]
fn weak_rsa_1024_sha1_is_described_truthfully() {
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("weak.pem");
    let key_path = dir.path().join("weak.key");
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:1024",
        "-sha1",
        "-nodes",
        "-days",
        "30",
        "-subj",
        "/CN=weak.example",
        "-keyout",
        key_path.to_str().unwrap(),
        "-out",
        cert_path.to_str().unwrap(),
    ]);
    let der = CertificateDer::from_pem_file(&cert_path).unwrap();
    let s = summarise(&der).unwrap();
    assert_eq!(
        (s.public_key.algorithm, s.public_key.bits),
        (KeyAlgorithm::Rsa, 1024)
    );
    assert_eq!(s.signature_algorithm, "sha1WithRSAEncryption");
    assert!(s.self_signed);
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(summarise(b"").is_err());
    assert!(summarise(&[0x30, 0x82, 0xff, 0xff, 0x00]).is_err());
    let (mut der, _) = self_signed(&rcgen::PKCS_ECDSA_P256_SHA256, &["a.example"]);
    der.push(0);
    assert!(summarise(&der).is_err(), "trailing data is refused");

    let (good, _) = self_signed(&rcgen::PKCS_ECDSA_P256_SHA256, &["a.example"]);
    let err = summarise_chain(&[good, vec![1, 2, 3]]).unwrap_err();
    assert_eq!(err.index, 1);
    assert!(
        err.to_string()
            .starts_with("certificate 1 of the served chain cannot be parsed"),
        "{err}"
    );
}
