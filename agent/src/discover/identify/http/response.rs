//! The answer to `GET /`: status line, headers and a bounded body, parsed
//! from whatever bytes arrived (a truncated answer still yields what it
//! holds).

/// The longest head (status line and headers) read: past this the server
/// is sending an endless header and we stop.
pub(super) const MAX_HEAD: usize = 32 * 1024;
/// The most body bytes kept: default pages and login pages fit easily.
pub(super) const MAX_BODY: usize = 64 * 1024;
/// The most headers kept from one answer.
const MAX_HEADERS: usize = 100;

/// A parsed (possibly truncated) HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Response {
    pub status: u16,
    /// Names lower-cased, values trimmed (lossy UTF-8), in order.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked when it was chunked, at most [`MAX_BODY`].
    pub body: Vec<u8>,
    /// False when the head was cut short (endless header, early close).
    pub head_complete: bool,
}

impl Response {
    /// The first header called `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every header called `name` (lower-case), in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `bytes` as an HTTP/1.x response; `None` unless it starts with a
/// status line (`HTTP/1.1 200 …`) whose code is three digits.
pub(super) fn parse(bytes: &[u8]) -> Option<Response> {
    let (head, body, head_complete) = match head_end(bytes) {
        Some((head_len, body_start)) => (&bytes[..head_len], &bytes[body_start..], true),
        None => (&bytes[..bytes.len().min(MAX_HEAD)], &[][..], false),
    };
    let mut lines = head.split(|b| *b == b'\n').map(trim_cr);
    let status = status_code(lines.next()?)?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            // Obsolete line folding: a continuation of the previous value.
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(String::from_utf8_lossy(line).trim());
            }
            continue;
        }
        if headers.len() >= MAX_HEADERS {
            break;
        }
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let name = String::from_utf8_lossy(&line[..colon])
            .trim()
            .to_ascii_lowercase();
        let value = String::from_utf8_lossy(&line[colon + 1..])
            .trim()
            .to_owned();
        headers.push((name, value));
    }
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"));
    let mut body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    body.truncate(MAX_BODY);
    Some(Response {
        status,
        headers,
        body,
        head_complete,
    })
}

/// Whether `bytes` are a whole answer worth stopping for: the body is all
/// there (by Content-Length or the last chunk), or a cap was reached, or
/// the bytes are clearly not HTTP at all (a TLS alert, another protocol).
pub(super) fn complete(bytes: &[u8]) -> bool {
    const PREFIX: &[u8] = b"HTTP/";
    let n = bytes.len().min(PREFIX.len());
    if bytes[..n] != PREFIX[..n] {
        return true;
    }
    let Some((_, body_start)) = head_end(bytes) else {
        return bytes.len() >= MAX_HEAD;
    };
    let body = &bytes[body_start..];
    if body.len() >= MAX_BODY {
        return true;
    }
    let Some(resp) = parse(&bytes[..body_start]) else {
        return true;
    };
    if matches!(resp.status, 100..=199 | 204 | 304) {
        return true;
    }
    if resp
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return body.ends_with(b"0\r\n\r\n");
    }
    match resp
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        Some(len) => body.len() >= len,
        // Delimited by the close we asked for.
        None => false,
    }
}

/// `(end of head, start of body)`: the blank line ends the head, with CRLF
/// or (from sloppy servers) bare LF line ends.
fn head_end(bytes: &[u8]) -> Option<(usize, usize)> {
    let limit = &bytes[..bytes.len().min(MAX_HEAD)];
    let crlf = find(limit, b"\r\n\r\n").map(|i| (i, i + 4));
    let lf = find(limit, b"\n\n").map(|i| (i, i + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn status_code(line: &[u8]) -> Option<u16> {
    if !line.starts_with(b"HTTP/") {
        return None;
    }
    let mut parts = line.split(|b| *b == b' ').filter(|p| !p.is_empty());
    parts.next()?;
    let code = parts.next()?;
    if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(code).ok()?.parse().ok()
}

/// The chunks' data, best effort: a malformed or truncated chunk ends the
/// decoding and whatever is left is kept raw, since fingerprints only need
/// to find text in it.
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < MAX_BODY {
        let Some(line_end) = find(rest, b"\r\n") else {
            out.extend_from_slice(rest);
            break;
        };
        let size_line = &rest[..line_end];
        let size_text = size_line.split(|b| *b == b';').next().unwrap_or(size_line);
        let size = std::str::from_utf8(size_text)
            .ok()
            .and_then(|t| usize::from_str_radix(t.trim(), 16).ok());
        let Some(size) = size else {
            out.extend_from_slice(rest);
            break;
        };
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        let take = size.min(rest.len());
        out.extend_from_slice(&rest[..take]);
        if take < size {
            break;
        }
        rest = &rest[take..];
        rest = rest.strip_prefix(b"\r\n").unwrap_or(rest);
    }
    out.truncate(MAX_BODY);
    out
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

pub(super) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_headers_and_body() {
        let r = parse(
            b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nX-Powered-By: PHP/8.2\r\n\
              Content-Length: 5\r\n\r\nhello",
        )
        .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("server"), Some("nginx/1.22.1"));
        assert_eq!(r.header("x-powered-by"), Some("PHP/8.2"));
        assert_eq!(r.body, b"hello");
        assert!(r.head_complete);
    }

    #[test]
    fn bare_lf_and_folded_headers() {
        let r = parse(b"HTTP/1.0 401 Unauthorized\nWWW-Authenticate: Basic\n realm=\"x\"\n\nbody")
            .unwrap();
        assert_eq!(r.status, 401);
        assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"x\""));
        assert_eq!(r.body, b"body");
    }

    #[test]
    fn not_http_is_none() {
        assert!(parse(b"SSH-2.0-OpenSSH\r\n").is_none());
        assert!(parse(b"HTTP/1.1 2000 OK\r\n\r\n").is_none());
        assert!(parse(b"HTTP/1.1\r\n\r\n").is_none());
        assert!(parse(b"").is_none());
    }

    #[test]
    fn truncated_head_keeps_the_status() {
        let mut bytes = b"HTTP/1.1 200 OK\r\nX-Long: ".to_vec();
        bytes.resize(MAX_HEAD + 100, b'a');
        let r = parse(&bytes).unwrap();
        assert_eq!(r.status, 200);
        assert!(!r.head_complete);
        assert!(r.body.is_empty());
        assert!(complete(&bytes));
    }

    #[test]
    fn chunked_bodies_are_decoded() {
        let r = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
              5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"hello world");
    }

    #[test]
    fn broken_chunks_are_kept_raw() {
        assert_eq!(dechunk(b"zz\r\nhello"), b"zz\r\nhello");
        assert_eq!(
            dechunk(b"ffffffffffffffffffffff\r\nx"),
            b"ffffffffffffffffffffff\r\nx"
        );
        // A size larger than what arrived keeps what arrived.
        assert_eq!(dechunk(b"100\r\nabc"), b"abc");
        assert_eq!(dechunk(b"3\r\nabc"), b"abc");
    }

    #[test]
    fn completion() {
        assert!(!complete(b"HTT"));
        assert!(complete(b"\x15\x03\x01\x00\x02\x02\x46"));
        assert!(complete(b"SSH-2.0-x"));
        assert!(!complete(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel"
        ));
        assert!(complete(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
        ));
        assert!(!complete(b"HTTP/1.1 200 OK\r\n\r\nclose-delimited"));
        assert!(complete(b"HTTP/1.1 304 Not Modified\r\n\r\n"));
        assert!(!complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
        ));
        assert!(complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        ));
        let mut endless = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        endless.resize(MAX_BODY + 100, b'x');
        assert!(complete(&endless));
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let mut http = b"HTTP/1.1 200 OK\r\n".to_vec();
            http.extend_from_slice(&bytes);
            for input in [&bytes[..], &http[..]] {
                let _ = parse(input);
                let _ = complete(input);
                let _ = dechunk(input);
            }
        }
    }

    #[test]
    fn bodies_are_capped() {
        let mut bytes = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        bytes.resize(MAX_BODY * 2, b'x');
        assert_eq!(parse(&bytes).unwrap().body.len(), MAX_BODY);
    }
}
