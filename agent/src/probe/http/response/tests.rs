use proptest::prelude::*;

use super::*;

fn complete(buf: &[u8]) -> Head {
    match parse_head(buf) {
        Parsed::Complete(h) => h,
        other => panic!("{other:?}"),
    }
}

#[test]
fn parses_status_selected_headers_and_body_length() {
    let raw = b"HTTP/1.1 301 Moved Permanently\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 169\r\nLocation: https://a.test/\r\nSet-Cookie: secret=1\r\n\r\n<html>";
    let h = complete(raw);
    assert_eq!(h.response.status, 301);
    assert_eq!(h.body, BodyLength::Exactly(169));
    assert_eq!(&raw[h.len..], b"<html>");
    let names: Vec<&str> = h.response.headers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        ["server", "location"],
        "cookies and the rest are dropped"
    );
    assert_eq!(h.response.header("Location"), Some("https://a.test/"));
}

#[test]
fn is_lenient_like_a_browser() {
    let raw = b"HTTP/1.0 200 OK\nX-Frame-Options: DENY\nContent-Security-Policy: default-src 'self';\n  frame-ancestors 'none'\nno colon here\nbad name: x\n\nbody";
    let h = complete(raw);
    assert_eq!(h.response.status, 200);
    assert_eq!(h.body, BodyLength::UntilClose);
    assert_eq!(
        h.response.header("content-security-policy"),
        Some("default-src 'self'; frame-ancestors 'none'")
    );
    assert_eq!(h.response.headers.len(), 2);
    assert_eq!(&raw[h.len..], b"body");
}

#[test]
fn waits_for_the_blank_line_and_rejects_what_is_not_http() {
    assert_eq!(parse_head(b""), Parsed::Incomplete);
    assert_eq!(parse_head(b"HTT"), Parsed::Incomplete);
    assert_eq!(
        parse_head(b"HTTP/1.1 200 OK\r\nServer: x\r\n"),
        Parsed::Incomplete
    );
    for junk in [
        &b"\x15\x03\x03\x00\x02\x02\x50"[..],
        b"SSH-2.0-OpenSSH_9.2\r\n",
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 abc\r\n\r\n",
    ] {
        assert!(matches!(parse_head(junk), Parsed::Invalid(_)), "{junk:?}");
    }
}

#[test]
fn knows_when_bodies_end() {
    assert_eq!(
        complete(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").body,
        BodyLength::None
    );
    let chunked = complete(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").body;
    assert_eq!(chunked, BodyLength::Chunked);
    assert!(!body_complete(chunked, 10, b"5\r\nhello\r\n"));
    assert!(body_complete(chunked, 15, b"5\r\nhello\r\n0\r\n\r\n"));
    assert!(body_complete(chunked, 5, b"0\r\n\r\n"));
    assert!(!body_complete(chunked, 9, b"abcd0\r\n\r\n"));
    assert!(body_complete(BodyLength::Exactly(3), 3, b"abc"));
    assert!(!body_complete(BodyLength::Exactly(3), 2, b"ab"));
    assert!(!body_complete(BodyLength::UntilClose, 100, &[0; 100]));
}

#[test]
fn long_values_are_cut_on_a_character_boundary() {
    let value = "é".repeat(MAX_VALUE_LEN);
    let raw = format!("HTTP/1.1 200 OK\r\nServer: {value}\r\n\r\n");
    let h = complete(raw.as_bytes());
    let kept = h.response.header("server").unwrap();
    assert!(kept.len() <= MAX_VALUE_LEN && kept.len() >= MAX_VALUE_LEN - 1);
    assert!(kept.chars().all(|c| c == 'é'));
}

proptest! {
    #[test]
    fn never_panics_and_stays_within_the_buffer(buf in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Parsed::Complete(h) = parse_head(&buf) {
            prop_assert!(h.len <= buf.len());
            prop_assert!(h.response.headers.len() <= MAX_KEPT_HEADERS);
        }
        let _ = body_complete(BodyLength::Chunked, buf.len() as u64, &buf);
    }

    #[test]
    fn any_http_like_head_parses(
        status in 100u16..1000,
        headers in proptest::collection::vec(("[A-Za-z-]{1,12}", "[ -~]{0,30}"), 0..40),
        tail in proptest::collection::vec(any::<u8>(), 0..50),
    ) {
        let mut raw = format!("HTTP/1.1 {status} Whatever\r\n");
        for (n, v) in &headers {
            raw.push_str(&format!("{n}: {v}\r\n"));
        }
        raw.push_str("\r\n");
        let head_len = raw.len();
        let mut bytes = raw.into_bytes();
        bytes.extend(&tail);
        let h = match parse_head(&bytes) {
            Parsed::Complete(h) => h,
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        };
        prop_assert_eq!(h.response.status, status);
        prop_assert_eq!(h.len, head_len);
        // Every prefix of a valid head is incomplete, never invalid.
        for cut in 0..head_len {
            prop_assert_eq!(parse_head(&bytes[..cut]), Parsed::Incomplete);
        }
    }
}
