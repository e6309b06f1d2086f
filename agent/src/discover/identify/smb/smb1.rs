//! SMB1 NEGOTIATE (MS-CIFS §2.2.4.52) offering SMB1 dialects only, so the
//! answer says whether the server still speaks SMB1 (SMB-001).

use super::SmbError;

const SMB1_MAGIC: [u8; 4] = [0xff, b'S', b'M', b'B'];
const SMB2_MAGIC: [u8; 4] = [0xfe, b'S', b'M', b'B'];
const COM_NEGOTIATE: u8 = 0x72;
/// The header is 32 bytes; WordCount follows.
const HEADER_LEN: usize = 32;
/// "None of the dialects offered" (MS-CIFS §2.2.4.52.2).
const NO_DIALECT: u16 = 0xffff;
/// NT LM 0.12 SecurityMode: NEGOTIATE_SECURITY_SIGNATURES_REQUIRED.
const SIGNATURES_REQUIRED: u8 = 0x08;

/// The dialects we offer: the NT LM 0.12 dialect under both of its names
/// (older servers know it as `NT LANMAN 1.0`). Nothing SMB2, so a server
/// that only speaks SMB2/3 cannot pick anything.
const DIALECTS: [&str; 2] = ["NT LANMAN 1.0", "NT LM 0.12"];

/// What the server said to an SMB1-only negotiate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Smb1Answer {
    /// It chose one of our dialects; `signing_required` when the NT LM 0.12
    /// response says so (absent in shorter, older responses).
    Accepted {
        dialect_index: u16,
        signing_required: Option<bool>,
    },
    /// An SMB1 answer choosing no dialect (0xFFFF, Samba without SMB1) or an
    /// error status.
    Refused,
    /// An SMB2 answer: the server speaks SMB2 only.
    Smb2,
}

/// The SMB1 NEGOTIATE request (without the NetBIOS header). Flags2 leaves
/// extended security off: with it on the server answers with a GSS blob
/// instead of its domain name, and it changes nothing about the dialect.
pub(super) fn negotiate_request() -> Vec<u8> {
    let mut msg = Vec::with_capacity(HEADER_LEN + 40);
    msg.extend_from_slice(&SMB1_MAGIC);
    msg.push(COM_NEGOTIATE);
    msg.extend_from_slice(&[0; 4]); // Status
    msg.push(0x18); // Flags: case-insensitive, canonicalised paths
                    // Flags2: Unicode, NT status codes, long names.
    msg.extend_from_slice(&0xc001u16.to_le_bytes());
    msg.extend_from_slice(&[0; 2]); // PIDHigh
    msg.extend_from_slice(&[0; 8]); // SecurityFeatures
    msg.extend_from_slice(&[0; 2]); // Reserved
    msg.extend_from_slice(&[0; 2]); // TID
    msg.extend_from_slice(&0xfeffu16.to_le_bytes()); // PIDLow
    msg.extend_from_slice(&[0; 2]); // UID
    msg.extend_from_slice(&[0; 2]); // MID
    let mut dialects = Vec::new();
    for name in DIALECTS {
        dialects.push(0x02); // buffer format: dialect string
        dialects.extend_from_slice(name.as_bytes());
        dialects.push(0);
    }
    msg.push(0); // WordCount
    msg.extend_from_slice(&(dialects.len() as u16).to_le_bytes());
    msg.extend(dialects);
    msg
}

/// Reads the answer to [`negotiate_request`] (an SMB message, without the
/// NetBIOS header).
pub(super) fn parse_negotiate_response(msg: &[u8]) -> Result<Smb1Answer, SmbError> {
    let magic = msg.get(..4).ok_or(SmbError::Truncated("SMB header"))?;
    if magic == SMB2_MAGIC {
        return Ok(Smb1Answer::Smb2);
    }
    if magic != SMB1_MAGIC {
        return Err(SmbError::NotSmb);
    }
    let header = msg
        .get(..HEADER_LEN)
        .ok_or(SmbError::Truncated("SMB1 header"))?;
    if header[4] != COM_NEGOTIATE {
        return Err(SmbError::UnexpectedCommand(u16::from(header[4])));
    }
    let status = u32::from_le_bytes([header[5], header[6], header[7], header[8]]);
    if status != 0 {
        return Ok(Smb1Answer::Refused);
    }
    let word_count = usize::from(
        *msg.get(HEADER_LEN)
            .ok_or(SmbError::Truncated("SMB1 word count"))?,
    );
    let words = msg
        .get(HEADER_LEN + 1..HEADER_LEN + 1 + 2 * word_count)
        .ok_or(SmbError::Truncated("SMB1 parameter words"))?;
    if words.len() < 2 {
        // No dialect index at all: a malformed refusal.
        return Ok(Smb1Answer::Refused);
    }
    let dialect_index = u16::from_le_bytes([words[0], words[1]]);
    if dialect_index == NO_DIALECT {
        return Ok(Smb1Answer::Refused);
    }
    if usize::from(dialect_index) >= DIALECTS.len() {
        return Err(SmbError::BadDialectIndex(dialect_index));
    }
    // NT LM 0.12 responses have 17 words; SecurityMode is the byte after
    // the dialect index.
    let signing_required = (word_count == 17).then(|| words[2] & SIGNATURES_REQUIRED != 0);
    Ok(Smb1Answer::Accepted {
        dialect_index,
        signing_required,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::identify::mutate::mutate;

    /// Samba 4.17 with `server min protocol = NT1`, captured on loopback:
    /// dialect index 0 (`NT LANMAN 1.0`, the first name of NT LM 0.12),
    /// SecurityMode 0x03, domain and server `TWLAB`.
    const SAMBA_NT1: &str = "ff534d4272000000008803c00000000000000000000000000000fffe0000000011000003320001000441000000000100af6f0000fdf38000cea37c8d707add01000008200044c0730c6c337805540057004c00410042000000540057004c00410042000000";
    /// Samba 4.17 with SMB1 off: one word, 0xFFFF.
    const SAMBA_NO_SMB1: &str =
        "ff534d4272000000008803c00000000000000000000000000000fffe0000000001ffff0000";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn the_request_offers_only_smb1_dialects() {
        let req = negotiate_request();
        assert_eq!(&req[..5], &[0xff, b'S', b'M', b'B', 0x72]);
        assert_eq!(req[HEADER_LEN], 0);
        let count = u16::from_le_bytes([req[33], req[34]]) as usize;
        assert_eq!(req.len(), 35 + count);
        assert_eq!(&req[35..], b"\x02NT LANMAN 1.0\0\x02NT LM 0.12\0");
        // Extended security (0x0800) is off.
        assert_eq!(u16::from_le_bytes([req[10], req[11]]) & 0x0800, 0);
    }

    #[test]
    fn samba_with_nt1_accepts() {
        assert_eq!(
            parse_negotiate_response(&hex(SAMBA_NT1)),
            Ok(Smb1Answer::Accepted {
                dialect_index: 0,
                signing_required: Some(false)
            })
        );
        let mut required = hex(SAMBA_NT1);
        required[35] |= SIGNATURES_REQUIRED;
        assert!(matches!(
            parse_negotiate_response(&required),
            Ok(Smb1Answer::Accepted {
                signing_required: Some(true),
                ..
            })
        ));
    }

    #[test]
    fn samba_without_smb1_refuses() {
        assert_eq!(
            parse_negotiate_response(&hex(SAMBA_NO_SMB1)),
            Ok(Smb1Answer::Refused)
        );
    }

    #[test]
    fn errors_and_smb2_answers_are_refusals() {
        let mut error = hex(SAMBA_NO_SMB1);
        // STATUS_NOT_SUPPORTED
        error[5..9].copy_from_slice(&0xc000_00bbu32.to_le_bytes());
        assert_eq!(parse_negotiate_response(&error), Ok(Smb1Answer::Refused));
        assert_eq!(
            parse_negotiate_response(&[0xfe, b'S', b'M', b'B', 64, 0]),
            Ok(Smb1Answer::Smb2)
        );
    }

    #[test]
    fn hostile_answers_are_errors_not_panics() {
        let good = hex(SAMBA_NT1);
        for cut in 0..good.len() {
            // Every prefix parses to something or an error, never a panic;
            // a prefix that still holds the 17 words is a whole answer.
            let _ = parse_negotiate_response(&good[..cut]);
        }
        assert_eq!(
            parse_negotiate_response(&good[..40]),
            Err(SmbError::Truncated("SMB1 parameter words"))
        );
        // A word count of 255 with nothing behind it.
        let mut big = good[..33].to_vec();
        big[32] = 255;
        assert_eq!(
            parse_negotiate_response(&big),
            Err(SmbError::Truncated("SMB1 parameter words"))
        );
        // A dialect index we never offered.
        let mut odd = hex(SAMBA_NO_SMB1);
        odd[33] = 7;
        odd[34] = 0;
        assert_eq!(
            parse_negotiate_response(&odd),
            Err(SmbError::BadDialectIndex(7))
        );
        assert_eq!(parse_negotiate_response(b"HTTP"), Err(SmbError::NotSmb));
    }

    proptest::proptest! {
        #[test]
        fn mutated_answers_never_panic(
            cut in proptest::prelude::any::<usize>(),
            edits in proptest::collection::vec(proptest::prelude::any::<(usize, u8)>(), 0..8),
        ) {
            let bytes = mutate(&hex(SAMBA_NT1), cut, &edits);
            let _ = parse_negotiate_response(&bytes);
        }
    }
}
