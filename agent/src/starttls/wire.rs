//! The plaintext half of a STARTTLS connection: writes, and reads bounded by
//! line length, total bytes and one deadline, so a server that talks without
//! end, never ends a line, or drips one byte a second costs at most the
//! probe's timeout and a few KiB.

use std::fmt;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::{Refusal, Starttls};
use crate::net::Unreachable;

/// The longest reply line accepted (RFC 5321 allows 512 octets; servers'
/// capability lists stay far below this).
pub(crate) const MAX_LINE: usize = 4096;
/// The most bytes read in the whole plaintext exchange.
pub(crate) const MAX_TOTAL: usize = 64 * 1024;
/// How much of a server's reply is quoted in a reason.
const QUOTE: usize = 120;

#[derive(Debug)]
pub(crate) struct Wire {
    stream: TcpStream,
    deadline: Instant,
    protocol: Starttls,
    peer: Option<SocketAddr>,
    /// Read from the server, not yet consumed.
    pending: Vec<u8>,
    read_total: usize,
}

impl Wire {
    pub(crate) fn new(protocol: Starttls, stream: TcpStream, deadline: Instant) -> Wire {
        Wire {
            peer: stream.peer_addr().ok(),
            stream,
            deadline,
            protocol,
            pending: Vec::new(),
            read_total: 0,
        }
    }

    /// A failure naming the protocol and the server, e.g. `smtp server at
    /// 127.0.0.1:25 did not offer STARTTLS`.
    pub(crate) fn fail(&self, what: impl fmt::Display) -> Unreachable {
        match self.peer {
            Some(peer) => Unreachable::new(format!("{} server at {peer} {what}", self.protocol)),
            None => Unreachable::new(format!("{} server {what}", self.protocol)),
        }
    }

    /// [`Wire::fail`] as a refusal that ends the attempt.
    pub(crate) fn refuse(&self, what: impl fmt::Display) -> Refusal {
        Refusal::Failed(self.fail(what))
    }

    /// The server is busy and asked to be tried again later.
    pub(crate) fn busy(&self, what: impl fmt::Display) -> Refusal {
        Refusal::Busy(self.fail(what))
    }

    /// The address we connect from, for SMTP's EHLO.
    pub(crate) fn local_addr(&self) -> Option<SocketAddr> {
        self.stream.local_addr().ok()
    }

    pub(crate) async fn send(&mut self, bytes: &[u8]) -> Result<(), Unreachable> {
        match tokio::time::timeout_at(self.deadline, self.stream.write_all(bytes)).await {
            Err(_) => Err(self.fail("did not accept our STARTTLS request in time (timed out)")),
            Ok(Err(e)) => Err(self.fail(format_args!(
                "closed the connection during the STARTTLS exchange ({e})"
            ))),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// The next line, without its CR LF (or bare LF).
    pub(crate) async fn line(&mut self) -> Result<String, Unreachable> {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() > MAX_LINE {
                    return Err(self.too_long());
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.pending.len() > MAX_LINE {
                return Err(self.too_long());
            }
            self.fill().await?;
        }
    }

    /// Exactly `n` bytes (binary protocols: LDAP, PostgreSQL).
    pub(crate) async fn exact(&mut self, n: usize) -> Result<Vec<u8>, Unreachable> {
        while self.pending.len() < n {
            self.fill().await?;
        }
        Ok(self.pending.drain(..n).collect())
    }

    /// The connection, ready for TLS. Bytes the server sent after its
    /// go-ahead and before our ClientHello would be read by the TLS client
    /// as if they came through TLS (the STARTTLS command-injection flaw,
    /// CVE-2011-0411 and kin), so they end the attempt instead.
    pub(crate) fn into_stream(self) -> Result<TcpStream, Unreachable> {
        if self.pending.is_empty() {
            Ok(self.stream)
        } else {
            Err(self.fail(format_args!(
                "sent {} unexpected bytes after agreeing to STARTTLS",
                self.pending.len()
            )))
        }
    }

    fn too_long(&self) -> Unreachable {
        self.fail(format_args!(
            "sent a line longer than {MAX_LINE} bytes during STARTTLS"
        ))
    }

    async fn fill(&mut self) -> Result<(), Unreachable> {
        let room = MAX_TOTAL.saturating_sub(self.read_total);
        if room == 0 {
            return Err(self.fail(format_args!(
                "sent more than {MAX_TOTAL} bytes without completing STARTTLS"
            )));
        }
        let mut buf = vec![0u8; room.min(4096)];
        match tokio::time::timeout_at(self.deadline, self.stream.read(&mut buf)).await {
            Err(_) => Err(self.fail("did not complete the STARTTLS exchange in time (timed out)")),
            Ok(Err(e)) => Err(self.fail(format_args!(
                "closed the connection during the STARTTLS exchange ({e})"
            ))),
            Ok(Ok(0)) => Err(self.fail("closed the connection during the STARTTLS exchange")),
            Ok(Ok(n)) => {
                self.read_total += n;
                self.pending.extend_from_slice(&buf[..n]);
                Ok(())
            }
        }
    }
}

/// A server's words, made safe to put in a reason: control characters
/// replaced and cut to a readable length.
pub(crate) fn quote(text: &str) -> String {
    let clean: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= QUOTE {
        format!("\"{clean}\"")
    } else {
        let cut: String = clean.chars().take(QUOTE).collect();
        format!("\"{cut}…\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_neutralises_and_cuts() {
        assert_eq!(
            quote(" 454 TLS not available\r"),
            "\"454 TLS not available\""
        );
        assert_eq!(quote("a\x1b[31mb"), "\"a [31mb\"");
        let long = "x".repeat(500);
        let q = quote(&long);
        assert_eq!(q.chars().count(), QUOTE + 3);
        assert!(q.ends_with("…\""));
    }
}
