//! Reading the server's answer to a crafted hello, sans I/O: feed it the
//! bytes as they arrive; it says when the answer is complete.
//!
//! The answer is complete at the first alert before a ServerHello, at a
//! TLS 1.3 ServerHello or HelloRetryRequest (everything after it is
//! encrypted), at ServerHelloDone for TLS 1.2 and older, or at an SSL 2.0
//! SERVER-HELLO or ERROR. Everything the server sends counts against a byte
//! budget, so a hostile server cannot make the reader buffer without end.

mod messages;

pub use messages::{ServerKeyExchange, MAX_CERTIFICATES};

use crate::alert::{Alert, AlertLevel};
use crate::error::WireError;
use crate::handshake::{HandshakeMessage, HandshakeType};
use crate::record::{ContentType, Record};
use crate::server_hello::ServerHello;
use crate::ssl2::{self, Ssl2ServerHello};

/// What the server sent from its ServerHello to the end of its first
/// flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFlight {
    pub hello: ServerHello,
    /// TLS ≤ 1.2: the certificates as sent (leaf first), at most
    /// [`MAX_CERTIFICATES`].
    pub certificates: Vec<Vec<u8>>,
    /// The server sent more certificates than were kept.
    pub certificates_truncated: bool,
    pub key_exchange: Option<ServerKeyExchange>,
    /// A CertificateStatus message (a stapled OCSP response) was sent.
    pub certificate_status: bool,
    pub certificate_request: bool,
    /// A fatal alert that cut the flight short after the ServerHello.
    pub alert: Option<Alert>,
}

/// The server's complete answer to one hello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// An alert before any ServerHello: the hello was refused.
    Alert(Alert),
    Flight(ServerFlight),
    Ssl2Hello(Ssl2ServerHello),
    /// An SSL 2.0 ERROR message with its code.
    Ssl2Error(u16),
}

#[derive(Debug)]
pub struct FlightParser {
    budget: usize,
    received: usize,
    /// Bytes not yet framed into records.
    pending: Vec<u8>,
    /// Handshake bytes not yet framed into messages.
    handshake: Vec<u8>,
    flight: Option<ServerFlight>,
    finished: bool,
}

impl FlightParser {
    /// A parser that accepts at most `budget` bytes from the server.
    pub fn new(budget: usize) -> FlightParser {
        FlightParser {
            budget,
            received: 0,
            pending: Vec::new(),
            handshake: Vec::new(),
            flight: None,
            finished: false,
        }
    }

    /// Bytes fed so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// A ServerHello arrived but the flight is not complete: a close now is
    /// a close mid-handshake.
    pub fn saw_server_hello(&self) -> bool {
        self.flight.is_some()
    }

    /// How many more bytes the budget allows.
    pub fn remaining_budget(&self) -> usize {
        self.budget.saturating_sub(self.received)
    }

    /// Feeds bytes from the server. `Ok(Some(..))` once the answer is
    /// complete (feed nothing more after that); `Ok(None)` to wait for more.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<Response>, WireError> {
        if self.finished {
            return Err(WireError::Unexpected {
                what: "bytes",
                when: "after the answer was complete",
            });
        }
        self.received += bytes.len();
        if self.received > self.budget {
            return Err(WireError::OverBudget { limit: self.budget });
        }
        self.pending.extend_from_slice(bytes);
        let result = self.drain();
        if !matches!(result, Ok(None)) {
            self.finished = true;
        }
        result
    }

    /// Frames and handles every complete record in `pending`; consumed
    /// bytes are removed once, at the end, so a flood of tiny records costs
    /// linear time.
    fn drain(&mut self) -> Result<Option<Response>, WireError> {
        let pending = std::mem::take(&mut self.pending);
        let mut pos = 0;
        let result = loop {
            let rest = &pending[pos..];
            let Some(&first) = rest.first() else {
                break Ok(None);
            };
            // No TLS content type has the high bit set; an SSL 2.0 record
            // header does.
            if first & 0x80 != 0 && self.flight.is_none() && self.handshake.is_empty() {
                break self.ssl2(rest);
            }
            match Record::parse(rest) {
                Err(e) => break Err(e),
                Ok(None) => break Ok(None),
                Ok(Some((record, used))) => {
                    pos += used;
                    match self.record(record) {
                        Ok(None) => {}
                        other => break other,
                    }
                }
            }
        };
        self.pending = pending;
        self.pending.drain(..pos);
        result
    }

    fn ssl2(&mut self, bytes: &[u8]) -> Result<Option<Response>, WireError> {
        let Some((msg, _)) = ssl2::parse_record(bytes)? else {
            return Ok(None);
        };
        match msg.first() {
            Some(&ssl2::MSG_SERVER_HELLO) => {
                Ok(Some(Response::Ssl2Hello(Ssl2ServerHello::decode(msg)?)))
            }
            Some(&ssl2::MSG_ERROR) if msg.len() == 3 => {
                Ok(Some(Response::Ssl2Error(u16::from_be_bytes([
                    msg[1], msg[2],
                ]))))
            }
            _ => Err(WireError::NotTls {
                first_bytes: crate::error::first_bytes(bytes),
            }),
        }
    }

    fn record(&mut self, record: Record<'_>) -> Result<Option<Response>, WireError> {
        match record.header.content_type {
            ContentType::Alert => {
                let alert = Alert::decode(record.payload)?;
                // Some servers warn (e.g. unrecognized_name) before their
                // ServerHello and carry on: only a fatal alert or a close
                // ends the answer.
                if alert.level == AlertLevel::Warning && alert.description != Alert::CLOSE_NOTIFY {
                    return Ok(None);
                }
                Ok(Some(match self.flight.take() {
                    None => Response::Alert(alert),
                    Some(mut flight) => {
                        flight.alert = Some(alert);
                        Response::Flight(flight)
                    }
                }))
            }
            ContentType::Handshake => {
                self.handshake.extend_from_slice(record.payload);
                self.messages()
            }
            ContentType::ChangeCipherSpec => Err(WireError::Unexpected {
                what: "ChangeCipherSpec",
                when: "before the end of the server's first flight",
            }),
            ContentType::ApplicationData | ContentType::Heartbeat => Err(WireError::Unexpected {
                what: "application data or heartbeat record",
                when: "during the handshake",
            }),
        }
    }

    fn messages(&mut self) -> Result<Option<Response>, WireError> {
        let buf = std::mem::take(&mut self.handshake);
        let mut pos = 0;
        let limit = self.budget;
        let result = loop {
            match HandshakeMessage::parse(&buf[pos..], limit) {
                Err(e) => break Err(e),
                Ok(None) => break Ok(None),
                Ok(Some((msg, used))) => {
                    pos += used;
                    match self.message(msg) {
                        Ok(None) => {}
                        other => break other,
                    }
                }
            }
        };
        self.handshake = buf;
        self.handshake.drain(..pos);
        result
    }

    fn message(&mut self, msg: HandshakeMessage<'_>) -> Result<Option<Response>, WireError> {
        let Some(flight) = self.flight.as_mut() else {
            return match msg.typ {
                HandshakeType::HELLO_REQUEST => Ok(None),
                HandshakeType::SERVER_HELLO => {
                    let hello = ServerHello::decode(msg.body)?;
                    let last = hello.is_retry_request() || hello.version() >= 0x0304;
                    let flight = ServerFlight {
                        hello,
                        certificates: Vec::new(),
                        certificates_truncated: false,
                        key_exchange: None,
                        certificate_status: false,
                        certificate_request: false,
                        alert: None,
                    };
                    if last {
                        Ok(Some(Response::Flight(flight)))
                    } else {
                        self.flight = Some(flight);
                        Ok(None)
                    }
                }
                _ => Err(WireError::Unexpected {
                    what: HandshakeType::name(msg.typ),
                    when: "before the ServerHello",
                }),
            };
        };
        match msg.typ {
            HandshakeType::CERTIFICATE => {
                let (certs, truncated) = messages::certificates(msg.body)?;
                flight.certificates = certs;
                flight.certificates_truncated = truncated;
            }
            HandshakeType::CERTIFICATE_STATUS => flight.certificate_status = true,
            HandshakeType::SERVER_KEY_EXCHANGE => {
                flight.key_exchange =
                    Some(messages::key_exchange(flight.hello.cipher_suite, msg.body)?);
            }
            HandshakeType::CERTIFICATE_REQUEST => flight.certificate_request = true,
            HandshakeType::SERVER_HELLO_DONE => {
                return Ok(self.flight.take().map(Response::Flight));
            }
            HandshakeType::SERVER_HELLO => {
                return Err(WireError::Unexpected {
                    what: "second ServerHello",
                    when: "in one flight",
                })
            }
            // Anything else (a HelloRequest, supplemental data) is not ours
            // to judge; the budget still bounds it.
            _ => {}
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests;
