use super::*;
use proptest::prelude::*;

/// An ExtendedResponse as a server would send it.
fn response(id: u8, code: u8, diagnostic: &str) -> Vec<u8> {
    let mut op = tlv(ENUMERATED, &[code]);
    op.extend(tlv(OCTET_STRING, b""));
    op.extend(tlv(OCTET_STRING, diagnostic.as_bytes()));
    let mut body = tlv(INTEGER, &[id]);
    body.extend(tlv(EXTENDED_RESPONSE, &op));
    tlv(SEQUENCE, &body)
}

#[test]
fn request_is_the_rfc_4511_start_tls_request() {
    let mut expected = vec![0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16];
    expected.extend_from_slice(b"1.3.6.1.4.1.1466.20037");
    assert_eq!(request(1), expected);
}

#[test]
fn parses_success_and_refusal() {
    assert_eq!(
        parse_response(&response(1, 0, "")),
        Ok(ExtendedResponse {
            message_id: 1,
            result_code: 0,
            diagnostic: String::new()
        })
    );
    let refused = parse_response(&response(1, 2, "unsupported extended operation")).unwrap();
    assert_eq!(refused.result_code, 2);
    assert_eq!(refused.diagnostic, "unsupported extended operation");
}

#[test]
fn long_form_lengths_and_trailing_fields() {
    // slapd-style: long-form outer length, and a responseName after the
    // diagnostic message.
    let mut op = tlv(ENUMERATED, &[0]);
    op.extend(tlv(OCTET_STRING, b""));
    op.extend(tlv(OCTET_STRING, b""));
    op.extend(tlv(0x8a, STARTTLS_OID));
    let mut body = tlv(INTEGER, &[1]);
    body.extend(tlv(EXTENDED_RESPONSE, &op));
    let mut message = vec![SEQUENCE, 0x84, 0, 0, 0, body.len() as u8];
    message.extend(body);
    assert_eq!(parse_response(&message).unwrap().result_code, 0);
}

#[test]
fn rejects_what_ldap_forbids() {
    assert_eq!(extra_length_bytes(0x80), Err(BadBer::IndefiniteLength));
    assert_eq!(extra_length_bytes(0x82), Ok(2));
    assert_eq!(extra_length_bytes(0x7f), Ok(0));
    assert!(matches!(extra_length_bytes(0x85), Err(BadBer::TooLong(_))));
    assert_eq!(
        content_length(0x84, &[0, 0x01, 0, 0]),
        Err(BadBer::TooLong(65536))
    );
    assert_eq!(content_length(0x82, &[0x01, 0x00]), Ok(256));

    let good = response(1, 0, "");
    assert_eq!(
        parse_response(&good[..good.len() - 1]),
        Err(BadBer::Truncated)
    );
    let mut bind = good.clone();
    bind[5] = 0x61; // BindResponse
    assert_eq!(
        parse_response(&bind),
        Err(BadBer::Tag {
            expected: EXTENDED_RESPONSE,
            found: 0x61
        })
    );
    assert_eq!(parse_response(b""), Err(BadBer::Truncated));
}

#[test]
fn integers_are_twos_complement() {
    assert_eq!(integer(&[0x01]), Ok(1));
    assert_eq!(integer(&[0x00, 0x80]), Ok(128));
    assert_eq!(integer(&[0xff]), Ok(-1));
    assert_eq!(integer(&[]), Err(BadBer::Integer));
    assert_eq!(integer(&[1, 2, 3, 4, 5]), Err(BadBer::Integer));
}

proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_response(&bytes);
    }

    #[test]
    fn round_trips(id in 1u8..0x80, code in 0u8..0x80, diag in "[ -~]{0,60}") {
        let parsed = parse_response(&response(id, code, &diag)).unwrap();
        prop_assert_eq!(parsed.message_id, i64::from(id));
        prop_assert_eq!(parsed.result_code, i64::from(code));
        prop_assert_eq!(parsed.diagnostic, diag);
    }

    #[test]
    fn never_panics_on_mutations(pos in 0usize..40, byte in any::<u8>(), cut in 0usize..40) {
        let mut m = response(1, 0, "ok");
        let pos = pos % m.len();
        m[pos] = byte;
        m.truncate(m.len().saturating_sub(cut % 5));
        let _ = parse_response(&m);
    }
}
