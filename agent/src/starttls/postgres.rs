//! PostgreSQL TLS (protocol docs, "SSL Session Encryption"): an SSLRequest
//! (length 8, code 80877103) answered by the single byte `S`.

use super::wire::Wire;
use super::Refusal;

/// Length 8, then the request code 80877103 (1234 << 16 | 5679), big-endian.
pub(crate) const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// What the server's one-byte answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// `S`: go ahead with TLS.
    Tls,
    /// `N`: the server has TLS switched off.
    NoTls,
    /// `E`: an ErrorResponse (a server too old to know SSLRequest).
    Error,
    Other(u8),
}

pub(crate) fn answer(byte: u8) -> Answer {
    match byte {
        b'S' => Answer::Tls,
        b'N' => Answer::NoTls,
        b'E' => Answer::Error,
        other => Answer::Other(other),
    }
}

pub(super) async fn upgrade(wire: &mut Wire) -> Result<(), Refusal> {
    wire.send(&SSL_REQUEST).await?;
    let reply = wire.exact(1).await?;
    match answer(reply[0]) {
        Answer::Tls => Ok(()),
        Answer::NoTls => {
            Err(wire.refuse("did not offer STARTTLS (SSLRequest answered N: TLS is off)"))
        }
        Answer::Error => Err(wire.refuse("answered the SSLRequest with an error")),
        Answer::Other(b) => Err(wire.refuse(format_args!(
            "answered the SSLRequest with byte 0x{b:02x}, not S or N"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_code_is_80877103() {
        let code = u32::from_be_bytes(SSL_REQUEST[4..].try_into().unwrap());
        assert_eq!(code, 80_877_103);
        assert_eq!(u32::from_be_bytes(SSL_REQUEST[..4].try_into().unwrap()), 8);
    }

    #[test]
    fn answers() {
        assert_eq!(answer(b'S'), Answer::Tls);
        assert_eq!(answer(b'N'), Answer::NoTls);
        assert_eq!(answer(b'E'), Answer::Error);
        assert_eq!(answer(0x16), Answer::Other(0x16));
    }
}
