//! The TLS record layer (SSL 3.0 to TLS 1.3 plaintext records). SSL 2.0's
//! record header lives in `ssl2.rs`.

use crate::error::{first_bytes, WireError};

/// The longest record any version allows (2^14 plus expansion).
pub const MAX_RECORD_LEN: usize = 16384 + 2048;

/// The longest fragment we write.
const MAX_FRAGMENT: usize = 16384;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    ChangeCipherSpec,
    Alert,
    Handshake,
    ApplicationData,
    Heartbeat,
}

impl ContentType {
    pub fn from_u8(b: u8) -> Option<ContentType> {
        Some(match b {
            20 => ContentType::ChangeCipherSpec,
            21 => ContentType::Alert,
            22 => ContentType::Handshake,
            23 => ContentType::ApplicationData,
            24 => ContentType::Heartbeat,
            _ => return None,
        })
    }

    pub fn to_u8(self) -> u8 {
        match self {
            ContentType::ChangeCipherSpec => 20,
            ContentType::Alert => 21,
            ContentType::Handshake => 22,
            ContentType::ApplicationData => 23,
            ContentType::Heartbeat => 24,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    pub content_type: ContentType,
    pub version: u16,
    pub len: usize,
}

impl RecordHeader {
    pub const LEN: usize = 5;

    /// Parses a record header from the start of `bytes`: `Ok(None)` until
    /// five bytes are there; an error as soon as they cannot start a TLS
    /// record (so garbage is recognised after five bytes, not after a
    /// timeout).
    pub fn parse(bytes: &[u8]) -> Result<Option<RecordHeader>, WireError> {
        let not_tls = || WireError::NotTls {
            first_bytes: first_bytes(bytes),
        };
        // Judge each byte as soon as it arrives.
        if let Some(&b) = bytes.first() {
            if ContentType::from_u8(b).is_none() {
                return Err(not_tls());
            }
        }
        if let Some(&major) = bytes.get(1) {
            if major != 3 {
                return Err(not_tls());
            }
        }
        if let Some(&minor) = bytes.get(2) {
            if minor > 4 {
                return Err(not_tls());
            }
        }
        if bytes.len() < Self::LEN {
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        if len > MAX_RECORD_LEN {
            return Err(WireError::RecordTooLong {
                len,
                max: MAX_RECORD_LEN,
            });
        }
        Ok(Some(RecordHeader {
            content_type: ContentType::from_u8(bytes[0]).ok_or_else(not_tls)?,
            version: u16::from_be_bytes([bytes[1], bytes[2]]),
            len,
        }))
    }
}

/// One complete record borrowed from a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    pub header: RecordHeader,
    pub payload: &'a [u8],
}

impl<'a> Record<'a> {
    /// The first complete record of `bytes` and how many bytes it took, or
    /// `Ok(None)` when more bytes are needed.
    pub fn parse(bytes: &'a [u8]) -> Result<Option<(Record<'a>, usize)>, WireError> {
        let Some(header) = RecordHeader::parse(bytes)? else {
            return Ok(None);
        };
        let end = RecordHeader::LEN + header.len;
        if bytes.len() < end {
            return Ok(None);
        }
        let record = Record {
            header,
            payload: &bytes[RecordHeader::LEN..end],
        };
        Ok(Some((record, end)))
    }
}

/// Wraps `payload` into as many records as it needs.
pub(crate) fn encode_records(content_type: ContentType, version: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + RecordHeader::LEN);
    let chunks: Vec<&[u8]> = if payload.is_empty() {
        vec![&[]]
    } else {
        payload.chunks(MAX_FRAGMENT).collect()
    };
    for chunk in chunks {
        out.push(content_type.to_u8());
        out.extend_from_slice(&version.to_be_bytes());
        // A chunk is at most MAX_FRAGMENT (< 2^16) bytes.
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused_from_its_first_bytes() {
        assert!(matches!(
            RecordHeader::parse(b"H"),
            Err(WireError::NotTls { .. })
        ));
        assert!(matches!(
            RecordHeader::parse(&[22, 2]),
            Err(WireError::NotTls { .. })
        ));
        assert_eq!(RecordHeader::parse(&[22, 3, 1]), Ok(None));
        assert!(matches!(
            RecordHeader::parse(&[22, 3, 3, 0xff, 0xff]),
            Err(WireError::RecordTooLong { .. })
        ));
    }

    #[test]
    fn records_split_and_parse_back() {
        let payload = vec![7u8; 20000];
        let bytes = encode_records(ContentType::Handshake, 0x0301, &payload);
        let (first, used) = Record::parse(&bytes).unwrap().unwrap();
        assert_eq!(first.payload.len(), MAX_FRAGMENT);
        assert_eq!(first.header.version, 0x0301);
        let (second, used2) = Record::parse(&bytes[used..]).unwrap().unwrap();
        assert_eq!(second.payload.len(), 20000 - MAX_FRAGMENT);
        assert_eq!(used + used2, bytes.len());
        assert_eq!(Record::parse(&bytes[..used - 1]).unwrap(), None);
    }
}
