//! The crafted hellos of a scan: which suites, groups and signals each
//! kind of attempt offers.

use rustls::crypto::SecureRandom;
use trustwatch_rules::observe::TlsVersion;
use trustwatch_tls_wire::{
    groups, suites, ClientHello, Ssl2ClientHello, FALLBACK_SCSV, RENEGOTIATION_INFO_SCSV,
    SSL2_CIPHER_KINDS,
};

use super::exchange::Hello;

/// X25519: every 32-byte string is a valid public key, so random bytes
/// make a key share any TLS 1.3 server accepts without doing the maths.
const X25519: u16 = 29;

/// What one hello offers.
#[derive(Debug, Clone)]
pub(super) struct Offer {
    pub version: TlsVersion,
    pub suites: Vec<u16>,
    /// `None`: every group the version allows.
    pub groups: Option<Vec<u16>>,
    /// Add TLS_FALLBACK_SCSV (RFC 7507).
    pub fallback: bool,
}

impl Offer {
    /// Every registered suite of `version`.
    pub fn all(version: TlsVersion) -> Offer {
        Offer::suites(version, suites::offered_at(version))
    }

    pub fn suites(version: TlsVersion, suites: Vec<u16>) -> Offer {
        Offer {
            version,
            suites,
            groups: None,
            fallback: false,
        }
    }
}

#[derive(Debug)]
pub(super) struct Hellos {
    sni: Option<String>,
    rng: &'static dyn SecureRandom,
}

impl Hellos {
    pub fn new(sni: Option<String>) -> Hellos {
        Hellos {
            sni,
            rng: rustls::crypto::ring::default_provider().secure_random,
        }
    }

    fn random<const N: usize>(&self) -> [u8; N] {
        let mut out = [0u8; N];
        // A scan's hello needs unpredictability only as much as any client
        // does; should the system RNG fail, zeros still make a valid hello.
        let _ = self.rng.fill(&mut out);
        out
    }

    /// The bytes of a hello for `offer`. TLS ≤ 1.2 hellos always signal
    /// secure renegotiation, ask for OCSP stapling and offer DEFLATE, so
    /// every answer also tells those features.
    pub fn build(&self, offer: &Offer) -> Hello {
        if offer.version == TlsVersion::Ssl2 {
            return self.ssl2();
        }
        let mut suites = offer.suites.clone();
        if offer.version < TlsVersion::Tls13 {
            suites.push(RENEGOTIATION_INFO_SCSV);
        }
        if offer.fallback {
            suites.push(FALLBACK_SCSV);
        }
        let mut hello = ClientHello::new(offer.version, self.random(), suites);
        hello.server_name = self.sni.clone();
        if let Some(groups) = &offer.groups {
            hello.groups = groups.clone();
        }
        if offer.version == TlsVersion::Tls13 {
            // Some middleboxes expect a session id in TLS 1.3 hellos.
            hello.session_id = self.random::<32>().to_vec();
            if hello.groups.contains(&X25519) {
                hello.key_shares = vec![(X25519, self.random::<32>().to_vec())];
            }
        } else {
            hello.offer_compression = true;
        }
        Hello {
            // Only our own bugs could make these fields too long.
            bytes: hello.encode().unwrap_or_default(),
            close_with: Some(hello.record_version()),
        }
    }

    fn ssl2(&self) -> Hello {
        let hello = Ssl2ClientHello {
            cipher_kinds: SSL2_CIPHER_KINDS.iter().map(|(k, _)| *k).collect(),
            challenge: self.random::<16>().to_vec(),
        };
        Hello {
            bytes: hello.encode().unwrap_or_default(),
            close_with: None,
        }
    }
}

/// The groups a hello for `version` lists, minus those already found.
pub(super) fn groups_without(version: TlsVersion, found: &[u16]) -> Vec<u16> {
    groups::offered_at(version)
        .into_iter()
        .filter(|g| !found.contains(g))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustwatch_tls_wire::{HandshakeMessage, ParsedClientHello, Record};

    fn parse(hello: &Hello) -> ParsedClientHello {
        let (record, _) = Record::parse(&hello.bytes).unwrap().unwrap();
        let (msg, _) = HandshakeMessage::parse(record.payload, 1 << 16)
            .unwrap()
            .unwrap();
        ParsedClientHello::decode(msg.body).unwrap()
    }

    #[test]
    fn legacy_hellos_signal_renegotiation_and_offer_compression() {
        let hellos = Hellos::new(Some("pacs.trust.nhs.uk".into()));
        let mut offer = Offer::all(TlsVersion::Tls10);
        offer.fallback = true;
        let parsed = parse(&hellos.build(&offer));
        assert_eq!(parsed.legacy_version, 0x0301);
        assert_eq!(parsed.compression_methods, [1, 0]);
        let n = parsed.cipher_suites.len();
        assert_eq!(
            &parsed.cipher_suites[n - 2..],
            &[RENEGOTIATION_INFO_SCSV, FALLBACK_SCSV]
        );
        assert_eq!(parsed.server_name().as_deref(), Some("pacs.trust.nhs.uk"));
    }

    #[test]
    fn tls13_hellos_share_an_x25519_key_only_when_listing_it() {
        let hellos = Hellos::new(None);
        let parsed = parse(&hellos.build(&Offer::all(TlsVersion::Tls13)));
        assert_eq!(parsed.key_shares(), [(29, 32)]);
        assert_eq!(parsed.session_id.len(), 32);
        let mut offer = Offer::all(TlsVersion::Tls13);
        offer.groups = Some(groups_without(TlsVersion::Tls13, &[29]));
        let parsed = parse(&hellos.build(&offer));
        assert!(parsed.key_shares().is_empty());
        assert!(!parsed
            .u16_list(trustwatch_tls_wire::extension::SUPPORTED_GROUPS)
            .contains(&29));
    }

    #[test]
    fn ssl2_hello_offers_every_cipher_kind() {
        let hello = Hellos::new(None).build(&Offer::all(TlsVersion::Ssl2));
        assert_eq!(hello.bytes[0], 0x80);
        assert_eq!(hello.close_with, None);
        assert_eq!(&hello.bytes[2..7], &[1, 0, 2, 0, 21]);
    }
}
