//! Just enough BSON (bsonspec.org, 1.1): one tiny command document out,
//! and the top-level fields of a reply in, every length checked against
//! the bytes that are really there. Nested documents are skipped by their
//! length, never descended into, so a hostile reply cannot make us recurse.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(super) enum BsonError {
    #[error("truncated {0}")]
    Truncated(&'static str),
    #[error("BSON length {0} is impossible")]
    BadLength(i64),
    #[error("BSON document does not end with a NUL byte")]
    NoTerminator,
    #[error("unknown BSON element type 0x{0:02x}")]
    UnknownType(u8),
}

/// A top-level value, as far as we read values.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value<'a> {
    Double(f64),
    String(&'a [u8]),
    Bool(bool),
    Int32(i32),
    Int64(i64),
    /// Anything else (documents, arrays, binary, ...), skipped.
    Other(u8),
}

impl Value<'_> {
    /// The value as a number, for `ok` and version fields.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Double(d) => Some(d),
            Value::Int32(i) => Some(f64::from(i)),
            Value::Int64(i) => Some(i as f64),
            Value::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(String::from_utf8_lossy(s).into_owned()),
            _ => None,
        }
    }
}

/// `{<command>: 1, $db: <db>}`.
pub(super) fn command(name: &str, db: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.push(0x10); // int32
    body.extend_from_slice(name.as_bytes());
    body.push(0);
    body.extend_from_slice(&1i32.to_le_bytes());
    body.push(0x02); // string
    body.extend_from_slice(b"$db\0");
    body.extend_from_slice(&((db.len() + 1) as i32).to_le_bytes());
    body.extend_from_slice(db.as_bytes());
    body.push(0);
    let mut doc = Vec::with_capacity(body.len() + 5);
    doc.extend_from_slice(&((body.len() + 5) as i32).to_le_bytes());
    doc.extend(body);
    doc.push(0);
    doc
}

/// The length a document (or any length-prefixed value) announces.
pub(super) fn declared_len(bytes: &[u8], min: usize) -> Result<usize, BsonError> {
    let raw = bytes.get(..4).ok_or(BsonError::Truncated("BSON length"))?;
    let len = i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
    usize::try_from(len)
        .ok()
        .filter(|l| *l >= min)
        .ok_or(BsonError::BadLength(i64::from(len)))
}

/// The top-level fields of the document at the start of `bytes`, in order.
pub(super) fn fields(bytes: &[u8]) -> Result<Vec<(&[u8], Value<'_>)>, BsonError> {
    let len = declared_len(bytes, 5)?;
    let doc = bytes
        .get(..len)
        .ok_or(BsonError::Truncated("BSON document"))?;
    if doc[len - 1] != 0 {
        return Err(BsonError::NoTerminator);
    }
    let mut rest = &doc[4..len - 1];
    let mut out = Vec::new();
    while let Some((&kind, after)) = rest.split_first() {
        let key_end = after
            .iter()
            .position(|b| *b == 0)
            .ok_or(BsonError::Truncated("BSON key"))?;
        let key = &after[..key_end];
        let value_bytes = &after[key_end + 1..];
        let (value, size) = value(kind, value_bytes)?;
        out.push((key, value));
        rest = value_bytes
            .get(size..)
            .ok_or(BsonError::Truncated("BSON value"))?;
    }
    Ok(out)
}

/// One value of type `kind` at the start of `bytes`, and its size.
fn value(kind: u8, bytes: &[u8]) -> Result<(Value<'_>, usize), BsonError> {
    let fixed = |n: usize| bytes.get(..n).ok_or(BsonError::Truncated("BSON value"));
    Ok(match kind {
        0x01 => {
            let b = fixed(8)?;
            let mut raw = [0; 8];
            raw.copy_from_slice(b);
            (Value::Double(f64::from_le_bytes(raw)), 8)
        }
        // string, JavaScript code, symbol: length (with its NUL), bytes.
        0x02 | 0x0d | 0x0e => {
            let len = declared_len(bytes, 1)?;
            let s = bytes
                .get(4..4 + len)
                .ok_or(BsonError::Truncated("BSON string"))?;
            let text = &s[..len - 1];
            let v = if kind == 0x02 {
                Value::String(text)
            } else {
                Value::Other(kind)
            };
            (v, 4 + len)
        }
        // document, array, code with scope: the length counts itself.
        0x03 | 0x04 | 0x0f => {
            let len = declared_len(bytes, 5)?;
            fixed(len)?;
            (Value::Other(kind), len)
        }
        // binary: length, subtype, bytes.
        0x05 => {
            let len = declared_len(bytes, 0)?;
            fixed(5 + len)?;
            (Value::Other(kind), 5 + len)
        }
        0x06 | 0x0a | 0x7f | 0xff => (Value::Other(kind), 0),
        0x07 => {
            fixed(12)?;
            (Value::Other(kind), 12)
        }
        0x08 => (Value::Bool(fixed(1)?[0] != 0), 1),
        0x09 | 0x11 => {
            fixed(8)?;
            (Value::Other(kind), 8)
        }
        // regex: two C strings.
        0x0b => {
            let first = cstring_len(bytes)?;
            let second = cstring_len(&bytes[first..])?;
            (Value::Other(kind), first + second)
        }
        // DBPointer: a string and a 12-byte id.
        0x0c => {
            let len = declared_len(bytes, 1)?;
            fixed(4 + len + 12)?;
            (Value::Other(kind), 4 + len + 12)
        }
        0x10 => {
            let b = fixed(4)?;
            (
                Value::Int32(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                4,
            )
        }
        0x12 => {
            let b = fixed(8)?;
            let mut raw = [0; 8];
            raw.copy_from_slice(b);
            (Value::Int64(i64::from_le_bytes(raw)), 8)
        }
        0x13 => {
            fixed(16)?;
            (Value::Other(kind), 16)
        }
        other => return Err(BsonError::UnknownType(other)),
    })
}

/// The size of the C string at the start of `bytes`, NUL included.
fn cstring_len(bytes: &[u8]) -> Result<usize, BsonError> {
    bytes
        .iter()
        .position(|b| *b == 0)
        .map(|p| p + 1)
        .ok_or(BsonError::Truncated("BSON C string"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::identify::mutate::mutate;

    #[test]
    fn the_command_is_the_spec_encoding() {
        // {buildInfo: 1, $db: "admin"}, encoded by hand from bsonspec.org.
        let expected: &[u8] = b"\x23\x00\x00\x00\
            \x10buildInfo\x00\x01\x00\x00\x00\
            \x02$db\x00\x06\x00\x00\x00admin\x00\
            \x00";
        assert_eq!(command("buildInfo", "admin"), expected);
        let f = fields(expected).unwrap();
        assert_eq!(f[0], (&b"buildInfo"[..], Value::Int32(1)));
        assert_eq!(f[1].1.as_str().as_deref(), Some("admin"));
    }

    #[test]
    fn every_type_is_skipped_by_its_size() {
        let mut body = Vec::new();
        body.extend_from_slice(b"\x01d\x00");
        body.extend_from_slice(&1.5f64.to_le_bytes());
        body.extend_from_slice(b"\x03sub\x00\x05\x00\x00\x00\x00");
        body.extend_from_slice(b"\x04arr\x00\x05\x00\x00\x00\x00");
        body.extend_from_slice(b"\x05bin\x00\x02\x00\x00\x00\x00ab");
        body.extend_from_slice(b"\x07oid\x00123456789012");
        body.extend_from_slice(b"\x08t\x00\x01");
        body.extend_from_slice(b"\x09when\x0012345678");
        body.extend_from_slice(b"\x0anull\x00");
        body.extend_from_slice(b"\x0bre\x00a.*\x00i\x00");
        body.extend_from_slice(b"\x11ts\x0012345678");
        body.extend_from_slice(b"\x12big\x00\x07\x00\x00\x00\x00\x00\x00\x00");
        body.extend_from_slice(b"\x13dec\x000123456789abcdef");
        body.extend_from_slice(b"\x7fmax\x00\xffmin\x00");
        body.extend_from_slice(b"\x02version\x00\x06\x00\x00\x007.0.5\x00");
        let mut doc = ((body.len() + 5) as i32).to_le_bytes().to_vec();
        doc.extend(body);
        doc.push(0);
        let f = fields(&doc).unwrap();
        assert_eq!(f.len(), 15);
        assert_eq!(f[0].1.as_f64(), Some(1.5));
        assert_eq!(f[5].1, Value::Bool(true));
        assert_eq!(f[10].1, Value::Int64(7));
        assert_eq!(f[14].0, b"version");
        assert_eq!(f[14].1.as_str().as_deref(), Some("7.0.5"));
    }

    #[test]
    fn hostile_documents_are_errors_not_panics() {
        let good = command("buildInfo", "admin");
        for cut in 0..good.len() {
            assert!(fields(&good[..cut]).is_err(), "{cut}");
        }
        // Negative and tiny document lengths.
        assert_eq!(
            fields(&[0xff, 0xff, 0xff, 0xff, 0]),
            Err(BsonError::BadLength(-1))
        );
        assert_eq!(fields(&[4, 0, 0, 0]), Err(BsonError::BadLength(4)));
        // A document that does not end in NUL.
        assert_eq!(fields(&[5, 0, 0, 0, 1]), Err(BsonError::NoTerminator));
        // A string claiming 2 GiB.
        let mut huge = good.clone();
        huge[24..28].copy_from_slice(&i32::MAX.to_le_bytes());
        assert!(fields(&huge).is_err());
        // A string of length 0 (it must hold at least its NUL).
        let mut empty = good.clone();
        empty[24..28].copy_from_slice(&0i32.to_le_bytes());
        assert_eq!(fields(&empty), Err(BsonError::BadLength(0)));
        // An unknown type.
        let mut odd = good;
        odd[4] = 0x42;
        assert_eq!(fields(&odd), Err(BsonError::UnknownType(0x42)));
        // A nested document claiming more than its parent holds.
        let nested = b"\x0e\x00\x00\x00\x03s\x00\xff\x00\x00\x00\x00\x00\x00";
        assert!(fields(nested).is_err());
    }

    proptest::proptest! {
        #[test]
        fn mutated_documents_never_panic(
            cut in proptest::prelude::any::<usize>(),
            edits in proptest::collection::vec(proptest::prelude::any::<(usize, u8)>(), 0..8),
        ) {
            let bytes = mutate(&command("buildInfo", "admin"), cut, &edits);
            let _ = fields(&bytes);
        }
    }
}
