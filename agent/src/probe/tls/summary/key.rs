//! Public-key and signature-algorithm naming for certificate summaries.

use trustwatch_rules::observe::{KeyAlgorithm, PublicKeySummary};
use x509_parser::objects::{oid2sn, oid_registry};
use x509_parser::oid_registry::{
    Oid, OID_EC_P256, OID_KEY_TYPE_DSA, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384,
    OID_NIST_EC_P521, OID_PKCS1_RSAENCRYPTION, OID_PKCS1_RSASSAPSS, OID_SIG_ED25519, OID_SIG_ED448,
};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

/// Named curves the rules care about, by OID: (name, field size in bits).
fn curve(oid: &Oid<'_>) -> Option<(&'static str, u32)> {
    if *oid == OID_EC_P256 {
        Some(("P-256", 256))
    } else if *oid == OID_NIST_EC_P384 {
        Some(("P-384", 384))
    } else if *oid == OID_NIST_EC_P521 {
        Some(("P-521", 521))
    } else {
        None
    }
}

pub(super) fn summarise(spki: &SubjectPublicKeyInfo<'_>) -> PublicKeySummary {
    let oid = &spki.algorithm.algorithm;
    let parsed = spki.parsed().ok();
    let parsed_bits = parsed.as_ref().map_or(0, |k| k.key_size() as u32);
    if *oid == OID_PKCS1_RSAENCRYPTION || *oid == OID_PKCS1_RSASSAPSS {
        let bits = match &parsed {
            Some(PublicKey::RSA(rsa)) => modulus_bits(rsa.modulus),
            _ => 0,
        };
        return PublicKeySummary {
            algorithm: KeyAlgorithm::Rsa,
            bits,
            curve: None,
        };
    }
    if *oid == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let named = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        let (curve_name, bits) = match named.as_ref().and_then(curve) {
            Some((name, bits)) => (Some(name.to_owned()), bits),
            // An unusual curve: report its OID and the point's size.
            None => (named.map(|o| o.to_id_string()), parsed_bits),
        };
        return PublicKeySummary {
            algorithm: KeyAlgorithm::Ec,
            bits,
            curve: curve_name,
        };
    }
    let (algorithm, bits) = if *oid == OID_SIG_ED25519 {
        (KeyAlgorithm::Ed25519, 256)
    } else if *oid == OID_SIG_ED448 {
        (KeyAlgorithm::Ed448, 456)
    } else if *oid == OID_KEY_TYPE_DSA {
        (KeyAlgorithm::Dsa, parsed_bits)
    } else {
        (KeyAlgorithm::Other(name_of(oid)), parsed_bits)
    };
    PublicKeySummary {
        algorithm,
        bits,
        curve: None,
    }
}

/// The modulus size in bits, ignoring DER's leading zero bytes (x509-parser's
/// own `key_size` counts whole bytes and gives 0 for some encodings).
pub(super) fn modulus_bits(modulus: &[u8]) -> u32 {
    match modulus.iter().position(|&b| b != 0) {
        None => 0,
        Some(i) => {
            let significant = (modulus.len() - i) as u32;
            significant * 8 - modulus[i].leading_zeros()
        }
    }
}

/// The conventional short name of a signature algorithm, e.g.
/// `sha256WithRSAEncryption`, `ecdsa-with-SHA256`.
pub(super) fn signature_name(oid: &Oid<'_>) -> String {
    name_of(oid)
}

fn name_of(oid: &Oid<'_>) -> String {
    if let Ok(name) = oid2sn(oid, oid_registry()) {
        return name.to_owned();
    }
    // Weak algorithms the registry does not name; they matter most to the
    // rules, so they must not come out as bare numbers.
    match oid.to_id_string().as_str() {
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1".to_owned(),
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption".to_owned(),
        "1.2.840.10040.4.3" => "dsa-with-SHA1".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_bits_ignores_padding() {
        assert_eq!(modulus_bits(&[]), 0);
        assert_eq!(modulus_bits(&[0, 0]), 0);
        let mut m = vec![0u8];
        m.extend(std::iter::repeat_n(0xff, 256));
        assert_eq!(modulus_bits(&m), 2048);
        assert_eq!(modulus_bits(&[0x01, 0x00]), 9);
    }

    #[test]
    fn weak_signature_oids_have_names() {
        let oid = Oid::from(&[1, 2, 840, 10045, 4, 1]).unwrap();
        assert_eq!(signature_name(&oid), "ecdsa-with-SHA1");
    }
}
