//! The slice of BER (X.690) SNMP needs: definite-length TLVs, INTEGER,
//! OCTET STRING, NULL and OBJECT IDENTIFIER. Decoding is strict about
//! lengths: nothing is trusted beyond the bytes actually present.

/// Universal and SNMP tags used here.
pub(super) const INTEGER: u8 = 0x02;
pub(super) const OCTET_STRING: u8 = 0x04;
pub(super) const NULL: u8 = 0x05;
pub(super) const OID: u8 = 0x06;
pub(super) const SEQUENCE: u8 = 0x30;

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum BerError {
    #[error("truncated")]
    Truncated,
    #[error("indefinite or over-long length")]
    BadLength,
    #[error("expected tag {expected:#04x}, found {found:#04x}")]
    Tag { expected: u8, found: u8 },
    #[error("integer out of range")]
    IntegerRange,
    #[error("malformed object identifier")]
    BadOid,
}

/// One TLV: its tag, its value, and the bytes after it.
pub(super) fn read_tlv(bytes: &[u8]) -> Result<(u8, &[u8], &[u8]), BerError> {
    let (&tag, rest) = bytes.split_first().ok_or(BerError::Truncated)?;
    // Multi-byte tags (low five bits all set) never occur in SNMP.
    if tag & 0x1f == 0x1f {
        return Err(BerError::BadLength);
    }
    let (&first, rest) = rest.split_first().ok_or(BerError::Truncated)?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        // 0x80 is the indefinite form, not allowed in SNMP; more than four
        // length bytes is never needed for a datagram.
        if n == 0 || n > 4 {
            return Err(BerError::BadLength);
        }
        if rest.len() < n {
            return Err(BerError::Truncated);
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err(BerError::Truncated);
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// A TLV whose tag must be `tag`.
pub(super) fn expect(bytes: &[u8], tag: u8) -> Result<(&[u8], &[u8]), BerError> {
    let (found, value, rest) = read_tlv(bytes)?;
    if found != tag {
        return Err(BerError::Tag {
            expected: tag,
            found,
        });
    }
    Ok((value, rest))
}

/// An INTEGER's value as i64 (SNMP integers are 32-bit; Counter64 fits
/// nowhere we read).
pub(super) fn integer(value: &[u8]) -> Result<i64, BerError> {
    if value.is_empty() || value.len() > 8 {
        return Err(BerError::IntegerRange);
    }
    let negative = value[0] & 0x80 != 0;
    let start: i64 = if negative { -1 } else { 0 };
    Ok(value
        .iter()
        .fold(start, |acc, b| (acc << 8) | i64::from(*b)))
}

/// An OBJECT IDENTIFIER's arcs.
pub(super) fn oid(value: &[u8]) -> Result<Vec<u32>, BerError> {
    let mut arcs = Vec::new();
    let mut acc: u32 = 0;
    let mut in_arc = false;
    for &b in value {
        if acc > (u32::MAX >> 7) {
            return Err(BerError::BadOid);
        }
        acc = (acc << 7) | u32::from(b & 0x7f);
        in_arc = b & 0x80 != 0;
        if !in_arc {
            if arcs.is_empty() {
                // The first subidentifier packs the first two arcs.
                let first = (acc / 40).min(2);
                arcs.push(first);
                arcs.push(acc - first * 40);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        }
    }
    if in_arc || arcs.is_empty() {
        return Err(BerError::BadOid);
    }
    Ok(arcs)
}

/// Appends a TLV with `value`.
pub(super) fn write_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(value);
}

/// An INTEGER's minimal two's-complement content.
pub(super) fn integer_bytes(n: i64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let mut start = 0;
    // Drop leading bytes that only repeat the sign.
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0x00 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

/// An OBJECT IDENTIFIER's content (`arcs` has at least two arcs, the
/// first at most 2).
pub(super) fn oid_bytes(arcs: &[u32]) -> Vec<u8> {
    let mut out = Vec::new();
    let (first, rest) = match arcs {
        [a, b, rest @ ..] => (a * 40 + b, rest),
        [a] => (a * 40, &[][..]),
        [] => return out,
    };
    for arc in std::iter::once(first).chain(rest.iter().copied()) {
        let mut groups = vec![(arc & 0x7f) as u8];
        let mut v = arc >> 7;
        while v > 0 {
            groups.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        out.extend(groups.iter().rev());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lengths() {
        assert_eq!(
            read_tlv(&[0x04, 0x02, b'h', b'i']),
            Ok((0x04, &b"hi"[..], &[][..]))
        );
        let mut long = vec![0x04, 0x81, 200];
        long.extend([b'x'; 200]);
        long.push(0xaa);
        let (_, value, rest) = read_tlv(&long).unwrap();
        assert_eq!((value.len(), rest), (200, &[0xaa][..]));
        assert_eq!(read_tlv(&[0x30, 0x80, 0, 0]), Err(BerError::BadLength));
        assert_eq!(
            read_tlv(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0]),
            Err(BerError::Truncated)
        );
        assert_eq!(
            read_tlv(&[0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Err(BerError::BadLength)
        );
        assert_eq!(read_tlv(&[0x30]), Err(BerError::Truncated));
        assert_eq!(read_tlv(&[0x30, 0x05, 1]), Err(BerError::Truncated));
    }

    #[test]
    fn integers() {
        for n in [
            0i64,
            1,
            127,
            128,
            255,
            256,
            -1,
            -128,
            -129,
            0x7fff_ffff,
            -0x8000_0000,
        ] {
            assert_eq!(integer(&integer_bytes(n)), Ok(n), "{n}");
        }
        assert_eq!(integer_bytes(128), [0x00, 0x80]);
        assert_eq!(integer_bytes(-1), [0xff]);
        assert_eq!(integer(&[]), Err(BerError::IntegerRange));
        assert_eq!(integer(&[1; 9]), Err(BerError::IntegerRange));
    }

    #[test]
    fn oids() {
        let sys_descr = [1, 3, 6, 1, 2, 1, 1, 1, 0];
        assert_eq!(oid_bytes(&sys_descr), [0x2b, 6, 1, 2, 1, 1, 1, 0]);
        assert_eq!(oid(&[0x2b, 6, 1, 2, 1, 1, 1, 0]).unwrap(), sys_descr);
        let big = [1, 3, 6, 1, 4, 1, 2021, 4_000_000_000];
        assert_eq!(oid(&oid_bytes(&big)).unwrap(), big);
        assert_eq!(oid(&[0x2b, 0x86]), Err(BerError::BadOid));
        assert_eq!(oid(&[]), Err(BerError::BadOid));
        assert_eq!(
            oid(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
            Err(BerError::BadOid)
        );
    }

    proptest! {
        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = read_tlv(&bytes);
            let _ = integer(&bytes);
            let _ = oid(&bytes);
        }

        #[test]
        fn tlvs_round_trip(value in proptest::collection::vec(any::<u8>(), 0..1000)) {
            let mut out = Vec::new();
            write_tlv(&mut out, OCTET_STRING, &value);
            prop_assert_eq!(read_tlv(&out), Ok((OCTET_STRING, &value[..], &[][..])));
        }
    }
}
