use super::*;
use SuiteClass::*;

fn classes(name: &str) -> Vec<SuiteClass> {
    classes_from_name(name)
}

#[test]
fn registry_is_sorted_unique_and_named_by_iana_convention() {
    for pair in SUITES.windows(2) {
        assert!(
            pair[0].id < pair[1].id,
            "{:?} before {:?}",
            pair[0],
            pair[1]
        );
    }
    for s in SUITES.iter() {
        assert!(s.name.starts_with("TLS_"), "{}", s.name);
        assert!(
            !s.name.contains("PSK") && !s.name.contains("SRP"),
            "{}",
            s.name
        );
    }
    assert_eq!(
        SuiteInfo::lookup(0x002F).unwrap().name,
        "TLS_RSA_WITH_AES_128_CBC_SHA"
    );
    assert_eq!(SuiteInfo::lookup(0x1234), None);
}

#[test]
fn representative_suites_are_classified() {
    assert_eq!(
        classes("TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
        vec![TripleDes, Cbc, Sha1Mac, StaticRsa]
    );
    assert_eq!(
        classes("TLS_RSA_WITH_NULL_MD5"),
        vec![Null, Md5Mac, StaticRsa]
    );
    assert_eq!(
        classes("TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
        vec![Export, Rc4, Md5Mac, StaticRsa]
    );
    assert_eq!(
        classes("TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"),
        vec![Export, Des, Cbc, Sha1Mac, ForwardSecret]
    );
    assert_eq!(
        classes("TLS_DH_anon_WITH_AES_128_GCM_SHA256"),
        vec![Anonymous, Aead]
    );
    assert_eq!(
        classes("TLS_ECDH_anon_WITH_NULL_SHA"),
        vec![Null, Anonymous, Sha1Mac]
    );
    assert_eq!(
        classes("TLS_RSA_WITH_DES_CBC_SHA"),
        vec![Des, Cbc, Sha1Mac, StaticRsa]
    );
    assert_eq!(
        classes("TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"),
        vec![Cbc, StaticDh]
    );
    assert_eq!(
        classes("TLS_DH_DSS_WITH_SEED_CBC_SHA"),
        vec![Cbc, Sha1Mac, StaticDh]
    );
    assert_eq!(
        classes("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
        vec![ForwardSecret, Aead]
    );
    assert_eq!(
        classes("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
        vec![ForwardSecret, Aead]
    );
    assert_eq!(
        classes("TLS_DHE_RSA_WITH_AES_256_CCM_8"),
        vec![ForwardSecret, Aead]
    );
    assert_eq!(
        classes("TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
        vec![Rc4, Sha1Mac, ForwardSecret]
    );
    assert_eq!(classes("TLS_AES_128_GCM_SHA256"), vec![ForwardSecret, Aead]);
    assert_eq!(
        classes("TLS_CHACHA20_POLY1305_SHA256"),
        vec![ForwardSecret, Aead]
    );
    assert_eq!(
        classes("TLS_RSA_WITH_IDEA_CBC_SHA"),
        vec![Cbc, Sha1Mac, StaticRsa]
    );
}

#[test]
fn ssl2_kinds_are_classified() {
    assert_eq!(
        classes("SSL_CK_RC4_128_EXPORT40_WITH_MD5"),
        vec![Export, Rc4, Md5Mac, StaticRsa]
    );
    assert_eq!(
        classes("SSL_CK_DES_192_EDE3_CBC_WITH_MD5"),
        vec![TripleDes, Cbc, Md5Mac, StaticRsa]
    );
    assert_eq!(
        classes("SSL_CK_DES_64_CBC_WITH_MD5"),
        vec![Des, Cbc, Md5Mac, StaticRsa]
    );
}

#[test]
fn key_exchange_is_read_from_the_name() {
    let kx = |id| SuiteInfo::lookup(id).unwrap().key_exchange();
    assert_eq!(kx(0x0004), KeyExchange::Rsa);
    assert_eq!(kx(0x0003), KeyExchange::RsaExport);
    assert_eq!(kx(0x0030), KeyExchange::Dh);
    assert_eq!(kx(0x0033), KeyExchange::Dhe);
    assert_eq!(kx(0x0034), KeyExchange::DhAnon);
    assert_eq!(kx(0xC004), KeyExchange::Ecdh);
    assert_eq!(kx(0xC02F), KeyExchange::Ecdhe);
    assert_eq!(kx(0xC018), KeyExchange::EcdhAnon);
    assert_eq!(kx(0x1302), KeyExchange::Tls13);
}

#[test]
fn offers_match_the_version() {
    let tls10 = offered_at(TlsVersion::Tls10);
    assert!(tls10.contains(&0x000A) && tls10.contains(&0xC013));
    assert!(!tls10.contains(&0xC02F), "GCM is TLS 1.2 only");
    assert!(!tls10.contains(&0x1301));
    let tls12 = offered_at(TlsVersion::Tls12);
    assert!(tls12.contains(&0xC02F) && tls12.contains(&0x000A));
    assert!(!tls12.contains(&0x1301));
    assert_eq!(
        offered_at(TlsVersion::Tls13),
        vec![0x00C6, 0x00C7, 0x1301, 0x1302, 0x1303, 0x1304, 0x1305]
    );
    // Every suite is offered at one version or another.
    assert!(SUITES
        .iter()
        .all(|s| s.offered_at(TlsVersion::Tls12) || s.offered_at(TlsVersion::Tls13)));
}
