//! Numbered replies as SMTP (RFC 5321 §4.2) and FTP (RFC 959 §4.2) send
//! them: `250-first line`, …, `250 last line`.
//!
//! The two differ only in continuation lines: SMTP repeats the code on
//! every line, FTP allows any text between the first and the last line.

use std::fmt;

use super::wire::{quote, Wire};
use crate::net::Unreachable;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Smtp,
    Ftp,
}

/// A complete reply: its code and the text of each line after the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// The reply as the server wrote its first line, quoted for a reason.
    pub(crate) fn quoted(&self) -> String {
        let first = self.lines.first().map(String::as_str).unwrap_or("");
        quote(&format!("{} {first}", self.code))
    }
}

/// Why a line is not part of a well-formed reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BadReply {
    /// The line does not start with a three-digit code from 100 to 599.
    NoCode(String),
    /// An SMTP continuation line changed the code mid-reply.
    CodeChanged { first: u16, then: u16 },
}

impl fmt::Display for BadReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadReply::NoCode(line) => write!(f, "answered with {}, not a reply code", quote(line)),
            BadReply::CodeChanged { first, then } => {
                write!(f, "changed its reply code from {first} to {then} mid-reply")
            }
        }
    }
}

/// One line's code, whether more lines follow, and its text.
pub(crate) fn split_line(line: &str) -> Option<(u16, bool, &str)> {
    let bytes = line.as_bytes();
    if bytes.len() < 3 || !bytes[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = line[..3]
        .parse::<u16>()
        .ok()
        .filter(|c| (100..600).contains(c))?;
    match bytes.get(3) {
        None => Some((code, false, "")),
        Some(b' ') => Some((code, false, &line[4..])),
        Some(b'-') => Some((code, true, &line[4..])),
        Some(_) => None,
    }
}

/// Gathers the lines of one reply.
#[derive(Debug)]
pub(crate) struct ReplyReader {
    style: Style,
    code: Option<u16>,
    lines: Vec<String>,
}

impl ReplyReader {
    pub(crate) fn new(style: Style) -> ReplyReader {
        ReplyReader {
            style,
            code: None,
            lines: Vec::new(),
        }
    }

    /// Takes one line; the reply once its last line has arrived.
    pub(crate) fn push(&mut self, line: &str) -> Result<Option<Reply>, BadReply> {
        let parsed = split_line(line);
        let Some(first) = self.code else {
            let (code, more, text) = parsed.ok_or_else(|| BadReply::NoCode(line.to_owned()))?;
            self.code = Some(code);
            self.lines.push(text.to_owned());
            return Ok((!more).then(|| self.finish(code)));
        };
        match (self.style, parsed) {
            (_, Some((code, more, text))) if code == first => {
                self.lines.push(text.to_owned());
                Ok((!more).then(|| self.finish(code)))
            }
            (Style::Smtp, Some((then, _, _))) => Err(BadReply::CodeChanged { first, then }),
            (Style::Smtp, None) => Err(BadReply::NoCode(line.to_owned())),
            // FTP: any other line is text inside a multi-line reply.
            (Style::Ftp, _) => {
                self.lines.push(line.to_owned());
                Ok(None)
            }
        }
    }

    fn finish(&mut self, code: u16) -> Reply {
        Reply {
            code,
            lines: std::mem::take(&mut self.lines),
        }
    }
}

/// Reads one whole reply from the server.
pub(crate) async fn read(wire: &mut Wire, style: Style) -> Result<Reply, Unreachable> {
    let mut reader = ReplyReader::new(style);
    loop {
        let line = wire.line().await?;
        match reader.push(&line) {
            Ok(Some(reply)) => return Ok(reply),
            Ok(None) => {}
            Err(bad) => return Err(wire.fail(bad)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read_all(style: Style, lines: &[&str]) -> Result<Option<Reply>, BadReply> {
        let mut r = ReplyReader::new(style);
        let mut last = Ok(None);
        for line in lines {
            last = r.push(line);
            if !matches!(last, Ok(None)) {
                break;
            }
        }
        last
    }

    #[test]
    fn splits_lines() {
        assert_eq!(split_line("250-STARTTLS"), Some((250, true, "STARTTLS")));
        assert_eq!(split_line("250 OK"), Some((250, false, "OK")));
        assert_eq!(split_line("220"), Some((220, false, "")));
        assert_eq!(split_line("2500 x"), None);
        assert_eq!(split_line("099 x"), None);
        assert_eq!(split_line("abc def"), None);
        assert_eq!(split_line("25"), None);
        assert_eq!(split_line("६५० x"), None, "non-ASCII digits");
    }

    #[test]
    fn smtp_multi_line() {
        let reply = read_all(
            Style::Smtp,
            &["250-mail.example", "250-PIPELINING", "250 STARTTLS"],
        )
        .unwrap()
        .unwrap();
        assert_eq!(reply.code, 250);
        assert_eq!(reply.lines, ["mail.example", "PIPELINING", "STARTTLS"]);
        assert_eq!(reply.quoted(), "\"250 mail.example\"");
    }

    #[test]
    fn smtp_rejects_changed_codes_and_text() {
        assert_eq!(
            read_all(Style::Smtp, &["250-a", "251 b"]),
            Err(BadReply::CodeChanged {
                first: 250,
                then: 251
            })
        );
        assert!(matches!(
            read_all(Style::Smtp, &["250-a", "b"]),
            Err(BadReply::NoCode(_))
        ));
        assert!(matches!(
            read_all(Style::Smtp, &["HTTP/1.1 400 Bad"]),
            Err(BadReply::NoCode(_))
        ));
    }

    #[test]
    fn ftp_continuation_lines_are_free_text() {
        let reply = read_all(
            Style::Ftp,
            &[
                "220-Welcome",
                " to the server",
                "234 not the end",
                "220 ready",
            ],
        )
        .unwrap()
        .unwrap();
        assert_eq!(reply.code, 220);
        assert_eq!(
            reply.lines,
            ["Welcome", " to the server", "234 not the end", "ready"]
        );
    }

    proptest! {
        #[test]
        fn never_panics(lines in proptest::collection::vec(any::<String>(), 0..8)) {
            for style in [Style::Smtp, Style::Ftp] {
                let mut r = ReplyReader::new(style);
                for line in &lines {
                    if r.push(line).is_err() {
                        break;
                    }
                }
            }
        }

        #[test]
        fn smtp_round_trips(code in 200u16..600, texts in proptest::collection::vec("[ -~]{0,40}", 1..6)) {
            let n = texts.len();
            let lines: Vec<String> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| format!("{code}{}{t}", if i + 1 == n { ' ' } else { '-' }))
                .collect();
            let mut r = ReplyReader::new(Style::Smtp);
            for (i, line) in lines.iter().enumerate() {
                let got = r.push(line).unwrap();
                if i + 1 == n {
                    let reply = got.unwrap();
                    prop_assert_eq!(reply.code, code);
                    prop_assert_eq!(reply.lines, texts.clone());
                } else {
                    prop_assert!(got.is_none());
                }
            }
        }
    }
}
