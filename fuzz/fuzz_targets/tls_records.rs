//! The record and handshake decoders of trustwatch-tls-wire on arbitrary
//! bytes: the server's first flight as the scanner reads it (in arbitrary
//! chunks, under a byte budget), and every message decoder on its own.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trustwatch_tls_wire::{
    Alert, FlightParser, HandshakeMessage, ParsedClientHello, Record, Response, ServerHello,
    Ssl2ClientHello, Ssl2ServerHello,
};

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    // Half the inputs start after a valid ServerHello for a suite the input
    // chooses, so the fuzzer reaches the Certificate and ServerKeyExchange
    // decoders without having to invent a ServerHello first.
    let mut bytes = Vec::new();
    let mut rest = rest;
    if control & 1 == 1 && rest.len() >= 2 {
        let hello = ServerHello {
            legacy_version: 0x0303,
            random: [0; 32],
            session_id: vec![],
            cipher_suite: u16::from_be_bytes([rest[0], rest[1]]),
            compression: 0,
            extensions: vec![],
        };
        bytes.extend(
            hello
                .encode_records(0x0303)
                .expect("a small ServerHello encodes"),
        );
        rest = &rest[2..];
    }
    bytes.extend_from_slice(rest);

    // Feed in chunks whose size the control byte picks; small budgets
    // exercise the overrun path.
    let chunk = usize::from(control >> 1).max(1);
    let budget = if control & 0x80 != 0 { 512 } else { 1 << 20 };
    let mut parser = FlightParser::new(budget);
    for piece in bytes.chunks(chunk) {
        match parser.feed(piece) {
            Ok(None) => assert!(parser.received() <= budget),
            Ok(Some(Response::Flight(f))) => {
                assert!(f.certificates.len() <= trustwatch_tls_wire::MAX_CERTIFICATES);
                break;
            }
            Ok(Some(_)) | Err(_) => break,
        }
    }

    let _ = Record::parse(data);
    let _ = HandshakeMessage::parse(data, 1 << 16);
    let _ = ServerHello::decode(data);
    let _ = ParsedClientHello::decode(data);
    let _ = Ssl2ServerHello::decode(data);
    let _ = Ssl2ClientHello::decode(data);
    let _ = Alert::decode(data);
});
