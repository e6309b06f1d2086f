//! The one error type of the crate: why bytes from the server could not be
//! read as the TLS message they claim to be, or why a hello cannot be built.

/// A decoding (or encoding) failure. Each variant says what was being read,
/// so the scanner can put a useful reason into its observation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The input ended inside a field.
    #[error("the {what} is truncated")]
    Truncated { what: &'static str },

    /// A field holds a value the protocol does not allow there.
    #[error("the {what} is malformed: {problem}")]
    Malformed {
        what: &'static str,
        problem: &'static str,
    },

    /// The first bytes of the reply are not a TLS (or SSL 2.0) record.
    #[error("the reply is not TLS (it starts with {first_bytes})")]
    NotTls { first_bytes: String },

    /// A record longer than any TLS implementation may send.
    #[error("a record of {len} bytes is longer than TLS allows ({max})")]
    RecordTooLong { len: usize, max: usize },

    /// The server sent more than the read budget before its first flight
    /// was complete.
    #[error("the server sent more than {limit} bytes without finishing its first flight")]
    OverBudget { limit: usize },

    /// A handshake message declares a length beyond the read budget: it is
    /// refused before any of it is buffered.
    #[error("a {what} message of {len} bytes is longer than the {limit}-byte read budget")]
    MessageTooLong {
        what: &'static str,
        len: usize,
        limit: usize,
    },

    /// A message that has no place where it arrived (e.g. application data
    /// before the ServerHello).
    #[error("unexpected {what} {when}")]
    Unexpected {
        what: &'static str,
        when: &'static str,
    },

    /// A ClientHello whose fields do not fit their length prefixes.
    #[error("the ClientHello cannot be encoded: {0}")]
    Encode(&'static str),
}

/// The first bytes of a reply, in hex, for [`WireError::NotTls`].
pub(crate) fn first_bytes(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    if shown.is_empty() {
        "nothing".to_owned()
    } else {
        shown.join(" ")
    }
}
