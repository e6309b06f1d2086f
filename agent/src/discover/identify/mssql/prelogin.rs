//! The TDS PRELOGIN exchange (MS-TDS §2.2.6.5): the client's packet, sent
//! before any login, and the server's answer, whose VERSION option is the
//! server's build and whose ENCRYPTION option says whether it insists on
//! TLS.

use thiserror::Error;

/// TDS packet types (§2.2.3.1.1).
const PRELOGIN: u8 = 0x12;
const TABULAR_RESULT: u8 = 0x04;
/// Status: end of message.
const EOM: u8 = 0x01;
const HEADER_LEN: usize = 8;

/// PRELOGIN option tokens.
const VERSION: u8 = 0x00;
const ENCRYPTION: u8 = 0x01;
const INSTOPT: u8 = 0x02;
const THREADID: u8 = 0x03;
const MARS: u8 = 0x04;
const TERMINATOR: u8 = 0xff;

/// ENCRYPTION values.
const ENCRYPT_OFF: u8 = 0x00;

/// Why an answer could not be read as a PRELOGIN response.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(super) enum TdsError {
    #[error("truncated {0}")]
    Truncated(&'static str),
    #[error("not a TDS response (packet type 0x{0:02x})")]
    NotTds(u8),
    #[error("TDS packet length {0} is too short")]
    BadLength(usize),
    #[error("PRELOGIN option 0x{0:02x} points outside the packet")]
    OptionOutside(u8),
    #[error("PRELOGIN option table has no terminator")]
    NoTerminator,
}

/// The server's build, e.g. 15.0.2000.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ServerVersion {
    pub major: u8,
    pub minor: u8,
    pub build: u16,
    pub sub_build: u16,
}

/// What a PRELOGIN response says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Prelogin {
    pub version: Option<ServerVersion>,
    pub encryption: Option<u8>,
}

/// The client PRELOGIN packet, as in the spec's example (§4.1): version 0,
/// encryption available but off (so a server that requires TLS says so),
/// the default instance, no thread id, no MARS.
pub(super) fn request() -> Vec<u8> {
    let options: [(u8, Vec<u8>); 5] = [
        (VERSION, vec![0; 6]),
        (ENCRYPTION, vec![ENCRYPT_OFF]),
        (INSTOPT, vec![0]),
        (THREADID, vec![0; 4]),
        (MARS, vec![0]),
    ];
    let table_len = options.len() * 5 + 1;
    let mut table = Vec::with_capacity(table_len);
    let mut data = Vec::new();
    for (token, value) in &options {
        table.push(*token);
        table.extend_from_slice(&((table_len + data.len()) as u16).to_be_bytes());
        table.extend_from_slice(&(value.len() as u16).to_be_bytes());
        data.extend_from_slice(value);
    }
    table.push(TERMINATOR);
    let total = HEADER_LEN + table.len() + data.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&[PRELOGIN, EOM]);
    out.extend_from_slice(&(total as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0, 1, 0]); // SPID, PacketID 1, Window
    out.extend(table);
    out.extend(data);
    out
}

/// True once `bytes` hold the whole packet its header announces (or cannot
/// be a TDS response, so parsing can say so).
pub(super) fn packet_complete(bytes: &[u8]) -> bool {
    match bytes.get(..4) {
        Some([TABULAR_RESULT, _, hi, lo]) => {
            bytes.len() >= usize::from(u16::from_be_bytes([*hi, *lo]))
        }
        Some(_) => true,
        None => bytes.first().is_some_and(|b| *b != TABULAR_RESULT),
    }
}

/// Reads a PRELOGIN response.
pub(super) fn parse_response(bytes: &[u8]) -> Result<Prelogin, TdsError> {
    let header = bytes
        .get(..HEADER_LEN)
        .ok_or(TdsError::Truncated("TDS header"))?;
    if header[0] != TABULAR_RESULT {
        return Err(TdsError::NotTds(header[0]));
    }
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if len <= HEADER_LEN {
        return Err(TdsError::BadLength(len));
    }
    let payload = bytes
        .get(HEADER_LEN..len)
        .ok_or(TdsError::Truncated("TDS packet"))?;
    let mut result = Prelogin::default();
    let mut at = 0;
    loop {
        let token = *payload.get(at).ok_or(TdsError::NoTerminator)?;
        if token == TERMINATOR {
            return Ok(result);
        }
        let entry = payload
            .get(at + 1..at + 5)
            .ok_or(TdsError::Truncated("PRELOGIN option table"))?;
        let offset = usize::from(u16::from_be_bytes([entry[0], entry[1]]));
        let length = usize::from(u16::from_be_bytes([entry[2], entry[3]]));
        let value = payload
            .get(offset..offset + length)
            .ok_or(TdsError::OptionOutside(token))?;
        match token {
            VERSION if value.len() >= 6 => {
                result.version = Some(ServerVersion {
                    major: value[0],
                    minor: value[1],
                    build: u16::from_be_bytes([value[2], value[3]]),
                    sub_build: u16::from_be_bytes([value[4], value[5]]),
                });
            }
            ENCRYPTION if !value.is_empty() => result.encryption = Some(value[0]),
            _ => {}
        }
        at += 5;
    }
}

impl ServerVersion {
    /// `major.minor.build`, as SQL Server names its builds (`15.0.2000`).
    pub fn text(self) -> String {
        format!("{}.{}.{}", self.major, self.minor, self.build)
    }

    /// The release a major (and minor) version belongs to.
    pub fn release(self) -> Option<&'static str> {
        Some(match (self.major, self.minor) {
            (8, _) => "SQL Server 2000",
            (9, _) => "SQL Server 2005",
            (10, 50) => "SQL Server 2008 R2",
            (10, _) => "SQL Server 2008",
            (11, _) => "SQL Server 2012",
            (12, _) => "SQL Server 2014",
            (13, _) => "SQL Server 2016",
            (14, _) => "SQL Server 2017",
            (15, _) => "SQL Server 2019",
            (16, _) => "SQL Server 2022",
            (17, _) => "SQL Server 2025",
            _ => return None,
        })
    }
}

/// The ENCRYPTION value in words, from the server's side.
pub(super) fn encryption_words(value: u8) -> String {
    match value {
        0x00 => "encryption for the login packet only".into(),
        0x01 => "encryption on".into(),
        0x02 => "encryption not supported".into(),
        0x03 => "encryption required".into(),
        other => format!("encryption 0x{other:02x}"),
    }
}

#[cfg(test)]
mod tests {
    //! No Debian package provides an SQL Server, so there is no real server
    //! to test against: these fixtures are written byte by byte from MS-TDS
    //! §2.2.6.5 (PRELOGIN) and §4.1/§4.2 (the spec's request and response
    //! examples), with the VERSION of SQL Server 2019 RTM (15.0.2000.5).

    use super::*;
    use crate::discover::identify::mutate::mutate;

    /// MS-TDS §4.1's PRELOGIN request, with version 0 and no thread id.
    const SPEC_REQUEST: [u8; 47] = [
        0x12, 0x01, 0x00, 0x2f, 0x00, 0x00, 0x01, 0x00, // header
        0x00, 0x00, 0x1a, 0x00, 0x06, // VERSION at 26, 6 bytes
        0x01, 0x00, 0x20, 0x00, 0x01, // ENCRYPTION at 32, 1 byte
        0x02, 0x00, 0x21, 0x00, 0x01, // INSTOPT at 33, 1 byte
        0x03, 0x00, 0x22, 0x00, 0x04, // THREADID at 34, 4 bytes
        0x04, 0x00, 0x26, 0x00, 0x01, // MARS at 38, 1 byte
        0xff, // terminator
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // version
        0x00, // ENCRYPT_OFF
        0x00, // instance: default
        0x00, 0x00, 0x00, 0x00, // thread id
        0x00, // MARS off
    ];

    /// A response in the layout of §4.2: VERSION 15.0.2000.5, ENCRYPTION
    /// required, INSTOPT 0, THREADID empty, MARS off.
    const RESPONSE_2019: [u8; 43] = [
        0x04, 0x01, 0x00, 0x2b, 0x00, 0x00, 0x01, 0x00, // header, 43 bytes
        0x00, 0x00, 0x1a, 0x00, 0x06, // VERSION at 26
        0x01, 0x00, 0x20, 0x00, 0x01, // ENCRYPTION at 32
        0x02, 0x00, 0x21, 0x00, 0x01, // INSTOPT at 33
        0x03, 0x00, 0x22, 0x00, 0x00, // THREADID at 34, empty
        0x04, 0x00, 0x22, 0x00, 0x01, // MARS at 34
        0xff, // terminator
        0x0f, 0x00, 0x07, 0xd0, 0x00, 0x05, // 15.0.2000.5
        0x03, // ENCRYPT_REQ
        0x00, // INSTOPT
        0x00, // MARS
    ];

    #[test]
    fn the_request_is_the_spec_example() {
        assert_eq!(request(), SPEC_REQUEST);
    }

    #[test]
    fn the_response_gives_version_and_encryption() {
        assert!(packet_complete(&RESPONSE_2019));
        assert!(!packet_complete(&RESPONSE_2019[..42]));
        let p = parse_response(&RESPONSE_2019).unwrap();
        let v = p.version.unwrap();
        assert_eq!(v.text(), "15.0.2000");
        assert_eq!(v.sub_build, 5);
        assert_eq!(v.release(), Some("SQL Server 2019"));
        assert_eq!(p.encryption, Some(3));
        assert_eq!(encryption_words(3), "encryption required");
    }

    #[test]
    fn hostile_responses_are_errors_not_panics() {
        for cut in 0..RESPONSE_2019.len() {
            assert!(parse_response(&RESPONSE_2019[..cut]).is_err(), "{cut}");
        }
        // A length of 65535 with 43 bytes behind it.
        let mut long = RESPONSE_2019;
        long[2] = 0xff;
        long[3] = 0xff;
        assert!(!packet_complete(&long));
        assert_eq!(
            parse_response(&long),
            Err(TdsError::Truncated("TDS packet"))
        );
        // An option pointing past the end.
        let mut outside = RESPONSE_2019;
        outside[10] = 0xf0;
        assert_eq!(
            parse_response(&outside),
            Err(TdsError::OptionOutside(VERSION))
        );
        // An offset + length that would overflow a u16 sum is just outside.
        let mut wide = RESPONSE_2019;
        wide[9..13].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(parse_response(&wide), Err(TdsError::OptionOutside(VERSION)));
        // No terminator: the table runs into the data and then out.
        let mut endless = RESPONSE_2019;
        endless[33] = 0x05;
        assert!(parse_response(&endless).is_err());
        // Too short a length, and something that is not TDS at all.
        let mut short = RESPONSE_2019;
        short[3] = 8;
        assert_eq!(parse_response(&short), Err(TdsError::BadLength(8)));
        assert!(packet_complete(b"HTTP/1.1 400"));
        assert_eq!(parse_response(b"HTTP/1.1 400"), Err(TdsError::NotTds(b'H')));
    }

    proptest::proptest! {
        #[test]
        fn mutated_responses_never_panic(
            cut in proptest::prelude::any::<usize>(),
            edits in proptest::collection::vec(proptest::prelude::any::<(usize, u8)>(), 0..8),
        ) {
            let bytes = mutate(&RESPONSE_2019, cut, &edits);
            let _ = packet_complete(&bytes);
            let _ = parse_response(&bytes);
        }
    }
}
