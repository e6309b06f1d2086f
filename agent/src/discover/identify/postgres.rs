//! PostgreSQL: an SSLRequest, answered `S` (TLS on) or `N` (TLS off).
//!
//! That one byte names the server but not its version. The exact version is
//! only told after authentication (`server_version` in ParameterStatus),
//! and any StartupMessage that names a user is a login attempt in the
//! server's log, so we never send one. A second connection carries a
//! StartupMessage for protocol 1.0 with no parameters at all: every server
//! refuses it before reading any, with "unsupported frontend protocol 1.0:
//! server supports A to B", and the range dates the release (2.0 to 3.0:
//! 7.4 to 13; 3.0 to 3.0: 14 or later, when protocol 2 was removed; 3.0 to
//! 3.2: 18 or later). On `S` we close rather than start TLS.

use trustwatch_rules::observe::IdentifiedBy;

use super::Session;

/// SSLRequest (protocol docs §55.7): length 8, code 1234.5679.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
/// A StartupMessage for protocol 1.0 and nothing else: no user, no
/// database, refused before any parameter is read.
const OLD_STARTUP: [u8; 8] = [0, 0, 0, 8, 0, 1, 0, 0];

/// What the answer to an SSLRequest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SslAnswer {
    /// `S`: the server will do TLS.
    Willing,
    /// `N`: the server has TLS off.
    Unwilling,
    /// An ErrorResponse (servers before 7.4 did not know SSLRequest), with
    /// its message.
    Error(String),
}

pub(super) async fn identify(s: &mut Session<'_>) {
    if !s.may_send() {
        return;
    }
    if let Err(e) = s.send(&SSL_REQUEST).await {
        s.note(format!("SSLRequest: {e}"));
        return;
    }
    let wait = s.opts.io_timeout;
    // One byte is the whole answer; an ErrorResponse ends at its length.
    let answer = s
        .read_until(wait, answer_complete)
        .await
        .unwrap_or_default();
    s.stream = None;
    match parse_ssl_answer(&answer) {
        Some(answer) => {
            s.found("postgresql", IdentifiedBy::Probe);
            s.obs.product = Some("PostgreSQL".into());
            let tls = match answer {
                SslAnswer::Willing => "TLS offered".to_owned(),
                SslAnswer::Unwilling => "TLS not offered".to_owned(),
                SslAnswer::Error(m) => format!("SSLRequest refused: {m}"),
            };
            let range = protocol_range(s).await;
            s.obs.version = range.as_deref().and_then(release_for_protocols);
            s.note(match range {
                Some(r) => format!("{tls}; server supports protocol {r}"),
                None => format!("{tls}; the version is only told after login"),
            });
        }
        None if answer.is_empty() => {
            s.found("postgresql", IdentifiedBy::Port);
            s.note("no answer to the SSLRequest");
        }
        None => s.note("the answer to the SSLRequest is not PostgreSQL's"),
    }
}

/// The protocol range the server states when refusing protocol 1.0, e.g.
/// `3.0 to 3.0`; `None` when it says nothing we can read.
async fn protocol_range(s: &mut Session<'_>) -> Option<String> {
    let mut stream = s.reconnect().await.ok()?;
    super::io::write_all(&mut stream, &OLD_STARTUP, s.opts.io_timeout)
        .await
        .ok()?;
    // A server answers a pre-3.0 request in that protocol's error format
    // (`E`, then the text up to a NUL, no length), then closes: read to the
    // NUL (or the close) and look for the range in the text.
    let answer = super::read_until(&mut stream, s.opts.io_timeout, 8 * 1024, |b| {
        b.len() > 1 && b.ends_with(&[0])
    })
    .await
    .ok()?;
    if answer.first() != Some(&b'E') {
        return None;
    }
    supported_range(&String::from_utf8_lossy(&answer))
}

/// `unsupported frontend protocol 1.0: server supports 3.0 to 3.0` →
/// `3.0 to 3.0`.
fn supported_range(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("server supports ")?;
    let mut words = rest.split_whitespace();
    let (low, to, high) = (words.next()?, words.next()?, words.next()?);
    if to != "to" {
        return None;
    }
    let high = high.trim_end_matches(|c: char| !c.is_ascii_digit());
    let looks = |v: &str| {
        v.split_once('.')
            .is_some_and(|(a, b)| a.parse::<u16>().is_ok() && b.parse::<u16>().is_ok())
    };
    (looks(low) && looks(high)).then(|| format!("{low} to {high}"))
}

/// The releases that state `range` (release notes: protocol 2 removed in
/// 14, protocol 3.2 added in 18).
fn release_for_protocols(range: &str) -> Option<String> {
    Some(
        match range {
            "2.0 to 3.0" => "7.4 to 13",
            "3.0 to 3.0" => "14 or later",
            "3.0 to 3.2" => "18 or later",
            _ => return None,
        }
        .to_owned(),
    )
}

fn answer_complete(bytes: &[u8]) -> bool {
    match bytes.first() {
        Some(b'E') => error_len(bytes).is_some_and(|len| bytes.len() > len),
        Some(_) => true,
        None => false,
    }
}

/// The length an ErrorResponse announces (it counts itself, not the tag).
fn error_len(bytes: &[u8]) -> Option<usize> {
    let len = bytes.get(1..5)?;
    Some(u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize)
}

/// Reads the answer to an SSLRequest: exactly one `S` or `N` (a server
/// sends nothing more until we speak again), or an ErrorResponse.
pub(super) fn parse_ssl_answer(bytes: &[u8]) -> Option<SslAnswer> {
    match bytes {
        [b'S'] => Some(SslAnswer::Willing),
        [b'N'] => Some(SslAnswer::Unwilling),
        [b'E', ..] => {
            let len = error_len(bytes)?;
            let body = bytes.get(5..1 + len)?;
            // Fields: a type byte and a NUL-terminated string each; `M` is
            // the message. A body without one is not an ErrorResponse.
            let message = body
                .split(|b| *b == 0)
                .find_map(|field| field.strip_prefix(b"M"))?;
            Some(SslAnswer::Error(
                String::from_utf8_lossy(message).into_owned(),
            ))
        }
        _ => None,
    }
}

/// For [`super::parse`] (fuzzing and tests): whether `bytes` read as an
/// answer to the SSLRequest.
pub(super) fn parse_answer(bytes: &[u8]) -> bool {
    answer_complete(bytes);
    parse_ssl_answer(bytes).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::identify::mutate::mutate;

    #[test]
    fn protocol_ranges_date_the_release() {
        let m = "unsupported frontend protocol 1.0: server supports 3.0 to 3.0";
        assert_eq!(supported_range(m).as_deref(), Some("3.0 to 3.0"));
        // The protocol-2 error format: `E`, the text, a newline and a NUL.
        let v2 = "EFATAL:  unsupported frontend protocol 1.0: server supports 2.0 to 3.0\n\0";
        assert_eq!(supported_range(v2).as_deref(), Some("2.0 to 3.0"));
        assert_eq!(
            release_for_protocols("3.0 to 3.0").as_deref(),
            Some("14 or later")
        );
        assert_eq!(
            release_for_protocols("2.0 to 3.0").as_deref(),
            Some("7.4 to 13")
        );
        assert_eq!(release_for_protocols("9.0 to 9.9"), None);
        assert_eq!(supported_range("server supports x to 3.0"), None);
        assert_eq!(supported_range("nothing here"), None);
    }

    #[test]
    fn one_byte_answers() {
        assert_eq!(parse_ssl_answer(b"S"), Some(SslAnswer::Willing));
        assert_eq!(parse_ssl_answer(b"N"), Some(SslAnswer::Unwilling));
        // More than one byte is not PostgreSQL (SSH, SMTP, ... banners).
        assert_eq!(parse_ssl_answer(b"SSH-2.0-x\r\n"), None);
        assert_eq!(parse_ssl_answer(b"NO"), None);
        assert_eq!(parse_ssl_answer(b""), None);
    }

    #[test]
    fn an_error_response_names_its_message() {
        let mut e = vec![b'E'];
        let body = b"SFATAL\0C0A000\0Munsupported frontend protocol 1234.5679\0\0";
        e.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        e.extend_from_slice(body);
        assert!(answer_complete(&e));
        assert!(!answer_complete(&e[..e.len() - 1]));
        assert_eq!(
            parse_ssl_answer(&e),
            Some(SslAnswer::Error(
                "unsupported frontend protocol 1234.5679".into()
            ))
        );
    }

    #[test]
    fn hostile_answers_are_rejected_not_panics() {
        // A length of 4 GiB with nothing behind it.
        let huge = [b'E', 0xff, 0xff, 0xff, 0xff, b'M', b'x'];
        assert!(!answer_complete(&huge));
        assert_eq!(parse_ssl_answer(&huge), None);
        // A length below its own 4 bytes.
        assert_eq!(parse_ssl_answer(&[b'E', 0, 0, 0, 1]), None);
        assert_eq!(parse_ssl_answer(&[b'E', 0, 0]), None);
        // No message field.
        assert_eq!(parse_ssl_answer(&[b'E', 0, 0, 0, 6, b'S', 0]), None);
    }

    proptest::proptest! {
        #[test]
        fn mutated_answers_never_panic(
            cut in proptest::prelude::any::<usize>(),
            edits in proptest::collection::vec(proptest::prelude::any::<(usize, u8)>(), 0..8),
        ) {
            let bytes = mutate(b"E\0\0\0\x10SFATAL\0Mbad\0\0", cut, &edits);
            let _ = answer_complete(&bytes);
            let _ = parse_ssl_answer(&bytes);
        }
    }
}
