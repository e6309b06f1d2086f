//! VNC (RFB, RFC 6143): the server greets with its protocol version; the
//! probe answers with a version and reads the security types offered, then
//! closes without choosing one. `None` (1) among them means anyone who
//! reaches the port gets the screen.

use trustwatch_rules::observe::IdentifiedBy;

use super::Session;

/// `RFB 003.008\n` → (3, 8).
pub(crate) fn parse_version(banner: &[u8]) -> Option<(u16, u16)> {
    let v = banner.get(..12)?;
    if &v[..4] != b"RFB " || v[7] != b'.' || v[11] != b'\n' {
        return None;
    }
    let num = |b: &[u8]| -> Option<u16> {
        b.iter().try_fold(0u16, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u16::from(d - b'0'))
        })
    };
    Some((num(&v[4..7])?, num(&v[8..11])?))
}

/// The version we answer with: the server's, capped at 3.8 and mapped to
/// one of the three the RFC defines (vendors' odd minors such as Apple's
/// 3.889 speak 3.8 framing).
fn our_version(major: u16, minor: u16) -> (u16, u16) {
    match (major, minor) {
        (3, m) if m >= 8 => (3, 8),
        (3, 7) => (3, 7),
        (3, _) => (3, 3),
        _ => (3, 8),
    }
}

/// What the server said after our version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Security {
    Types(Vec<u8>),
    /// Zero types (or type 0 in 3.3) and the server's reason.
    Refused(String),
}

/// Parses the security message; `None` while incomplete. For 3.3 it is a
/// single u32 type; from 3.7 a count and that many one-byte types; either
/// way a failure carries a u32-length reason string.
pub(crate) fn parse_security(minor: u16, bytes: &[u8]) -> Option<Security> {
    let reason = |rest: &[u8]| -> Option<Security> {
        let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        // A reason is text for a person; more than a screenful is noise.
        let text = rest.get(4..4 + len.min(200)).or_else(|| rest.get(4..))?;
        Some(Security::Refused(
            crate::discover::identify::printable_line(text).unwrap_or_default(),
        ))
    };
    if minor < 7 {
        let t = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?);
        return match t {
            0 => reason(&bytes[4..]),
            t => Some(Security::Types(vec![u8::try_from(t).unwrap_or(u8::MAX)])),
        };
    }
    let count = usize::from(*bytes.first()?);
    if count == 0 {
        return reason(&bytes[1..]);
    }
    Some(Security::Types(bytes.get(1..1 + count)?.to_vec()))
}

/// A security type's name (IANA RFB registry).
fn type_name(t: u8) -> String {
    match t {
        1 => "None".into(),
        2 => "VNC Authentication".into(),
        5 => "RA2".into(),
        6 => "RA2ne".into(),
        16 => "Tight".into(),
        17 => "Ultra".into(),
        18 => "TLS".into(),
        19 => "VeNCrypt".into(),
        20 => "SASL".into(),
        30 => "Apple Diffie-Hellman".into(),
        t => format!("type {t}"),
    }
}

/// The note for the types offered, saying plainly when no password is
/// needed.
pub(crate) fn describe(types: &[u8]) -> String {
    let names: Vec<String> = types.iter().map(|&t| type_name(t)).collect();
    let mut note = format!("vnc security types: {}", names.join(", "));
    if types.contains(&1) {
        note.push_str(" (None: no authentication)");
    }
    note
}

pub(super) async fn identify(s: &mut Session<'_>) {
    let Some((major, minor)) = parse_version(&s.banner) else {
        if s.banner.is_empty() {
            s.found("vnc", IdentifiedBy::Port);
            s.note("vnc: no greeting");
        } else {
            s.note("vnc: not an RFB greeting");
        }
        return;
    };
    s.found("vnc", IdentifiedBy::Banner);
    s.obs.product = Some("VNC".into());
    // The RFB protocol version, not the server software's: a note, never
    // the product version.
    let protocol = format!("RFB protocol {major}.{minor}");
    if !s.may_send() {
        s.note(protocol);
        return;
    }
    let (ours_major, ours_minor) = our_version(major, minor);
    let answer = format!("RFB {ours_major:03}.{ours_minor:03}\n");
    if let Err(e) = s.send(answer.as_bytes()).await {
        s.note(format!("{protocol}; vnc: {e}"));
        return;
    }
    let got = s
        .read_until(s.opts.io_timeout, |b| {
            parse_security(ours_minor, b).is_some()
        })
        .await;
    let said = match got.map(|b| parse_security(ours_minor, &b)) {
        Ok(Some(Security::Types(types))) => describe(&types),
        Ok(Some(Security::Refused(why))) => format!("vnc: server refused: {why}"),
        Ok(None) => "vnc: no security types within the wait".to_owned(),
        Err(e) => format!("vnc: {e}"),
    };
    s.note(format!("{protocol}; {said}"));
    // Closing now, before choosing a type, is a client going away.
    s.stream = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version(b"RFB 003.008\n"), Some((3, 8)));
        assert_eq!(parse_version(b"RFB 003.889\n"), Some((3, 889)));
        assert_eq!(parse_version(b"RFB 003.008"), None);
        assert_eq!(parse_version(b"RFB 0x3.008\n"), None);
        assert_eq!(parse_version(b"SSH-2.0-x\r\n"), None);
        assert_eq!(our_version(3, 889), (3, 8));
        assert_eq!(our_version(3, 7), (3, 7));
        assert_eq!(our_version(3, 5), (3, 3));
        assert_eq!(our_version(4, 0), (3, 8));
    }

    #[test]
    fn security_lists() {
        assert_eq!(
            parse_security(8, &[2, 1, 2]),
            Some(Security::Types(vec![1, 2]))
        );
        assert_eq!(parse_security(8, &[2, 1]), None);
        assert_eq!(parse_security(8, &[]), None);
        assert_eq!(
            parse_security(3, &[0, 0, 0, 2]),
            Some(Security::Types(vec![2]))
        );
        assert_eq!(parse_security(3, &[0, 0, 0]), None);
        let mut refused = vec![0, 0, 0, 0, 0, 0, 0, 5];
        refused.extend(b"nope!");
        assert_eq!(
            parse_security(8, &refused[3..]),
            Some(Security::Refused("nope!".into()))
        );
        assert_eq!(
            parse_security(3, &refused[..11]),
            Some(Security::Refused("nop".into()))
        );
        assert_eq!(parse_security(3, &refused[..7]), None);
        // A reason claiming 4 GiB is cut to what arrived.
        assert_eq!(
            parse_security(8, &[0, 0xff, 0xff, 0xff, 0xff, b'x']),
            Some(Security::Refused("x".into()))
        );
    }

    #[test]
    fn notes_say_when_there_is_no_password() {
        assert_eq!(
            describe(&[1]),
            "vnc security types: None (None: no authentication)"
        );
        assert_eq!(
            describe(&[2, 19, 99]),
            "vnc security types: VNC Authentication, VeNCrypt, type 99"
        );
    }
}
