//! DKIM key records at `<selector>._domainkey.<domain>` (RFC 6376 section
//! 3.6.1; Ed25519 keys from RFC 8463).

use trustwatch_rules::observe::{DkimKey, DkimObservation, DkimSelector};
use x509_parser::oid_registry::{OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::{PublicKey, RSAPublicKey};
use x509_parser::x509::SubjectPublicKeyInfo;

use super::observed;
use super::tags::TagList;
use crate::dns::answer::normalise;
use crate::dns::{RecordType, Resolve};

/// Selectors tried after the configured ones. Selectors cannot be listed
/// from the DNS, so these are the names big senders publish by default:
/// Microsoft 365 (`selector1`, `selector2`), Google Workspace (`google`),
/// Mailchimp/Mandrill (`k1`), and the defaults of common signing software
/// and hosting panels (`default`, `dkim`, `s1`, `s2`, `mail`, `smtp`). Kept
/// short: each is one more question per domain.
pub const COMMON_SELECTORS: &[&str] = &[
    "selector1",
    "selector2",
    "google",
    "default",
    "dkim",
    "k1",
    "s1",
    "s2",
    "mail",
    "smtp",
];

/// At most this many configured selectors are tried per domain; the rest
/// are listed as not tried.
pub const MAX_CONFIGURED_SELECTORS: usize = 32;

/// Looks up the DKIM key records at each configured selector, then at the
/// [`COMMON_SELECTORS`] not already configured, one after another.
pub async fn dkim<R: Resolve>(resolver: &R, domain: &str, selectors: &[String]) -> DkimObservation {
    let domain = normalise(domain);
    let mut configured: Vec<String> = Vec::new();
    let mut not_tried = Vec::new();
    for selector in selectors {
        let selector = normalise(selector.trim());
        if configured.contains(&selector) {
            continue;
        }
        if !is_selector(&selector) || configured.len() >= MAX_CONFIGURED_SELECTORS {
            not_tried.push(selector);
        } else {
            configured.push(selector);
        }
    }
    let common = COMMON_SELECTORS
        .iter()
        .map(|s| s.to_string())
        .filter(|s| !configured.contains(s))
        .collect::<Vec<_>>();
    let n_configured = configured.len();
    let mut obs = DkimObservation {
        domain: domain.clone(),
        selectors_tried: Vec::new(),
        selectors: Vec::new(),
        not_tried,
        resolver: resolver.describe(),
    };
    for (i, selector) in configured.into_iter().chain(common).enumerate() {
        let answer = resolver
            .lookup(&format!("{selector}._domainkey.{domain}"), RecordType::Txt)
            .await;
        obs.selectors_tried.push(selector.clone());
        obs.selectors.push(DkimSelector {
            selector,
            configured: i < n_configured,
            keys: answer.texts().map(parse_key).collect(),
            lookup: observed(&answer),
        });
    }
    obs
}

/// A selector is one or more DNS labels (RFC 6376 section 3.1).
fn is_selector(selector: &str) -> bool {
    !selector.is_empty()
        && selector.len() <= 200
        && selector.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Parses one TXT string as a DKIM key record. Never fails: what is wrong
/// is listed in the key's `problems`.
pub fn parse_key(text: &str) -> DkimKey {
    let list = TagList::parse(text);
    let mut key = DkimKey {
        text: text.to_owned(),
        key_type: "rsa".into(),
        bits: None,
        revoked: false,
        problems: Vec::new(),
    };
    let tag = |name: &str| {
        list.tags
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    // v= is optional, but when present it must be first and DKIM1.
    if let Some(v) = tag("v") {
        if !list.starts_with_version("DKIM1") {
            key.problems
                .push(format!("v={v} is not DKIM1 as the first tag"));
        }
    }
    if let Some(k) = tag("k") {
        key.key_type = k.to_ascii_lowercase();
    }
    if let Some(services) = tag("s") {
        if !services
            .split(':')
            .any(|s| matches!(s.trim(), "*" | "email"))
        {
            key.problems
                .push(format!("s={services} does not include email"));
        }
    }
    let Some(p) = tag("p") else {
        key.problems.push("no p= tag (the public key)".into());
        return key;
    };
    // Whitespace inside the value is folding, not data (section 3.6.1).
    let p: String = p.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if p.is_empty() {
        key.revoked = true;
        return key;
    }
    let der = match base64_decode(&p) {
        Some(der) => der,
        None => {
            key.problems.push("p= is not valid base64".into());
            return key;
        }
    };
    match key.key_type.as_str() {
        "rsa" => match rsa_bits(&der) {
            Ok(bits) => key.bits = Some(bits),
            Err(why) => key.problems.push(why),
        },
        "ed25519" => {
            // RFC 8463: the raw 32-byte public key, not wrapped in DER.
            if der.len() == 32 {
                key.bits = Some(256);
            } else {
                key.problems.push(format!(
                    "an Ed25519 key is 32 bytes, but p= holds {}",
                    der.len()
                ));
            }
        }
        other => key
            .problems
            .push(format!("k={other} is not a known key type")),
    }
    key
}

/// The modulus size of an RSA key published as a SubjectPublicKeyInfo
/// (what RFC 6376 signers publish) or as a bare PKCS#1 RSAPublicKey (which
/// the RFC's wording also allows and some tools emit).
fn rsa_bits(der: &[u8]) -> Result<u32, String> {
    if let Ok((_, spki)) = SubjectPublicKeyInfo::from_der(der) {
        let oid = &spki.algorithm.algorithm;
        if *oid == OID_PKCS1_RSAENCRYPTION {
            return match spki.parsed() {
                Ok(PublicKey::RSA(rsa)) => Ok(modulus_bits(rsa.modulus)),
                _ => Err("p= holds an RSA key that does not parse".into()),
            };
        }
        return Err(if *oid == OID_SIG_ED25519 {
            "k=rsa but p= holds an Ed25519 key".into()
        } else {
            format!("k=rsa but p= holds a key of type {}", oid.to_id_string())
        });
    }
    match RSAPublicKey::from_der(der) {
        Ok((_, rsa)) => Ok(modulus_bits(rsa.modulus)),
        Err(_) => Err("p= is not an RSA public key".into()),
    }
}

/// The modulus size in bits, ignoring DER's leading zero bytes.
fn modulus_bits(modulus: &[u8]) -> u32 {
    match modulus.iter().position(|&b| b != 0) {
        None => 0,
        Some(i) => ((modulus.len() - i) * 8) as u32 - modulus[i].leading_zeros(),
    }
}

/// Standard base64 with padding, as `p=` uses. Written here rather than
/// taken as a dependency: a key record is the only base64 the agent reads,
/// and this is the whole of it. `None` on any character outside the
/// alphabet or a bad length or padding.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if bytes.len() % 4 != 0 {
        return None;
    }
    let padding = bytes.iter().rev().take_while(|&&c| c == b'=').count();
    if padding > 2 {
        return None;
    }
    let body = &bytes[..bytes.len() - padding];
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut n = 0u32;
        for &c in chunk {
            n = (n << 6) | value(c)?;
        }
        // A short last chunk: shift as if padded, keep the whole bytes.
        n <<= 6 * (4 - chunk.len() as u32);
        let full = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&full[..keep]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_and_refuses_what_is_not() {
        assert_eq!(base64_decode("").unwrap(), b"");
        assert_eq!(base64_decode("TWFu").unwrap(), b"Man");
        assert_eq!(base64_decode("TWE=").unwrap(), b"Ma");
        assert_eq!(base64_decode("TQ==").unwrap(), b"M");
        assert_eq!(base64_decode("AP/+").unwrap(), [0x00, 0xff, 0xfe]);
        assert!(base64_decode("TWF").is_none());
        assert!(base64_decode("TW!u").is_none());
        assert!(base64_decode("T===").is_none());
        assert!(base64_decode("====").is_none());
    }

    #[test]
    fn selectors_are_dns_labels() {
        assert!(is_selector("selector1"));
        assert!(is_selector("s2048.eu"));
        assert!(!is_selector(""));
        assert!(!is_selector("a..b"));
        assert!(!is_selector("has space"));
    }

    #[test]
    fn modulus_bits_ignores_leading_zeros() {
        assert_eq!(modulus_bits(&[0, 0x80, 0]), 16);
        assert_eq!(modulus_bits(&[0x01]), 1);
        assert_eq!(modulus_bits(&[0]), 0);
    }
}
