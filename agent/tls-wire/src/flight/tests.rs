use super::*;
use crate::server_hello::{extension, HELLO_RETRY_REQUEST_RANDOM};
use crate::ssl2::Ssl2ServerHello;

fn hello(suite: u16, version: u16, extensions: Vec<(u16, Vec<u8>)>) -> ServerHello {
    ServerHello {
        legacy_version: version,
        random: [1; 32],
        session_id: vec![2; 32],
        cipher_suite: suite,
        compression: 0,
        extensions,
    }
}

fn msg(typ: u8, body: &[u8]) -> Vec<u8> {
    HandshakeMessage::encode(typ, body).unwrap()
}

fn records(payload: &[u8]) -> Vec<u8> {
    crate::record::encode_records(ContentType::Handshake, 0x0303, payload)
}

/// ServerHello, Certificate (two certs), CertificateStatus, a DHE
/// ServerKeyExchange with a 1024-bit prime, ServerHelloDone: the hello in
/// a record of its own, the rest in a second.
fn dhe_flight() -> Vec<u8> {
    let sh = hello(
        0x0033,
        0x0303,
        vec![(extension::RENEGOTIATION_INFO, vec![0])],
    );
    let mut bytes = records(&msg(2, &sh.encode_body().unwrap()));
    let mut hs = msg(11, &[0, 0, 12, 0, 0, 3, 0x30, 1, 2, 0, 0, 3, 0x30, 3, 4]);
    hs.extend(msg(22, &[1, 0, 0, 1, 0]));
    let mut ske = vec![0, 128];
    ske.extend([0xC0; 128]);
    ske.extend([0, 1, 2, 0, 1, 5, 1, 1, 0, 0]);
    hs.extend(msg(12, &ske));
    hs.extend(msg(14, &[]));
    bytes.extend(records(&hs));
    bytes
}

fn parse_all(bytes: &[u8]) -> Result<Option<Response>, WireError> {
    FlightParser::new(1 << 20).feed(bytes)
}

#[test]
fn full_tls12_flight_in_one_go_and_byte_by_byte() {
    let bytes = dhe_flight();
    let Some(Response::Flight(flight)) = parse_all(&bytes).unwrap() else {
        panic!("no flight")
    };
    assert_eq!(flight.hello.cipher_suite, 0x0033);
    assert!(flight.hello.secure_renegotiation());
    assert_eq!(
        flight.certificates,
        vec![vec![0x30, 1, 2], vec![0x30, 3, 4]]
    );
    assert!(flight.certificate_status);
    assert_eq!(
        flight.key_exchange,
        Some(ServerKeyExchange::Dh { prime_bits: 1024 })
    );
    assert_eq!(flight.alert, None);

    let mut p = FlightParser::new(1 << 20);
    let mut answer = None;
    for (i, b) in bytes.iter().enumerate() {
        answer = p.feed(&[*b]).unwrap();
        assert_eq!(answer.is_some(), i == bytes.len() - 1, "byte {i}");
        // The ServerHello record: 5 + 4 + 70 + 7 (extensions) bytes.
        if answer.is_none() {
            assert_eq!(p.saw_server_hello(), i >= 85, "byte {i}");
        }
    }
    assert_eq!(answer, Some(Response::Flight(flight)));
    assert!(p.feed(&[0]).is_err(), "nothing after the answer");
}

#[test]
fn messages_split_across_records() {
    let sh = hello(0xC02F, 0x0301, vec![]);
    let mut hs = msg(2, &sh.encode_body().unwrap());
    hs.extend(msg(12, &[3, 0, 23, 1, 4]));
    hs.extend(msg(14, &[]));
    let mut bytes = Vec::new();
    for chunk in hs.chunks(7) {
        bytes.extend(records(chunk));
    }
    let Some(Response::Flight(f)) = parse_all(&bytes).unwrap() else {
        panic!()
    };
    assert_eq!(f.key_exchange, Some(ServerKeyExchange::Ecdh { group: 23 }));
    assert!(!f.hello.secure_renegotiation());
}

#[test]
fn compression_chosen_by_the_server_is_read() {
    let mut sh = hello(0x002F, 0x0303, vec![]);
    sh.compression = 1;
    let mut hs = msg(2, &sh.encode_body().unwrap());
    hs.extend(msg(14, &[]));
    let Some(Response::Flight(f)) = parse_all(&records(&hs)).unwrap() else {
        panic!()
    };
    assert_eq!(f.hello.compression, 1);
}

#[test]
fn alerts_refuse_and_warnings_are_skipped() {
    let fatal = [21, 3, 3, 0, 2, 2, 70];
    assert_eq!(
        parse_all(&fatal).unwrap(),
        Some(Response::Alert(Alert {
            level: AlertLevel::Fatal,
            description: 70
        }))
    );
    // A warning before the ServerHello, then the flight.
    let mut bytes = vec![21, 3, 3, 0, 2, 1, 112];
    bytes.extend(dhe_flight());
    assert!(matches!(
        parse_all(&bytes).unwrap(),
        Some(Response::Flight(_))
    ));
    // A fatal alert after the ServerHello ends the flight early.
    let sh = hello(0x002F, 0x0303, vec![]);
    let mut bytes = records(&msg(2, &sh.encode_body().unwrap()));
    bytes.extend([21, 3, 3, 0, 2, 2, 40]);
    let Some(Response::Flight(f)) = parse_all(&bytes).unwrap() else {
        panic!()
    };
    assert_eq!(f.alert.map(|a| a.description), Some(40));
}

#[test]
fn tls13_answers_end_at_the_server_hello() {
    let sh = hello(
        0x1302,
        0x0303,
        vec![
            (extension::SUPPORTED_VERSIONS, vec![3, 4]),
            (
                extension::KEY_SHARE,
                [0, 29, 0, 32].into_iter().chain([9; 32]).collect(),
            ),
        ],
    );
    let mut bytes = records(&msg(2, &sh.encode_body().unwrap()));
    bytes.extend([20, 3, 3, 0, 1, 1]); // middlebox-compatibility CCS, not read
    let mut p = FlightParser::new(1 << 20);
    let Some(Response::Flight(f)) = p.feed(&bytes).unwrap() else {
        panic!()
    };
    assert_eq!(f.hello.version(), 0x0304);
    assert_eq!(f.hello.key_share_group(), Some(29));

    let mut hrr = hello(
        0x1301,
        0x0303,
        vec![
            (extension::SUPPORTED_VERSIONS, vec![3, 4]),
            (extension::KEY_SHARE, vec![0, 24]),
        ],
    );
    hrr.random = HELLO_RETRY_REQUEST_RANDOM;
    let Some(Response::Flight(f)) =
        parse_all(&records(&msg(2, &hrr.encode_body().unwrap()))).unwrap()
    else {
        panic!()
    };
    assert!(f.hello.is_retry_request());
    assert_eq!(f.hello.key_share_group(), Some(24));
}

#[test]
fn ssl2_answers() {
    let sh = Ssl2ServerHello {
        session_id_hit: false,
        certificate_type: 1,
        version: 2,
        certificate: vec![0x30, 0],
        cipher_kinds: vec![0x010080],
        connection_id: vec![1; 16],
    };
    let Some(Response::Ssl2Hello(got)) = parse_all(&sh.encode().unwrap()).unwrap() else {
        panic!()
    };
    assert_eq!(got, sh);
    assert_eq!(
        parse_all(&[0x80, 3, 0, 0, 1]).unwrap(),
        Some(Response::Ssl2Error(1))
    );
}

#[test]
fn garbage_is_not_tls() {
    for garbage in [
        &b"HTTP/1.0 400 Bad Request\r\n"[..],
        b"\x16\x02\x00",
        b"\x80\x05\x07abcd",
        b"SSH-2.0-OpenSSH",
    ] {
        assert!(
            matches!(parse_all(garbage), Err(WireError::NotTls { .. })),
            "{garbage:?}: {:?}",
            parse_all(garbage)
        );
    }
    assert!(matches!(
        parse_all(&[23, 3, 3, 0, 1, 0]),
        Err(WireError::Unexpected { .. })
    ));
}

#[test]
fn the_budget_bounds_everything() {
    // A ServerHello then a Certificate that claims 16 MiB: refused from its
    // header.
    let sh = hello(0x002F, 0x0303, vec![]);
    let mut bytes = records(&msg(2, &sh.encode_body().unwrap()));
    bytes.extend(records(&[11, 0xff, 0xff, 0xff, 0, 0]));
    let mut p = FlightParser::new(64 * 1024);
    assert!(matches!(
        p.feed(&bytes),
        Err(WireError::MessageTooLong {
            what: "Certificate",
            ..
        })
    ));
    // Endless HelloRequests: the byte budget stops them.
    let mut p = FlightParser::new(1000);
    let chunk = records(&[0, 0, 0, 0]);
    let mut result = Ok(None);
    for _ in 0..200 {
        result = p.feed(&chunk);
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(WireError::OverBudget { limit: 1000 }));
}

#[test]
fn close_mid_flight_is_visible() {
    let bytes = dhe_flight();
    let mut p = FlightParser::new(1 << 20);
    assert_eq!(p.feed(&bytes[..bytes.len() - 10]).unwrap(), None);
    assert!(p.saw_server_hello());
    assert_eq!(p.received(), bytes.len() - 10);
}
