//! Telnet (RFC 854): servers open with option negotiation (IAC DO/WILL …)
//! and often a login prompt. Nothing is sent, not even an answer to the
//! negotiation: the IAC bytes are proof enough, and a readable banner may
//! name the device.

use std::time::Duration;

use trustwatch_rules::observe::IdentifiedBy;

use super::{product, set_product, Session};

const IAC: u8 = 255;
const SB: u8 = 250;
const SE: u8 = 240;

/// Separates negotiation from text: whether any IAC command was seen, and
/// the text lines (non-empty, printable) around them.
pub(crate) fn strip_iac(bytes: &[u8]) -> (bool, Vec<String>) {
    let mut negotiates = false;
    let mut text = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != IAC {
            text.push(bytes[i]);
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(&IAC) => {
                text.push(IAC);
                i += 2;
            }
            Some(&SB) => {
                negotiates = true;
                // Subnegotiation runs to IAC SE (or the end of what came).
                let end = bytes[i + 2..]
                    .windows(2)
                    .position(|w| w == [IAC, SE])
                    .map_or(bytes.len(), |p| i + 2 + p + 2);
                i = end;
            }
            Some(&cmd) => {
                negotiates = true;
                // DO/DONT/WILL/WONT carry an option byte; others do not.
                i += if (251..=254).contains(&cmd) { 3 } else { 2 };
            }
            None => i += 1,
        }
    }
    let lines = text
        .split(|&b| b == b'\n' || b == b'\r')
        .filter_map(|line| {
            let printable: String = line
                .iter()
                .filter(|b| (0x20..0x7f).contains(*b))
                .map(|&b| b as char)
                .collect();
            let trimmed = printable.trim();
            (!trimmed.is_empty()).then(|| trimmed.to_owned())
        })
        .collect();
    (negotiates, lines)
}

/// A prompt that only a login service shows.
fn is_login_prompt(lines: &[String]) -> bool {
    lines.iter().any(|l| {
        let l = l.to_ascii_lowercase();
        l.ends_with("login:") || l.ends_with("username:") || l.ends_with("password:")
    })
}

pub(super) async fn identify(s: &mut Session<'_>) {
    let mut bytes = s.banner.clone();
    if !bytes.is_empty() && bytes.len() < s.opts.max_read {
        // A login banner, if any, follows the negotiation: read (not
        // answer) for a moment longer.
        let wait = s.opts.quick_wait.min(Duration::from_secs(2));
        let prev = bytes.clone();
        let more = s
            .read_until(wait, |b| {
                is_login_prompt(&strip_iac(&[prev.as_slice(), b].concat()).1)
            })
            .await
            .unwrap_or_default();
        bytes.extend_from_slice(&more);
    }
    let (negotiates, lines) = strip_iac(&bytes);
    if negotiates || is_login_prompt(&lines) {
        s.found("telnet", IdentifiedBy::Banner);
    } else {
        // Port 23 with a silent or unrecognised greeting.
        s.found("telnet", IdentifiedBy::Port);
        s.note(if bytes.is_empty() {
            "telnet: no greeting"
        } else {
            "telnet: no option negotiation or login prompt"
        });
    }
    // The core's banner is the raw first line, negotiation bytes and all;
    // the first line of text says more (or nothing, honestly).
    s.obs.banner = lines.first().map(|l| l.chars().take(200).collect());
    set_product(s, &lines, product::TELNET);
    s.stream = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_and_text_are_told_apart() {
        // IAC DO TERMINAL-TYPE, IAC WILL ECHO, IAC SB TTYPE SEND IAC SE.
        let mut b = vec![255, 253, 24, 255, 251, 1, 255, 250, 24, 1, 255, 240];
        b.extend(b"\r\nUser Access Verification\r\n\r\nUsername: ");
        let (neg, lines) = strip_iac(&b);
        assert!(neg);
        assert_eq!(lines, ["User Access Verification", "Username:"]);
        assert!(is_login_prompt(&lines));
        assert_eq!(
            product::find(&lines[0], product::TELNET).unwrap().0,
            "Cisco IOS telnetd"
        );
    }

    #[test]
    fn plain_text_and_broken_negotiation() {
        let (neg, lines) = strip_iac(b"login: ");
        assert!(!neg);
        assert!(is_login_prompt(&lines));
        // Cut short mid-command and mid-subnegotiation: no panic.
        assert!(!strip_iac(&[255]).0);
        assert!(strip_iac(&[255, 253]).0);
        assert!(strip_iac(&[255, 250, 24, 1]).0);
        let (_, lines) = strip_iac(&[b'a', 255, 255, b'b']);
        assert_eq!(lines, ["ab"]);
    }
}
