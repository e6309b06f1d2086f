//! A small, bounded parser for the head of an HTTP/1.x response: status
//! line and headers. Pure: it sees bytes, never a socket, so it is unit- and
//! property-tested on any input.
//!
//! It is lenient the way browsers are (bare `\n` line ends, folded lines,
//! junk header lines skipped) because the rules judge what a browser would
//! make of the response, and strict only where reading on would be a guess
//! (no `HTTP/1.x NNN` status line).

use trustwatch_rules::observe::http::SELECTED_HEADERS;
use trustwatch_rules::observe::{Header, HttpResponse};

/// The most headers kept from one response: evidence stays small whatever
/// the server sends.
pub const MAX_KEPT_HEADERS: usize = 32;
/// The longest header value kept; longer values are cut (on a character
/// boundary) rather than dropped, so their presence is still recorded.
pub const MAX_VALUE_LEN: usize = 1024;

/// What the response head says about the body that follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLength {
    /// 1xx, 204 and 304 responses have no body.
    None,
    /// `Content-Length`.
    Exactly(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Status and the headers the rules read.
    pub response: HttpResponse,
    pub body: BodyLength,
    /// Bytes of the buffer the head took, blank line included.
    pub len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// More bytes are needed.
    Incomplete,
    Complete(Head),
    /// Not an HTTP/1.x response; the reason is for the evidence.
    Invalid(String),
}

/// The end of the head: the index just past the first blank line.
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        let rest = &buf[nl + 1..];
        if rest.starts_with(b"\n") {
            return Some(nl + 2);
        }
        if rest.starts_with(b"\r\n") {
            return Some(nl + 3);
        }
        i = nl + 1;
    }
    None
}

/// Parses `HTTP/1.x NNN reason` into the status code.
fn status_line(line: &str) -> Result<u16, String> {
    let bad = || {
        let shown: String = line.chars().take(40).collect();
        format!("not an HTTP response (status line {shown:?})")
    };
    let rest = line.strip_prefix("HTTP/1.").ok_or_else(bad)?;
    let mut parts = rest.splitn(3, ' ');
    let minor = parts.next().unwrap_or("");
    let code = parts.next().unwrap_or("");
    if minor.len() != 1 || !minor.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    code.parse().map_err(|_| bad())
}

fn cut(mut s: String) -> String {
    if s.len() > MAX_VALUE_LEN {
        let mut end = MAX_VALUE_LEN;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Parses the head at the start of `buf`, if it is all there.
pub fn parse_head(buf: &[u8]) -> Parsed {
    // Reject a non-HTTP answer (TLS alert, banner, garbage) as soon as the
    // first bytes show it, rather than waiting for a blank line that will
    // never come.
    let prefix = b"HTTP/1.";
    let n = buf.len().min(prefix.len());
    if buf[..n] != prefix[..n] {
        return Parsed::Invalid(match status_line(&String::from_utf8_lossy(buf)) {
            Err(reason) => reason,
            Ok(_) => "not an HTTP response".to_owned(),
        });
    }
    let Some(len) = head_end(buf) else {
        return Parsed::Incomplete;
    };
    let text = String::from_utf8_lossy(&buf[..len]);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status = match status_line(lines.next().unwrap_or("")) {
        Ok(s) => s,
        Err(reason) => return Parsed::Invalid(reason),
    };

    let mut fields: Vec<(String, String)> = Vec::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            // obs-fold: a continuation of the previous header's value.
            if let Some((_, v)) = fields.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            continue;
        }
        fields.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }

    let value_of = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let chunked =
        value_of("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if (100..200).contains(&status) || status == 204 || status == 304 {
        BodyLength::None
    } else if chunked {
        BodyLength::Chunked
    } else {
        match value_of("content-length").and_then(|v| v.trim().parse::<u64>().ok()) {
            Some(n) => BodyLength::Exactly(n),
            None => BodyLength::UntilClose,
        }
    };
    let headers = fields
        .into_iter()
        .filter(|(n, _)| SELECTED_HEADERS.contains(&n.as_str()))
        .take(MAX_KEPT_HEADERS)
        .map(|(name, value)| Header {
            name,
            value: cut(value),
        })
        .collect();
    Parsed::Complete(Head {
        response: HttpResponse { status, headers },
        body,
        len,
    })
}

/// True once the body is all there, so the reader can stop without waiting
/// for the server to close. `counted` is the body bytes received so far,
/// `tail` the last of them (at least 7 bytes when there are that many).
pub fn body_complete(length: BodyLength, counted: u64, tail: &[u8]) -> bool {
    match length {
        BodyLength::None => true,
        BodyLength::Exactly(n) => counted >= n,
        // The last chunk is `0` on its own line, then an empty trailer.
        BodyLength::Chunked => {
            tail.ends_with(b"\r\n0\r\n\r\n") || (counted == 5 && tail == b"0\r\n\r\n")
        }
        BodyLength::UntilClose => false,
    }
}

#[cfg(test)]
#[path = "response/tests.rs"]
mod tests;
