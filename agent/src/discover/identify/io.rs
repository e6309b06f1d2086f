//! Bounded reads and writes: every wait has a deadline and every read a
//! size cap, so a hostile or broken server can neither hang nor flood us.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

/// Reads until `done(bytes so far)`, EOF, `wait` or `max` bytes; returns
/// what arrived. A reset after some bytes returns those bytes; a reset (or
/// other error) before any byte is returned as the error.
pub async fn read_until<S: AsyncRead + Unpin>(
    stream: &mut S,
    wait: Duration,
    max: usize,
    done: impl Fn(&[u8]) -> bool,
) -> std::io::Result<Vec<u8>> {
    let deadline = Instant::now() + wait;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while buf.len() < max {
        let room = (max - buf.len()).min(chunk.len());
        match timeout_at(deadline, stream.read(&mut chunk[..room])).await {
            Err(_) => break,
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                buf.extend_from_slice(&chunk[..n]);
                if done(&buf) {
                    break;
                }
            }
            Ok(Err(e)) if buf.is_empty() => return Err(e),
            Ok(Err(_)) => break,
        }
    }
    Ok(buf)
}

/// Writes all of `bytes` within `wait`.
pub async fn write_all<S: AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
    wait: Duration,
) -> std::io::Result<()> {
    match tokio::time::timeout(wait, stream.write_all(bytes)).await {
        Ok(result) => result,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// A greeting is complete at its first line end, or when it is binary
/// (telnet negotiation, a MySQL handshake packet) and at least a few bytes
/// long: servers send their greeting in one segment.
pub fn greeting_complete(bytes: &[u8]) -> bool {
    // A MySQL handshake (3-byte length, sequence 0, protocol 10 or an
    // error packet) is binary and holds byte 10 itself: complete only when
    // its length is satisfied.
    if bytes.len() >= 5 && bytes[3] == 0 && (bytes[4] == 10 || bytes[4] == 0xff) {
        let len = usize::from(bytes[0]) | usize::from(bytes[1]) << 8 | usize::from(bytes[2]) << 16;
        if len > 0 {
            return bytes.len() >= len + 4;
        }
    }
    // Telnet opens with option negotiation (IAC …), sent in one segment.
    if bytes.first() == Some(&255) {
        return true;
    }
    bytes.contains(&b'\n')
}

/// The first line of `bytes` as printable ASCII (others become `.`), at
/// most 200 characters; `None` when nothing printable is left.
pub fn printable_line(bytes: &[u8]) -> Option<String> {
    let line = bytes.split(|b| *b == b'\n').next().unwrap_or(bytes);
    let text: String = line
        .iter()
        .take(200)
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    let text = text.trim_end_matches(['.', ' ']).to_owned();
    if text.chars().all(|c| c == '.' || c == ' ') {
        None
    } else {
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_line_keeps_the_first_line_only() {
        assert_eq!(
            printable_line(b"SSH-2.0-OpenSSH_9.2\r\nrest").as_deref(),
            Some("SSH-2.0-OpenSSH_9.2")
        );
        assert_eq!(printable_line(&[255, 253, 24]), None);
        assert_eq!(printable_line(&[b'a'; 500]).unwrap().len(), 200);
    }

    #[test]
    fn greeting_completion() {
        assert!(greeting_complete(b"220 hi\r\n"));
        assert!(!greeting_complete(b"220 hi"));
        assert!(greeting_complete(&[255, 253, 24]));
        // MySQL: length 3, sequence 0, then 3 bytes of payload.
        assert!(!greeting_complete(&[3, 0, 0, 0, 10]));
        assert!(greeting_complete(&[3, 0, 0, 0, 10, 1, 2]));
    }

    #[tokio::test]
    async fn read_until_stops_at_the_cap() {
        let data = vec![b'x'; 10_000];
        let mut reader: &[u8] = &data;
        let got = read_until(&mut reader, Duration::from_secs(1), 5000, |_| false)
            .await
            .unwrap();
        assert_eq!(got.len(), 5000);
    }
}
