//! One crafted hello sent on a fresh connection and the server's answer
//! read, within the attempt's deadline and byte budget.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use trustwatch_tls_wire::{Alert, AlertLevel, FlightParser, Response};

use crate::net::{self, Endpoint};
use crate::probe::Limits;

/// How one exchange ended.
#[derive(Debug)]
pub(super) enum Exchange {
    /// The server answered: a flight, an alert or an SSL 2.0 message.
    Answer(Response),
    /// The server closed (or reset) the connection without sending a byte:
    /// how many servers refuse a version they do not speak.
    Closed { reset: bool },
    /// Nothing can be learnt from this endpoint through this attempt.
    Failed(Failure),
}

/// Why an exchange taught us nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    pub reason: String,
    /// The TCP connect (or STARTTLS) failed: no hello was sent.
    pub before_hello: bool,
}

impl Failure {
    fn new(reason: impl Into<String>) -> Failure {
        Failure {
            reason: reason.into(),
            before_hello: false,
        }
    }
}

/// What to send: the hello's bytes, and the record version of our polite
/// goodbye (none for SSL 2.0, which has no alerts).
#[derive(Debug)]
pub(super) struct Hello {
    pub bytes: Vec<u8>,
    pub close_with: Option<u16>,
}

/// Connects through `net::open` (so STARTTLS is honoured), sends the hello
/// and reads the answer. Never takes longer than `limits.timeout`, never
/// reads more than `limits.max_read_bytes`.
pub(super) async fn exchange(endpoint: &Endpoint, hello: &Hello, limits: Limits) -> Exchange {
    let deadline = Instant::now() + limits.timeout;
    let mut stream = match net::open(endpoint, deadline).await {
        Ok(s) => s,
        Err(u) => {
            return Exchange::Failed(Failure {
                reason: u.reason,
                before_hello: true,
            })
        }
    };
    let sent = tokio::time::timeout_at(deadline, stream.write_all(&hello.bytes)).await;
    let answer = match sent {
        Err(_) => Exchange::Failed(Failure::new(timed_out(limits.timeout, 0))),
        Ok(Err(e)) if is_reset(&e) => Exchange::Closed { reset: true },
        Ok(Err(e)) => {
            Exchange::Failed(Failure::new(format!("socket error sending the hello: {e}")))
        }
        Ok(Ok(())) => read_answer(&mut stream, deadline, limits).await,
    };
    if let (Exchange::Answer(_), Some(version)) = (&answer, hello.close_with) {
        // Leave politely: we will not finish this handshake.
        let bye = Alert {
            level: AlertLevel::Warning,
            description: Alert::CLOSE_NOTIFY,
        }
        .encode_record(version);
        let _ = tokio::time::timeout(Duration::from_millis(100), async {
            stream.write_all(&bye).await?;
            stream.shutdown().await
        })
        .await;
    }
    answer
}

async fn read_answer(stream: &mut TcpStream, deadline: Instant, limits: Limits) -> Exchange {
    let mut parser = FlightParser::new(limits.max_read_bytes);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        // Never ask for more than one byte past the budget: the parser
        // reports the overrun without us buffering it.
        let want = buf.len().min(parser.remaining_budget() + 1);
        let read = tokio::time::timeout_at(deadline, stream.read(&mut buf[..want])).await;
        let received = parser.received();
        match read {
            Err(_) => return Exchange::Failed(Failure::new(timed_out(limits.timeout, received))),
            Ok(Err(e)) if is_reset(&e) && received == 0 => return Exchange::Closed { reset: true },
            Ok(Ok(0)) if received == 0 => return Exchange::Closed { reset: false },
            Ok(Err(e)) if is_reset(&e) => {
                return Exchange::Failed(Failure::new(mid_flight(received)))
            }
            Ok(Ok(0)) => return Exchange::Failed(Failure::new(mid_flight(received))),
            Ok(Err(e)) => {
                return Exchange::Failed(Failure::new(format!(
                    "socket error during the handshake: {e}"
                )))
            }
            Ok(Ok(n)) => match parser.feed(&buf[..n]) {
                Ok(None) => {}
                Ok(Some(response)) => return Exchange::Answer(response),
                Err(e) => return Exchange::Failed(Failure::new(e.to_string())),
            },
        }
    }
}

/// The reason for a deadline that passed; "sent nothing" is what tells a
/// silent listener from a slow one.
pub(super) fn timed_out(timeout: Duration, received: usize) -> String {
    if received == 0 {
        format!(
            "timed out after {}s: the server accepted the connection but sent nothing",
            timeout.as_secs_f32()
        )
    } else {
        format!(
            "timed out after {}s having received {received} bytes without a complete handshake message",
            timeout.as_secs_f32()
        )
    }
}

fn mid_flight(received: usize) -> String {
    format!(
        "the server closed the connection in the middle of its handshake (after {received} bytes)"
    )
}

fn is_reset(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionReset | ConnectionAborted | BrokenPipe)
}
