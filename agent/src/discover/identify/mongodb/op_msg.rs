//! OP_MSG (MongoDB wire protocol, opcode 2013, servers 3.6 and later): one
//! command out, the body document of the reply in.

use super::bson::{self, BsonError};

const OP_MSG: i32 = 2013;
const HEADER_LEN: usize = 16;
/// flagBits: a CRC-32C trails the sections.
const CHECKSUM_PRESENT: u32 = 1;

/// Why a reply could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum OpMsgError {
    #[error("truncated {0}")]
    Truncated(&'static str),
    #[error("message length {0} is impossible")]
    BadLength(i64),
    #[error("not an OP_MSG reply (opcode {0})")]
    NotOpMsg(i32),
    #[error("unknown OP_MSG section kind {0}")]
    UnknownSection(u8),
    #[error("OP_MSG reply has no body section")]
    NoBody,
    #[error(transparent)]
    Bson(#[from] BsonError),
}

/// An OP_MSG carrying `doc` as its body section.
pub(super) fn request(request_id: i32, doc: &[u8]) -> Vec<u8> {
    let total = HEADER_LEN + 4 + 1 + doc.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as i32).to_le_bytes());
    out.extend_from_slice(&request_id.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // responseTo
    out.extend_from_slice(&OP_MSG.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // flagBits
    out.push(0); // section kind 0: body
    out.extend_from_slice(doc);
    out
}

/// True once `bytes` hold the whole message its header announces; a length
/// that cannot be a message also ends the wait, for parsing to refuse.
pub(super) fn message_complete(bytes: &[u8]) -> bool {
    match bson::declared_len(bytes, HEADER_LEN + 5) {
        Ok(len) => bytes.len() >= len,
        Err(BsonError::Truncated(_)) => false,
        Err(_) => true,
    }
}

/// The body document of an OP_MSG reply.
pub(super) fn reply_body(bytes: &[u8]) -> Result<&[u8], OpMsgError> {
    let len = bson::declared_len(bytes, HEADER_LEN + 5).map_err(|e| match e {
        BsonError::BadLength(l) => OpMsgError::BadLength(l),
        _ => OpMsgError::Truncated("OP_MSG header"),
    })?;
    let msg = bytes.get(..len).ok_or(OpMsgError::Truncated("OP_MSG"))?;
    let op = i32::from_le_bytes([msg[12], msg[13], msg[14], msg[15]]);
    if op != OP_MSG {
        return Err(OpMsgError::NotOpMsg(op));
    }
    let flags = u32::from_le_bytes([msg[16], msg[17], msg[18], msg[19]]);
    let end = if flags & CHECKSUM_PRESENT != 0 {
        len.checked_sub(4)
            .filter(|e| *e >= HEADER_LEN + 4)
            .ok_or(OpMsgError::Truncated("OP_MSG checksum"))?
    } else {
        len
    };
    let mut sections = &msg[HEADER_LEN + 4..end];
    while let Some((&kind, rest)) = sections.split_first() {
        let size = bson::declared_len(rest, 5)?;
        let section = rest
            .get(..size)
            .ok_or(OpMsgError::Truncated("OP_MSG section"))?;
        match kind {
            0 => return Ok(section),
            // A document sequence: size, identifier, documents; skipped.
            1 => {}
            other => return Err(OpMsgError::UnknownSection(other)),
        }
        sections = &rest[size..];
    }
    Err(OpMsgError::NoBody)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::identify::mutate::mutate;

    /// A reply built from the wire protocol spec: header, flagBits, a kind-1
    /// section to skip, then the body `{version: "7.0.5", ok: 1.0}`.
    fn reply(checksum: bool) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(b"\x02version\x00\x06\x00\x00\x007.0.5\x00");
        body.extend_from_slice(b"\x01ok\x00");
        body.extend_from_slice(&1.0f64.to_le_bytes());
        let mut doc = ((body.len() + 5) as i32).to_le_bytes().to_vec();
        doc.extend(body);
        doc.push(0);
        let mut sections = vec![1];
        sections.extend_from_slice(&9i32.to_le_bytes());
        sections.extend_from_slice(b"docs\x00");
        sections.push(0);
        sections.extend(doc);
        let flags: u32 = if checksum { CHECKSUM_PRESENT } else { 0 };
        let total = HEADER_LEN + 4 + sections.len() + if checksum { 4 } else { 0 };
        let mut out = Vec::new();
        out.extend_from_slice(&(total as i32).to_le_bytes());
        out.extend_from_slice(&7i32.to_le_bytes());
        out.extend_from_slice(&1i32.to_le_bytes());
        out.extend_from_slice(&OP_MSG.to_le_bytes());
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend(sections);
        if checksum {
            out.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        }
        out
    }

    #[test]
    fn the_request_wraps_the_command() {
        let doc = bson::command("buildInfo", "admin");
        let req = request(1, &doc);
        assert_eq!(req.len(), 56);
        assert_eq!(&req[..4], &56i32.to_le_bytes());
        assert_eq!(&req[12..16], &2013i32.to_le_bytes());
        assert_eq!(req[20], 0);
        assert_eq!(&req[21..], &doc[..]);
    }

    #[test]
    fn the_body_is_found_past_other_sections() {
        for checksum in [false, true] {
            let r = reply(checksum);
            assert!(message_complete(&r));
            assert!(!message_complete(&r[..r.len() - 1]));
            let body = reply_body(&r).unwrap();
            let f = bson::fields(body).unwrap();
            assert_eq!(f[0].1.as_str().as_deref(), Some("7.0.5"));
            assert_eq!(f[1].1.as_f64(), Some(1.0));
        }
    }

    #[test]
    fn hostile_replies_are_errors_not_panics() {
        let good = reply(false);
        for cut in 0..good.len() {
            assert!(reply_body(&good[..cut]).is_err(), "{cut}");
        }
        let mut negative = good.clone();
        negative[..4].copy_from_slice(&(-5i32).to_le_bytes());
        assert!(message_complete(&negative));
        assert_eq!(reply_body(&negative), Err(OpMsgError::BadLength(-5)));
        let mut huge = good.clone();
        huge[..4].copy_from_slice(&i32::MAX.to_le_bytes());
        assert!(!message_complete(&huge));
        assert_eq!(reply_body(&huge), Err(OpMsgError::Truncated("OP_MSG")));
        let mut legacy = good.clone();
        legacy[12..16].copy_from_slice(&1i32.to_le_bytes());
        assert_eq!(reply_body(&legacy), Err(OpMsgError::NotOpMsg(1)));
        let mut kind = good.clone();
        kind[20] = 9;
        assert_eq!(reply_body(&kind), Err(OpMsgError::UnknownSection(9)));
        // A section claiming more than the message holds.
        let mut section = good;
        section[21..25].copy_from_slice(&1000i32.to_le_bytes());
        assert_eq!(
            reply_body(&section),
            Err(OpMsgError::Truncated("OP_MSG section"))
        );
        // Sections that end without a body.
        let mut empty = Vec::new();
        empty.extend_from_slice(&20i32.to_le_bytes());
        empty.extend_from_slice(&[0; 8]);
        empty.extend_from_slice(&OP_MSG.to_le_bytes());
        empty.extend_from_slice(&[0; 4]);
        assert_eq!(reply_body(&empty), Err(OpMsgError::BadLength(20)));
        empty[..4].copy_from_slice(&21i32.to_le_bytes());
        empty.push(1);
        assert!(reply_body(&empty).is_err());
    }

    proptest::proptest! {
        #[test]
        fn mutated_replies_never_panic(
            cut in proptest::prelude::any::<usize>(),
            edits in proptest::collection::vec(proptest::prelude::any::<(usize, u8)>(), 0..8),
        ) {
            let bytes = mutate(&reply(true), cut, &edits);
            let _ = message_complete(&bytes);
            let _ = reply_body(&bytes);
        }
    }
}
