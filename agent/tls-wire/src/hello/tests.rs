use super::*;
use crate::handshake::split_messages;
use crate::record::Record;
use crate::suites::{offered_at as all_suites, FALLBACK_SCSV, RENEGOTIATION_INFO_SCSV};

/// The handshake body of an encoded hello, through the record layer.
fn decode(bytes: &[u8]) -> ParsedClientHello {
    let mut payload = Vec::new();
    let mut pos = 0;
    while let Some((record, used)) = Record::parse(&bytes[pos..]).unwrap() {
        assert_eq!(record.header.content_type, ContentType::Handshake);
        payload.extend_from_slice(record.payload);
        pos += used;
    }
    assert_eq!(pos, bytes.len());
    let msgs = split_messages(&payload, 1 << 20).unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].typ, HandshakeType::CLIENT_HELLO);
    ParsedClientHello::decode(msgs[0].body).unwrap()
}

#[test]
fn tls12_hello_carries_what_was_asked() {
    let mut suites = all_suites(TlsVersion::Tls12);
    suites.push(RENEGOTIATION_INFO_SCSV);
    let mut hello = ClientHello::new(TlsVersion::Tls12, [3; 32], suites.clone());
    hello.server_name = Some("intranet.example.nhs.uk".into());
    hello.offer_compression = true;
    let parsed = decode(&hello.encode().unwrap());
    assert_eq!(parsed.legacy_version, 0x0303);
    assert_eq!(parsed.cipher_suites, suites);
    assert_eq!(parsed.compression_methods, [1, 0]);
    assert_eq!(
        parsed.server_name().as_deref(),
        Some("intranet.example.nhs.uk")
    );
    assert!(parsed.u16_list(extension::SUPPORTED_GROUPS).contains(&23));
    assert!(parsed
        .u16_list(extension::SIGNATURE_ALGORITHMS)
        .contains(&0x0401));
    assert_eq!(
        parsed.extension(extension::STATUS_REQUEST),
        Some(&[1, 0, 0, 0, 0][..])
    );
    assert!(parsed.supported_versions().is_empty());
}

#[test]
fn tls13_hello_pins_the_version_and_carries_key_shares() {
    let mut hello = ClientHello::new(TlsVersion::Tls13, [1; 32], all_suites(TlsVersion::Tls13));
    hello.key_shares = vec![(29, vec![0x42; 32])];
    hello.offer_compression = true;
    hello.session_id = vec![5; 32];
    let parsed = decode(&hello.encode().unwrap());
    assert_eq!(parsed.legacy_version, 0x0303);
    assert_eq!(parsed.supported_versions(), [0x0304]);
    assert_eq!(parsed.key_shares(), [(29, 32)]);
    assert_eq!(parsed.compression_methods, [0], "never compression at 1.3");
    assert!(parsed.u16_list(extension::SUPPORTED_GROUPS).contains(&256));
    assert!(parsed.extension(extension::EC_POINT_FORMATS).is_none());
}

#[test]
fn ssl3_and_tls10_hellos() {
    let ssl3 = ClientHello::new(
        TlsVersion::Ssl3,
        [0; 32],
        vec![0x000A, 0x0005, RENEGOTIATION_INFO_SCSV],
    );
    let bytes = ssl3.encode().unwrap();
    assert_eq!(&bytes[..3], &[22, 3, 0]);
    let parsed = decode(&bytes);
    assert_eq!(parsed.legacy_version, 0x0300);
    assert!(
        parsed.extensions.is_empty(),
        "SSL 3.0 hellos carry no extensions"
    );

    let mut tls10 = ClientHello::new(TlsVersion::Tls10, [0; 32], vec![0x002F, FALLBACK_SCSV]);
    tls10.renegotiation_info = true;
    let parsed = decode(&tls10.encode().unwrap());
    assert_eq!(parsed.legacy_version, 0x0301);
    assert!(parsed.extension(extension::SIGNATURE_ALGORITHMS).is_none());
    assert_eq!(
        parsed.extension(extension::RENEGOTIATION_INFO),
        Some(&[0][..])
    );
    assert_eq!(parsed.cipher_suites, [0x002F, FALLBACK_SCSV]);
}

#[test]
fn hellos_of_256_to_511_bytes_are_padded() {
    for n in 0..120 {
        let suites: Vec<u16> = (0..n).map(|i| 0xC000 + i).collect();
        let hello = ClientHello::new(TlsVersion::Tls10, [0; 32], suites);
        let bytes = hello.encode().unwrap();
        let handshake_len = bytes.len() - 5;
        assert!(
            !(256..512).contains(&handshake_len),
            "{n} suites: {handshake_len} bytes"
        );
        decode(&bytes);
    }
}

#[test]
fn ssl2_is_refused_here() {
    let hello = ClientHello::new(TlsVersion::Ssl2, [0; 32], vec![]);
    assert!(hello.encode().is_err());
}
