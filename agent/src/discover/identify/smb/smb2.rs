//! SMB2 NEGOTIATE (MS-SMB2 §2.2.3, §2.2.4): every dialect from 2.0.2 to
//! 3.1.1, with the negotiate contexts 3.1.1 requires, so the answer names
//! the best dialect the server speaks and whether it requires signing
//! (SMB-002).

use super::SmbError;

const SMB2_MAGIC: [u8; 4] = [0xfe, b'S', b'M', b'B'];
const HEADER_LEN: usize = 64;
const NEGOTIATE: u16 = 0x0000;
/// SecurityMode bits (§2.2.3, §2.2.4).
const SIGNING_ENABLED: u16 = 0x0001;
const SIGNING_REQUIRED: u16 = 0x0002;

/// Offered in this order; the server picks the highest it supports.
const DIALECTS: [u16; 5] = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311];

/// A fixed client GUID: no session is ever set up, so nothing on the server
/// ties state to it, and a constant keeps the request reproducible.
const CLIENT_GUID: [u8; 16] = *b"trustwatch-scan\0";

/// SMB2_PREAUTH_INTEGRITY_CAPABILITIES and SMB2_ENCRYPTION_CAPABILITIES.
const PREAUTH_INTEGRITY: u16 = 0x0001;
const ENCRYPTION: u16 = 0x0002;
const SHA_512: u16 = 0x0001;
/// AES-128-CCM, AES-128-GCM, AES-256-CCM, AES-256-GCM.
const CIPHERS: [u16; 4] = [0x0001, 0x0002, 0x0003, 0x0004];

/// What the negotiate response says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Negotiated {
    pub dialect: u16,
    pub signing_required: bool,
}

/// The SMB2 NEGOTIATE request (without the NetBIOS header).
pub(super) fn negotiate_request() -> Vec<u8> {
    let mut msg = Vec::with_capacity(256);
    // Header (§2.2.1.2, sync).
    msg.extend_from_slice(&SMB2_MAGIC);
    msg.extend_from_slice(&(HEADER_LEN as u16).to_le_bytes()); // StructureSize
    msg.extend_from_slice(&0u16.to_le_bytes()); // CreditCharge
    msg.extend_from_slice(&0u32.to_le_bytes()); // Status
    msg.extend_from_slice(&NEGOTIATE.to_le_bytes()); // Command
    msg.extend_from_slice(&1u16.to_le_bytes()); // CreditRequest
    msg.extend_from_slice(&0u32.to_le_bytes()); // Flags
    msg.extend_from_slice(&0u32.to_le_bytes()); // NextCommand
    msg.extend_from_slice(&0u64.to_le_bytes()); // MessageId
    msg.extend_from_slice(&0u32.to_le_bytes()); // Reserved (ProcessId)
    msg.extend_from_slice(&0u32.to_le_bytes()); // TreeId
    msg.extend_from_slice(&0u64.to_le_bytes()); // SessionId
    msg.extend_from_slice(&[0; 16]); // Signature
                                     // NEGOTIATE body (§2.2.3).
    msg.extend_from_slice(&36u16.to_le_bytes()); // StructureSize
    msg.extend_from_slice(&(DIALECTS.len() as u16).to_le_bytes());
    msg.extend_from_slice(&SIGNING_ENABLED.to_le_bytes()); // SecurityMode
    msg.extend_from_slice(&0u16.to_le_bytes()); // Reserved
                                                // Capabilities: DFS, leasing, large MTU, encryption.
    msg.extend_from_slice(&0x0000_0047u32.to_le_bytes());
    msg.extend_from_slice(&CLIENT_GUID);
    let offset_at = msg.len();
    msg.extend_from_slice(&0u32.to_le_bytes()); // NegotiateContextOffset, below
    msg.extend_from_slice(&2u16.to_le_bytes()); // NegotiateContextCount
    msg.extend_from_slice(&0u16.to_le_bytes()); // Reserved2
    for d in DIALECTS {
        msg.extend_from_slice(&d.to_le_bytes());
    }
    // Contexts start 8-byte aligned, offsets counted from the header.
    pad8(&mut msg);
    let contexts_at = msg.len() as u32;
    msg[offset_at..offset_at + 4].copy_from_slice(&contexts_at.to_le_bytes());

    // The salt only feeds the pre-authentication hash of a session we never
    // set up; any 32 bytes will do.
    let mut preauth = Vec::new();
    preauth.extend_from_slice(&1u16.to_le_bytes()); // HashAlgorithmCount
    preauth.extend_from_slice(&32u16.to_le_bytes()); // SaltLength
    preauth.extend_from_slice(&SHA_512.to_le_bytes());
    preauth.extend_from_slice(&[0x5a; 32]);
    push_context(&mut msg, PREAUTH_INTEGRITY, &preauth);
    pad8(&mut msg);
    let mut encryption = Vec::new();
    encryption.extend_from_slice(&(CIPHERS.len() as u16).to_le_bytes());
    for c in CIPHERS {
        encryption.extend_from_slice(&c.to_le_bytes());
    }
    push_context(&mut msg, ENCRYPTION, &encryption);
    msg
}

fn push_context(msg: &mut Vec<u8>, kind: u16, data: &[u8]) {
    msg.extend_from_slice(&kind.to_le_bytes());
    msg.extend_from_slice(&(data.len() as u16).to_le_bytes());
    msg.extend_from_slice(&0u32.to_le_bytes()); // Reserved
    msg.extend_from_slice(data);
}

fn pad8(msg: &mut Vec<u8>) {
    while msg.len() % 8 != 0 {
        msg.push(0);
    }
}

/// Reads the answer to [`negotiate_request`] (an SMB message, without the
/// NetBIOS header). An error status is [`SmbError::Status`]: still an SMB2
/// server, one that refused to negotiate.
pub(super) fn parse_negotiate_response(msg: &[u8]) -> Result<Negotiated, SmbError> {
    let magic = msg.get(..4).ok_or(SmbError::Truncated("SMB header"))?;
    if magic == [0xff, b'S', b'M', b'B'] {
        return Err(SmbError::Smb1Answer);
    }
    if magic != SMB2_MAGIC {
        return Err(SmbError::NotSmb);
    }
    let header = msg
        .get(..HEADER_LEN)
        .ok_or(SmbError::Truncated("SMB2 header"))?;
    let status = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
    let command = u16::from_le_bytes([header[12], header[13]]);
    if command != NEGOTIATE {
        return Err(SmbError::UnexpectedCommand(command));
    }
    if status != 0 {
        return Err(SmbError::Status(status));
    }
    // StructureSize (65), SecurityMode, DialectRevision: all we read of the
    // 64-byte fixed body.
    let body = msg
        .get(HEADER_LEN..HEADER_LEN + 6)
        .ok_or(SmbError::Truncated("SMB2 negotiate response"))?;
    if u16::from_le_bytes([body[0], body[1]]) != 65 {
        return Err(SmbError::Truncated("SMB2 negotiate response"));
    }
    let security_mode = u16::from_le_bytes([body[2], body[3]]);
    let dialect = u16::from_le_bytes([body[4], body[5]]);
    Ok(Negotiated {
        dialect,
        signing_required: security_mode & SIGNING_REQUIRED != 0,
    })
}

/// The dialect as people write it: `2.0.2`, `2.1`, `3.0`, `3.0.2`, `3.1.1`.
pub(super) fn dialect_name(dialect: u16) -> String {
    match dialect {
        0x0202 => "2.0.2".into(),
        0x0210 => "2.1".into(),
        0x0300 => "3.0".into(),
        0x0302 => "3.0.2".into(),
        0x0311 => "3.1.1".into(),
        // The wildcard a server answers to a multi-protocol SMB1 negotiate.
        0x02ff => "2.???".into(),
        other => format!("0x{other:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::identify::mutate::mutate;

    /// A negotiate response built from MS-SMB2 §2.2.4: dialect 3.1.1,
    /// SecurityMode signing enabled + required, no security buffer.
    fn response(dialect: u16, security_mode: u16, status: u32) -> Vec<u8> {
        let mut msg = Vec::new();
        msg.extend_from_slice(&SMB2_MAGIC);
        msg.extend_from_slice(&64u16.to_le_bytes());
        msg.extend_from_slice(&1u16.to_le_bytes());
        msg.extend_from_slice(&status.to_le_bytes());
        msg.extend_from_slice(&NEGOTIATE.to_le_bytes());
        msg.extend_from_slice(&1u16.to_le_bytes());
        msg.extend_from_slice(&1u32.to_le_bytes()); // Flags: response
        msg.resize(HEADER_LEN, 0);
        msg.extend_from_slice(&65u16.to_le_bytes());
        msg.extend_from_slice(&security_mode.to_le_bytes());
        msg.extend_from_slice(&dialect.to_le_bytes());
        msg.resize(HEADER_LEN + 64, 0);
        msg
    }

    #[test]
    fn the_request_is_well_formed() {
        let req = negotiate_request();
        assert_eq!(&req[..4], &SMB2_MAGIC);
        assert_eq!(u16::from_le_bytes([req[64], req[65]]), 36);
        assert_eq!(u16::from_le_bytes([req[66], req[67]]), 5);
        // Dialects right after the 36-byte fixed body.
        let dialects: Vec<u16> = (0..5)
            .map(|i| u16::from_le_bytes([req[100 + 2 * i], req[101 + 2 * i]]))
            .collect();
        assert_eq!(dialects, DIALECTS);
        let offset = u32::from_le_bytes([req[92], req[93], req[94], req[95]]) as usize;
        assert_eq!(offset, 112);
        assert_eq!(u16::from_le_bytes([req[96], req[97]]), 2);
        // First context: preauth integrity, 38 bytes of data, SHA-512.
        assert_eq!(&req[offset..offset + 4], &[1, 0, 38, 0]);
        assert_eq!(&req[offset + 12..offset + 14], &[1, 0]);
        // Second context 8-byte aligned after the first: 112 + 46 -> 160.
        assert_eq!(&req[160..164], &[2, 0, 10, 0]);
        assert_eq!(req.len(), 160 + 8 + 10);
    }

    #[test]
    fn dialect_and_signing_are_read() {
        assert_eq!(
            parse_negotiate_response(&response(0x0311, 0x0003, 0)),
            Ok(Negotiated {
                dialect: 0x0311,
                signing_required: true
            })
        );
        assert_eq!(
            parse_negotiate_response(&response(0x0210, 0x0001, 0)),
            Ok(Negotiated {
                dialect: 0x0210,
                signing_required: false
            })
        );
        assert_eq!(dialect_name(0x0311), "3.1.1");
        assert_eq!(dialect_name(0x0210), "2.1");
        assert_eq!(dialect_name(0x0999), "0x0999");
    }

    #[test]
    fn refusals_and_strangers() {
        // STATUS_NOT_SUPPORTED in an SMB2 error response.
        let mut error = response(0, 0, 0xc000_00bb);
        error.truncate(HEADER_LEN + 9);
        assert_eq!(
            parse_negotiate_response(&error),
            Err(SmbError::Status(0xc000_00bb))
        );
        assert_eq!(
            parse_negotiate_response(&[0xff, b'S', b'M', b'B', 0x72]),
            Err(SmbError::Smb1Answer)
        );
        assert_eq!(
            parse_negotiate_response(b"SSH-2.0-x"),
            Err(SmbError::NotSmb)
        );
    }

    #[test]
    fn hostile_answers_are_errors_not_panics() {
        let good = response(0x0311, 1, 0);
        for cut in 0..HEADER_LEN + 6 {
            assert!(parse_negotiate_response(&good[..cut]).is_err(), "{cut}");
        }
        let mut wrong_size = good.clone();
        wrong_size[HEADER_LEN] = 9;
        assert!(parse_negotiate_response(&wrong_size).is_err());
        let mut wrong_command = good;
        wrong_command[12] = 1;
        assert_eq!(
            parse_negotiate_response(&wrong_command),
            Err(SmbError::UnexpectedCommand(1))
        );
    }

    proptest::proptest! {
        #[test]
        fn mutated_answers_never_panic(
            cut in proptest::prelude::any::<usize>(),
            edits in proptest::collection::vec(proptest::prelude::any::<(usize, u8)>(), 0..8),
        ) {
            let bytes = mutate(&response(0x0311, 3, 0), cut, &edits);
            let _ = parse_negotiate_response(&bytes);
        }
    }
}
