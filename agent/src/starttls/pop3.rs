//! POP3 STARTTLS (RFC 2595 §4): greeting `+OK`, then `STLS` answered by
//! `+OK`.
//!
//! `STLS` is sent straight away rather than after `CAPA`: a server without
//! it answers `-ERR`, which says the same as a capability list would, one
//! round trip sooner (the TLS probe opens many connections per endpoint).

use super::wire::{quote, Wire};
use super::Refusal;

/// A status line: `+OK text` is `Some(true, text)`, `-ERR text` is
/// `Some(false, text)`, anything else `None`.
pub(crate) fn status(line: &str) -> Option<(bool, &str)> {
    let (word, text) = line.split_once(' ').unwrap_or((line, ""));
    if word.eq_ignore_ascii_case("+OK") {
        Some((true, text))
    } else if word.eq_ignore_ascii_case("-ERR") {
        Some((false, text))
    } else {
        None
    }
}

/// RFC 3206 response codes that mean "try again later".
pub(crate) fn is_temporary(text: &str) -> bool {
    let code = text.split_whitespace().next().unwrap_or_default();
    code.eq_ignore_ascii_case("[IN-USE]") || code.eq_ignore_ascii_case("[SYS/TEMP]")
}

pub(super) async fn upgrade(wire: &mut Wire) -> Result<(), Refusal> {
    let greeting = wire.line().await?;
    if let Some((false, text)) = status(&greeting) {
        if is_temporary(text) {
            return Err(wire.busy(format_args!("is busy: {}", quote(&greeting))));
        }
    }
    if !matches!(status(&greeting), Some((true, _))) {
        return Err(wire.refuse(format_args!(
            "refused the POP3 session: {}",
            quote(&greeting)
        )));
    }
    wire.send(b"STLS\r\n").await?;
    let answer = wire.line().await?;
    match status(&answer) {
        Some((true, _)) => Ok(()),
        Some((false, _)) => Err(wire.refuse(format_args!(
            "did not offer STARTTLS (STLS answered {})",
            quote(&answer)
        ))),
        None => Err(wire.refuse(format_args!(
            "answered STLS with {}, not +OK or -ERR",
            quote(&answer)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_status_lines() {
        assert_eq!(status("+OK Dovecot ready."), Some((true, "Dovecot ready.")));
        assert_eq!(status("+OK"), Some((true, "")));
        assert_eq!(
            status("-ERR Unknown command"),
            Some((false, "Unknown command"))
        );
        assert_eq!(status("+OKAY"), None);
        assert_eq!(status("220 smtp"), None);
    }

    #[test]
    fn temporary_refusals() {
        assert!(is_temporary("[IN-USE] Maildrop locked"));
        assert!(is_temporary("[sys/temp] too busy"));
        assert!(!is_temporary("[SYS/PERM] gone"));
        assert!(!is_temporary("Unknown command"));
    }

    proptest! {
        #[test]
        fn never_panics(line in "\\PC{0,60}") {
            let _ = status(&line);
        }
    }
}
