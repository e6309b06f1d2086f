//! HL7 v2 over MLLP (the Minimal Lower Layer Protocol: `0x0B`, message,
//! `0x1C 0x0D`).
//!
//! An MLLP listener never speaks first, so identifying one means sending it
//! a message. We send the least intrusive one there is: a bare general
//! acknowledgement (`MSH-9 = ACK^^ACK` with `MSA|AA|<our control id>`). An
//! ACK is
//! what a receiver sends back, never something it acts on: no interface
//! engine files, routes or answers it as an order, result or patient
//! event, yet every MLLP listener must frame-parse it and most answer with
//! an ACK of their own (AA, or AE/AR for a message they will not take).
//! Any framed answer proves MLLP. MSH-9 spells out the message structure
//! (`ACK^^ACK`, not just `ACK`) because some receivers read its components
//! unconditionally: python-hl7's `create_ack`, for one, fails on a bare
//! `ACK` and would answer nothing. MSH-5/6 (receiving application and
//! facility) are left empty, so an engine that echoes them back as its own
//! MSH-3 does not make us name ourselves as the product.

use trustwatch_rules::observe::IdentifiedBy;

use super::{printable_line, Hint, Session};

const START: u8 = 0x0b;
const END: [u8; 2] = [0x1c, 0x0d];
/// Sending application and facility of our message, and the prefix of its
/// control id.
const US: &str = "TRUSTWATCH";

pub(super) async fn identify(s: &mut Session<'_>) {
    let on_hl7_port = Hint::for_port(s.addr.port()) == Hint::Hl7;
    if !s.may_send() {
        if on_hl7_port {
            s.found("hl7-mllp", IdentifiedBy::Port);
        }
        s.note("gentle mode: nothing sent");
        return;
    }
    let control_id = control_id();
    if let Err(e) = s.send(&frame(&ack_message(&control_id))).await {
        s.note(format!("could not send the HL7 ACK: {e}"));
        if on_hl7_port {
            s.found("hl7-mllp", IdentifiedBy::Port);
        }
        return;
    }
    let reply = s
        .read_until(s.opts.io_timeout, |b| unframe(b).is_some())
        .await
        .unwrap_or_default();
    match unframe(&reply) {
        Some(message) => {
            s.found("hl7-mllp", IdentifiedBy::Probe);
            let header = parse_msh(message);
            s.obs.product = header.sending_application.filter(|a| a != US);
            // MSH-12 is the HL7 standard's version the peer speaks, not its
            // software's: a note, never the product version.
            let standard = header.version.map(|v| format!("HL7 v{v}, "));
            if let Some(code) = header.ack_code {
                s.note(format!(
                    "{}answered with MSA-1 {code}",
                    standard.unwrap_or_default()
                ));
            } else if let Some(standard) = standard {
                s.note(standard.trim_end_matches(", ").to_owned());
            }
        }
        None => {
            if reply.is_empty() {
                s.note("no answer to an MLLP-framed HL7 ACK");
            } else {
                s.note(format!(
                    "unframed answer to an HL7 ACK: {}",
                    printable_line(&reply).unwrap_or_default()
                ));
            }
            if on_hl7_port {
                s.found("hl7-mllp", IdentifiedBy::Port);
            }
        }
    }
}

/// A control id unique enough to match our own message in a log.
fn control_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000_000_000)
        .unwrap_or(0);
    format!("TW{nanos}")
}

/// `MSH|^~\&|TRUSTWATCH|TRUSTWATCH|||<now>||ACK^^ACK|<id>|P|2.5` +
/// `MSA|AA|<id>`.
fn ack_message(control_id: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    format!("MSH|^~\\&|{US}|{US}|||{stamp}||ACK^^ACK|{control_id}|P|2.5\rMSA|AA|{control_id}\r")
}

fn frame(message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 3);
    out.push(START);
    out.extend_from_slice(message.as_bytes());
    out.extend_from_slice(&END);
    out
}

/// The message inside the first whole MLLP frame of `bytes`.
fn unframe(bytes: &[u8]) -> Option<&[u8]> {
    let start = bytes.iter().position(|b| *b == START)? + 1;
    let len = bytes[start..].windows(2).position(|w| w == END)?;
    Some(&bytes[start..start + len])
}

/// The header facts we report from a reply.
#[derive(Debug, Default, PartialEq, Eq)]
struct Header {
    /// MSH-3, first component.
    sending_application: Option<String>,
    /// MSH-12, first component: the HL7 version, e.g. `2.5`.
    version: Option<String>,
    /// MSA-1: AA, AE, AR (or CA, CE, CR).
    ack_code: Option<String>,
}

fn parse_msh(message: &[u8]) -> Header {
    let text = String::from_utf8_lossy(message);
    let mut header = Header::default();
    for segment in text.split(['\r', '\n']) {
        if let Some(rest) = segment.strip_prefix("MSH") {
            // MSH-1 is the field separator itself, the character after "MSH".
            let Some(sep) = rest.chars().next() else {
                continue;
            };
            // Split "MSH|^~\&|APP|…" on the separator: index n is MSH-(n+1).
            let fields: Vec<&str> = segment.split(sep).collect();
            let component = rest.chars().nth(1).unwrap_or('^');
            let field = |n: usize| {
                fields
                    .get(n - 1)
                    .and_then(|f| f.split(component).next())
                    .map(clean)
                    .filter(|f| !f.is_empty())
            };
            header.sending_application = field(3);
            header.version = field(12);
        } else if let Some(rest) = segment.strip_prefix("MSA") {
            header.ack_code = rest
                .get(1..)
                .and_then(|r| r.split(rest.chars().next().unwrap_or('|')).next())
                .map(clean)
                .filter(|c| !c.is_empty());
        }
    }
    header
}

/// Printable ASCII, at most 60 characters.
fn clean(field: &str) -> String {
    field
        .chars()
        .filter(|c| (' '..='~').contains(c))
        .take(60)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// For [`super::parse`] (fuzzing and tests): whether `bytes` hold an MLLP
/// frame, its MSH and MSA read as identification reads them.
pub(super) fn parse_answer(bytes: &[u8]) -> bool {
    match unframe(bytes) {
        Some(message) => {
            parse_msh(message);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_message_is_a_framed_ack() {
        let bytes = frame(&ack_message("TW1"));
        assert_eq!(bytes[0], 0x0b);
        assert!(bytes.ends_with(&[0x1c, 0x0d]));
        let text = String::from_utf8(unframe(&bytes).unwrap().to_vec()).unwrap();
        let segments: Vec<&str> = text.split('\r').filter(|s| !s.is_empty()).collect();
        assert_eq!(segments.len(), 2);
        let msh: Vec<&str> = segments[0].split('|').collect();
        assert_eq!(msh[1], "^~\\&");
        assert_eq!(msh[2], "TRUSTWATCH");
        assert_eq!(msh[4], "", "MSH-5 left empty");
        assert_eq!(msh[6].len(), 14, "MSH-7 is YYYYMMDDHHMMSS");
        assert_eq!(msh[8], "ACK^^ACK");
        assert_eq!(msh[9], "TW1");
        assert_eq!(msh[11], "2.5");
        assert_eq!(segments[1], "MSA|AA|TW1");
    }

    #[test]
    fn reads_a_reply_header() {
        let reply = b"\x0bMSH|^~\\&|Mirth^1.2^ISO|HOSP||TRUSTWATCH|20250101||ACK^A01|99|P|2.3.1\r\
                      MSA|AA|TW1\r\x1c\x0d";
        let message = unframe(reply).unwrap();
        assert_eq!(
            parse_msh(message),
            Header {
                sending_application: Some("Mirth".into()),
                version: Some("2.3.1".into()),
                ack_code: Some("AA".into()),
            }
        );
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = unframe(&bytes);
            let _ = parse_msh(&bytes);
            let mut msh = b"MSH".to_vec();
            msh.extend_from_slice(&bytes);
            let _ = parse_msh(&msh);
        }
    }

    #[test]
    fn odd_replies() {
        assert_eq!(unframe(b"\x0bMSH|x"), None);
        assert_eq!(unframe(b"no frame\x1c\x0d"), None);
        assert_eq!(unframe(b"\x0b\x1c\x0d"), Some(&b""[..]));
        assert_eq!(parse_msh(b""), Header::default());
        assert_eq!(parse_msh(b"MSH"), Header::default());
        assert_eq!(
            parse_msh(b"MSH#^~\\&#APP"),
            Header {
                sending_application: Some("APP".into()),
                ..Header::default()
            }
        );
        assert_eq!(parse_msh(b"MSA"), Header::default());
    }
}
