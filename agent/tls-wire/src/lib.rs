//! The TLS wire format as far as a scanner needs it, with no I/O.
//!
//! rustls refuses to speak SSL 2.0, SSL 3.0, TLS 1.0 and 1.1 and will not
//! offer broken cipher suites, yet a scanner must find out whether a server
//! accepts them. It does not need to finish such a handshake: the server's
//! answer to a crafted ClientHello (a ServerHello or an alert, and the rest
//! of its first flight) tells which version, suite, group and extensions it
//! chose. This crate encodes those ClientHellos and decodes those answers.
//!
//! Every byte decoded here comes from a server we do not trust: every length
//! is checked, every buffer is bounded, and bad input is a [`WireError`],
//! never a panic.

mod alert;
mod error;
mod flight;
pub mod groups;
mod handshake;
mod hello;
mod reader;
mod record;
mod server_hello;
mod ssl2;
pub mod suites;
mod version;

pub use alert::{Alert, AlertLevel};
pub use error::WireError;
pub use flight::{FlightParser, Response, ServerFlight, ServerKeyExchange, MAX_CERTIFICATES};
pub use groups::{NamedGroup, GROUPS};
pub use handshake::{split_messages, HandshakeMessage, HandshakeType};
pub use hello::{ClientHello, ParsedClientHello, SIGNATURE_ALGORITHMS};
pub use record::{ContentType, Record, RecordHeader, MAX_RECORD_LEN};
pub use server_hello::{extension, ServerHello, HELLO_RETRY_REQUEST_RANDOM};
pub use ssl2::{cipher_kind_name, Ssl2ClientHello, Ssl2ServerHello, SSL2_CIPHER_KINDS};
pub use suites::{
    classes_from_name, KeyExchange, SuiteInfo, FALLBACK_SCSV, RENEGOTIATION_INFO_SCSV, SUITES,
};
pub use version::{from_wire, wire};
