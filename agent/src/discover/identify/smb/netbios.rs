//! NetBIOS session service framing (RFC 1002 §4.3), which SMB uses on both
//! ports: on 445 ("direct TCP", MS-SMB2 §2.1) only the 4-byte header of a
//! session message; on 139 a session request must come first.

use super::SmbError;

/// Session message: an SMB message follows.
const SESSION_MESSAGE: u8 = 0x00;
const SESSION_REQUEST: u8 = 0x81;
const POSITIVE_RESPONSE: u8 = 0x82;
const NEGATIVE_RESPONSE: u8 = 0x83;
const RETARGET_RESPONSE: u8 = 0x84;
/// Keep-alive: a server may send one at any time; it carries nothing.
const KEEP_ALIVE: u8 = 0x85;

/// The largest length a direct-TCP header can carry (24 bits).
const MAX_LENGTH: usize = 0x00ff_ffff;

/// `message` behind a session-message header.
pub(super) fn frame(message: &[u8]) -> Vec<u8> {
    let len = message.len().min(MAX_LENGTH);
    let mut out = Vec::with_capacity(4 + len);
    out.push(SESSION_MESSAGE);
    out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
    out.extend_from_slice(&message[..len]);
    out
}

/// The session request sent first on port 139. `*SMBSERVER` is the called
/// name every SMB server answers to (Windows and Samba alike), so we need
/// not know the host's NetBIOS name.
pub(super) fn session_request(called: &str, calling: &str) -> Vec<u8> {
    let mut payload = encode_name(called);
    payload.extend(encode_name(calling));
    let mut out = vec![SESSION_REQUEST, 0];
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend(payload);
    out
}

/// RFC 1001 §14.1 first-level encoding: the name padded with spaces to 15
/// characters plus a suffix byte (0x20, "file server service"), each
/// nibble as a letter from `A`; then a length prefix and the empty scope.
fn encode_name(name: &str) -> Vec<u8> {
    let mut raw = [b' '; 16];
    for (slot, b) in raw.iter_mut().take(15).zip(name.bytes()) {
        *slot = b.to_ascii_uppercase();
    }
    let mut out = Vec::with_capacity(34);
    out.push(32);
    for b in raw {
        out.push(b'A' + (b >> 4));
        out.push(b'A' + (b & 0x0f));
    }
    out.push(0);
    out
}

/// The answer to a session request, once complete.
pub(super) fn parse_session_response(bytes: &[u8]) -> Result<(), SmbError> {
    let (kind, body) = first_packet(bytes)?;
    match kind {
        POSITIVE_RESPONSE => Ok(()),
        NEGATIVE_RESPONSE => Err(SmbError::SessionRefused(body.first().copied())),
        // A retarget names another address and port to try: we stay put.
        RETARGET_RESPONSE => Err(SmbError::SessionRetarget),
        other => Err(SmbError::UnexpectedPacket(other)),
    }
}

/// The first session message's SMB bytes, skipping keep-alives.
pub(super) fn first_message(bytes: &[u8]) -> Result<&[u8], SmbError> {
    let mut rest = bytes;
    loop {
        let (kind, body) = first_packet(rest)?;
        match kind {
            SESSION_MESSAGE => return Ok(body),
            KEEP_ALIVE => rest = &rest[4 + body.len()..],
            other => return Err(SmbError::UnexpectedPacket(other)),
        }
    }
}

/// True once `bytes` hold a whole packet that is not a keep-alive (or
/// cannot be one: a first byte that is no NetBIOS packet type ends the
/// wait, and parsing says why).
pub(super) fn packet_complete(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    loop {
        match first_packet(rest) {
            Ok((KEEP_ALIVE, body)) => rest = &rest[4 + body.len()..],
            Ok(_) => return true,
            Err(SmbError::Truncated(_)) => return false,
            Err(_) => return true,
        }
    }
}

/// One packet: its type and body. The 17-bit length of RFC 1002 is 24 bits
/// on direct TCP; the top bits are the flags byte's, so both read the same.
fn first_packet(bytes: &[u8]) -> Result<(u8, &[u8]), SmbError> {
    let header = bytes
        .get(..4)
        .ok_or(SmbError::Truncated("NetBIOS header"))?;
    let kind = header[0];
    if !matches!(
        kind,
        SESSION_MESSAGE
            | SESSION_REQUEST
            | POSITIVE_RESPONSE
            | NEGATIVE_RESPONSE
            | RETARGET_RESPONSE
            | KEEP_ALIVE
    ) {
        return Err(SmbError::NotNetbios(kind));
    }
    let len = usize::from(header[1]) << 16 | usize::from(header[2]) << 8 | usize::from(header[3]);
    let body = bytes
        .get(4..4 + len)
        .ok_or(SmbError::Truncated("NetBIOS packet"))?;
    Ok((kind, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::identify::mutate::mutate;

    #[test]
    fn frames_carry_a_24_bit_length() {
        assert_eq!(frame(b"abc"), [0, 0, 0, 3, b'a', b'b', b'c']);
    }

    #[test]
    fn names_are_first_level_encoded() {
        // RFC 1001 §14.1's example: "FRED" pads to "FRED" + 11 spaces +
        // the suffix; 'F' = 0x46 -> "EG".
        let encoded = encode_name("Fred");
        assert_eq!(encoded.len(), 34);
        assert_eq!(encoded[0], 32);
        assert_eq!(&encoded[1..9], b"EGFCEFEE");
        assert_eq!(&encoded[9..11], b"CA");
        assert_eq!(encoded[33], 0);
        let request = session_request("*SMBSERVER", "TRUSTWATCH");
        assert_eq!(request[0], SESSION_REQUEST);
        assert_eq!(u16::from_be_bytes([request[2], request[3]]), 68);
        assert_eq!(request.len(), 72);
    }

    #[test]
    fn session_responses() {
        assert_eq!(parse_session_response(&[0x82, 0, 0, 0]), Ok(()));
        assert_eq!(
            parse_session_response(&[0x83, 0, 0, 1, 0x82]),
            Err(SmbError::SessionRefused(Some(0x82)))
        );
        assert_eq!(
            parse_session_response(&[0x83, 0, 0, 0]),
            Err(SmbError::SessionRefused(None))
        );
        assert_eq!(
            parse_session_response(&[0x84, 0, 0, 6, 1, 2, 3, 4, 0, 139]),
            Err(SmbError::SessionRetarget)
        );
    }

    #[test]
    fn keep_alives_are_skipped() {
        let bytes = [0x85, 0, 0, 0, 0, 0, 0, 2, 0xfe, b'S'];
        assert!(packet_complete(&bytes));
        assert!(!packet_complete(&bytes[..9]));
        assert!(!packet_complete(&bytes[..4]));
        assert_eq!(first_message(&bytes), Ok(&[0xfe, b'S'][..]));
    }

    #[test]
    fn hostile_lengths_are_truncations_not_panics() {
        // A header claiming 16 MiB with three bytes behind it.
        let bytes = [0, 0xff, 0xff, 0xff, 1, 2, 3];
        assert!(!packet_complete(&bytes));
        assert_eq!(
            first_message(&bytes),
            Err(SmbError::Truncated("NetBIOS packet"))
        );
        for cut in 0..4 {
            assert_eq!(
                first_message(&bytes[..cut]),
                Err(SmbError::Truncated("NetBIOS header"))
            );
        }
        // An HTTP answer is not NetBIOS: complete (stop waiting), refused.
        assert!(packet_complete(b"HTTP/1.1 400"));
        assert_eq!(
            first_message(b"HTTP/1.1 400"),
            Err(SmbError::NotNetbios(b'H'))
        );
    }

    proptest::proptest! {
        #[test]
        fn mutated_packets_never_panic(
            cut in proptest::prelude::any::<usize>(),
            edits in proptest::collection::vec(proptest::prelude::any::<(usize, u8)>(), 0..8),
        ) {
            let bytes = mutate(&[0x85, 0, 0, 0, 0, 0, 0, 4, 0xfe, b'S', b'M', b'B'], cut, &edits);
            let _ = packet_complete(&bytes);
            let _ = first_message(&bytes);
            let _ = parse_session_response(&bytes);
        }
    }
}
