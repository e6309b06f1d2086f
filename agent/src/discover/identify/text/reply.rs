//! When a line protocol's answer is whole, and what it says: numbered
//! replies (FTP RFC 959 §4.2, SMTP RFC 5321 §4.2), POP3's single- and
//! multi-line responses (RFC 1939 §3) and IMAP's tagged responses and
//! capability lists (RFC 9051 §7.2.2).

/// The complete lines (without CR LF) of `bytes`; a last line without its
/// LF is left out.
pub(crate) fn lines(bytes: &[u8]) -> Vec<String> {
    let Some(last_lf) = bytes.iter().rposition(|&b| b == b'\n') else {
        return Vec::new();
    };
    bytes[..last_lf]
        .split(|&b| b == b'\n')
        .map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            String::from_utf8_lossy(line).into_owned()
        })
        .collect()
}

/// `250-TEXT` → (250, true, "TEXT"); `250 TEXT` and `250` → last line.
fn split_numbered(line: &str) -> Option<(u16, bool, &str)> {
    let b = line.as_bytes();
    if b.len() < 3 || !b[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code: u16 = line[..3].parse().ok()?;
    match b.get(3) {
        None => Some((code, false, "")),
        Some(b' ') => Some((code, false, &line[4..])),
        Some(b'-') => Some((code, true, &line[4..])),
        Some(_) => None,
    }
}

/// A whole numbered reply: its code and the text of its lines (codes
/// stripped). FTP allows free text between the first and the last line,
/// which carry the code; SMTP repeats it on every line. Both end at the
/// first `NNN ` line with the first line's code.
pub(crate) fn numbered_reply(bytes: &[u8]) -> Option<(u16, Vec<String>)> {
    let all = lines(bytes);
    let (first, rest) = all.split_first()?;
    let (code, more, text) = split_numbered(first)?;
    let mut texts = vec![text.to_owned()];
    if !more {
        return Some((code, texts));
    }
    for line in rest {
        match split_numbered(line) {
            Some((c, false, text)) if c == code => {
                texts.push(text.to_owned());
                return Some((code, texts));
            }
            Some((c, true, text)) if c == code => texts.push(text.to_owned()),
            _ => texts.push(line.clone()),
        }
    }
    None
}

/// Enough of a numbered reply has arrived: it is whole, or its first line
/// shows it is not a numbered reply at all (no use waiting for more).
pub(crate) fn numbered_done(bytes: &[u8]) -> bool {
    if numbered_reply(bytes).is_some() {
        return true;
    }
    lines(bytes)
        .first()
        .is_some_and(|first| split_numbered(first).is_none())
}

/// A POP3 multi-line response (`+OK` … `.`) is whole, or it is a one-line
/// `-ERR`.
pub(crate) fn pop3_multi_done(bytes: &[u8]) -> bool {
    let all = lines(bytes);
    match all.split_first() {
        None => false,
        Some((first, _)) if !first.starts_with("+OK") => true,
        Some((_, rest)) => rest.iter().any(|l| l == "."),
    }
}

/// The lines of a POP3 multi-line response between `+OK` and `.`; `None`
/// for `-ERR` or anything else.
pub(crate) fn pop3_multi_lines(bytes: &[u8]) -> Option<Vec<String>> {
    let all = lines(bytes);
    let (first, rest) = all.split_first()?;
    if !first.starts_with("+OK") {
        return None;
    }
    Some(rest.iter().take_while(|l| *l != ".").cloned().collect())
}

/// The tagged response to IMAP command `tag` has arrived.
pub(crate) fn imap_tagged_done(bytes: &[u8], tag: &str) -> bool {
    let prefix = format!("{tag} ");
    lines(bytes).iter().any(|l| l.starts_with(&prefix))
}

/// The capabilities in IMAP text: an untagged `* CAPABILITY …` line, or a
/// `[CAPABILITY …]` response code (in the greeting or a tagged OK).
/// Upper-cased; `None` when there is no capability list.
pub(crate) fn imap_capabilities(bytes: &[u8]) -> Option<Vec<String>> {
    for line in lines(bytes) {
        let upper = line.to_ascii_uppercase();
        let list = if let Some(rest) = upper.strip_prefix("* CAPABILITY ") {
            rest.to_owned()
        } else if let Some(start) = upper.find("[CAPABILITY ") {
            let rest = &upper[start + "[CAPABILITY ".len()..];
            rest.split(']').next().unwrap_or("").to_owned()
        } else {
            continue;
        };
        return Some(list.split_whitespace().map(str::to_owned).collect());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_need_their_line_end() {
        assert_eq!(lines(b"a\r\nb\nc"), ["a", "b"]);
        assert!(lines(b"abc").is_empty());
    }

    #[test]
    fn numbered_replies() {
        assert_eq!(
            numbered_reply(b"220 (vsFTPd 3.0.3)\r\n"),
            Some((220, vec!["(vsFTPd 3.0.3)".to_owned()]))
        );
        let feat = b"211-Features:\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n";
        let (code, texts) = numbered_reply(feat).unwrap();
        assert_eq!(code, 211);
        assert_eq!(texts, ["Features:", " AUTH TLS", " PBSZ", "End"]);
        for cut in 0..feat.len() - 1 {
            assert_eq!(numbered_reply(&feat[..cut]), None, "cut at {cut}");
            assert!(!numbered_done(&feat[..cut]), "cut at {cut}");
        }
        assert!(numbered_done(feat));
        let ehlo = b"250-localhost Hello\r\n250-SIZE 52428800\r\n250-STARTTLS\r\n250 HELP\r\n";
        assert_eq!(numbered_reply(ehlo).unwrap().1[2], "STARTTLS");
        // Not a numbered reply: done at once, no reply.
        assert!(numbered_done(b"SSH-2.0-x\r\n"));
        assert_eq!(numbered_reply(b"SSH-2.0-x\r\n"), None);
        assert_eq!(numbered_reply(b"220\r\n"), Some((220, vec![String::new()])));
    }

    #[test]
    fn pop3_responses() {
        let capa = b"+OK\r\nCAPA\r\nTOP\r\nSTLS\r\nSASL PLAIN\r\n.\r\n";
        assert!(pop3_multi_done(capa));
        assert!(!pop3_multi_done(&capa[..capa.len() - 3]));
        assert_eq!(
            pop3_multi_lines(capa).unwrap(),
            ["CAPA", "TOP", "STLS", "SASL PLAIN"]
        );
        assert!(pop3_multi_done(b"-ERR unknown command\r\n"));
        assert_eq!(pop3_multi_lines(b"-ERR unknown command\r\n"), None);
    }

    #[test]
    fn imap_capabilities_from_greeting_or_answer() {
        let greeting =
            b"* OK [CAPABILITY IMAP4rev1 SASL-IR starttls LOGINDISABLED] Dovecot ready.\r\n";
        assert_eq!(
            imap_capabilities(greeting).unwrap(),
            ["IMAP4REV1", "SASL-IR", "STARTTLS", "LOGINDISABLED"]
        );
        let answer = b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\na1 OK done\r\n";
        assert!(imap_tagged_done(answer, "a1"));
        assert!(!imap_tagged_done(&answer[..44], "a1"));
        assert_eq!(
            imap_capabilities(answer).unwrap(),
            ["IMAP4REV1", "STARTTLS", "AUTH=PLAIN"]
        );
        assert_eq!(imap_capabilities(b"* OK ready\r\n"), None);
    }
}
