//! Property tests: the decoders never panic on arbitrary or mutated bytes,
//! and what the encoders write decodes back to what was asked for.

use proptest::prelude::*;
use trustwatch_rules::observe::TlsVersion;
use trustwatch_tls_wire::{
    extension, ClientHello, FlightParser, HandshakeMessage, ParsedClientHello, Record, Response,
    ServerHello, Ssl2ServerHello,
};

fn server_hello() -> impl Strategy<Value = ServerHello> {
    (
        any::<u16>(),
        any::<[u8; 32]>(),
        prop::collection::vec(any::<u8>(), 0..=32),
        any::<u16>(),
        any::<u8>(),
        prop::collection::vec(
            (any::<u16>(), prop::collection::vec(any::<u8>(), 0..40)),
            0..6,
        ),
    )
        .prop_map(
            |(legacy_version, random, session_id, cipher_suite, compression, extensions)| {
                ServerHello {
                    legacy_version,
                    random,
                    session_id,
                    cipher_suite,
                    compression,
                    extensions,
                }
            },
        )
}

/// A TLS 1.2 first flight: ServerHello, Certificate, ServerHelloDone.
fn flight_bytes(hello: &ServerHello, certs: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = hello.encode_records(0x0303).unwrap();
    let mut list = Vec::new();
    for c in certs {
        list.extend_from_slice(&(c.len() as u32).to_be_bytes()[1..]);
        list.extend_from_slice(c);
    }
    let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
    body.extend(list);
    bytes.extend(HandshakeMessage::encode_records(11, &body, 0x0303).unwrap());
    bytes.extend(HandshakeMessage::encode_records(14, &[], 0x0303).unwrap());
    bytes
}

fn feed_in_chunks(bytes: &[u8], cuts: &[usize], budget: usize) -> Option<Response> {
    let mut parser = FlightParser::new(budget);
    let mut pos = 0;
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    bounds.push(bytes.len());
    bounds.sort();
    for end in bounds {
        if end <= pos {
            continue;
        }
        match parser.feed(&bytes[pos..end]) {
            Ok(None) => pos = end,
            Ok(Some(r)) => return Some(r),
            Err(_) => return None,
        }
        assert!(parser.received() <= budget);
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_flight_parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048),
                                      cuts in prop::collection::vec(any::<usize>(), 0..8),
                                      budget in 0usize..4096) {
        let _ = feed_in_chunks(&bytes, &cuts, budget);
    }

    #[test]
    fn mutated_flights_never_panic(hello in server_hello(),
                                   certs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..4),
                                   flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
                                   cut in any::<usize>()) {
        let mut bytes = flight_bytes(&hello, &certs);
        for (at, value) in flips {
            let i = at % bytes.len();
            bytes[i] = value;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        let _ = feed_in_chunks(&bytes, &[cut / 3, cut / 7], 1 << 16);
        let _ = ServerHello::decode(&bytes);
        let _ = ParsedClientHello::decode(&bytes);
        let _ = Record::parse(&bytes);
    }

    #[test]
    fn server_hello_round_trips(hello in server_hello()) {
        let body = hello.encode_body().unwrap();
        prop_assert_eq!(ServerHello::decode(&body).unwrap(), hello);
    }

    #[test]
    fn flights_round_trip_whatever_the_chunking(
        suite in any::<u16>(),
        certs in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..300), 0..12),
        cuts in prop::collection::vec(any::<usize>(), 0..10),
    ) {
        let hello = ServerHello {
            legacy_version: 0x0303,
            random: [4; 32],
            session_id: vec![],
            cipher_suite: suite,
            compression: 0,
            extensions: vec![(extension::RENEGOTIATION_INFO, vec![0])],
        };
        let bytes = flight_bytes(&hello, &certs);
        let Some(Response::Flight(flight)) = feed_in_chunks(&bytes, &cuts, 1 << 20) else {
            return Err(TestCaseError::fail("no flight"));
        };
        prop_assert_eq!(flight.hello, hello);
        let kept = certs.len().min(trustwatch_tls_wire::MAX_CERTIFICATES);
        prop_assert_eq!(&flight.certificates[..], &certs[..kept]);
        prop_assert_eq!(flight.certificates_truncated, certs.len() > kept);
    }

    #[test]
    fn client_hellos_round_trip(
        version in prop::sample::select(vec![TlsVersion::Ssl3, TlsVersion::Tls10, TlsVersion::Tls11, TlsVersion::Tls12, TlsVersion::Tls13]),
        random in any::<[u8; 32]>(),
        suites in prop::collection::vec(any::<u16>(), 1..400),
        groups in prop::collection::vec(any::<u16>(), 0..50),
        sni in proptest::option::of("[a-z0-9.-]{1,60}"),
        compression in any::<bool>(),
        share in prop::collection::vec(any::<u8>(), 0..100),
    ) {
        let mut hello = ClientHello::new(version, random, suites.clone());
        hello.groups = groups.clone();
        hello.server_name = sni.clone();
        hello.offer_compression = compression;
        hello.key_shares = vec![(29, share.clone())];
        let bytes = hello.encode().unwrap();
        let mut payload = Vec::new();
        let mut pos = 0;
        while let Some((record, used)) = Record::parse(&bytes[pos..]).unwrap() {
            payload.extend_from_slice(record.payload);
            pos += used;
        }
        prop_assert_eq!(pos, bytes.len());
        let (msg, used) = HandshakeMessage::parse(&payload, 1 << 20).unwrap().unwrap();
        prop_assert_eq!(used, payload.len());
        let parsed = ParsedClientHello::decode(msg.body).unwrap();
        prop_assert_eq!(parsed.random, random);
        prop_assert_eq!(&parsed.cipher_suites, &suites);
        if version >= TlsVersion::Tls10 {
            prop_assert_eq!(parsed.server_name(), sni);
            prop_assert_eq!(parsed.u16_list(extension::SUPPORTED_GROUPS), groups);
        } else {
            prop_assert!(parsed.extensions.is_empty());
        }
        if version == TlsVersion::Tls13 {
            prop_assert_eq!(parsed.supported_versions(), vec![0x0304]);
            prop_assert_eq!(parsed.key_shares(), vec![(29, share.len())]);
            prop_assert_eq!(parsed.compression_methods, vec![0]);
        } else {
            prop_assert_eq!(parsed.compression_methods.len(), if compression { 2 } else { 1 });
        }
    }

    #[test]
    fn ssl2_server_hello_round_trips(cert in prop::collection::vec(any::<u8>(), 0..500),
                                     kinds in prop::collection::vec(0u32..0x0100_0000, 0..10),
                                     conn in prop::collection::vec(any::<u8>(), 0..32)) {
        let hello = Ssl2ServerHello {
            session_id_hit: false,
            certificate_type: 1,
            version: 2,
            certificate: cert,
            cipher_kinds: kinds,
            connection_id: conn,
        };
        let bytes = hello.encode().unwrap();
        prop_assert_eq!(FlightParser::new(1 << 16).feed(&bytes).unwrap(), Some(Response::Ssl2Hello(hello)));
    }
}
