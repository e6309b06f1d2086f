//! A cursor over untrusted bytes. Every read checks that the bytes are
//! there first and names what it was reading when they are not.

use crate::error::WireError;

#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if n > self.buf.len() {
            return Err(WireError::Truncated { what });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, WireError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u24(&mut self, what: &'static str) -> Result<usize, WireError> {
        let b = self.take(3, what)?;
        Ok(usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }

    /// A vector with a one-byte length prefix.
    pub(crate) fn vec8(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let n = self.u8(what)?;
        self.take(usize::from(n), what)
    }

    /// A vector with a two-byte length prefix.
    pub(crate) fn vec16(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let n = self.u16(what)?;
        self.take(usize::from(n), what)
    }

    /// A vector with a three-byte length prefix.
    pub(crate) fn vec24(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let n = self.u24(what)?;
        self.take(n, what)
    }

    /// Fails unless everything was read: trailing bytes mean the lengths
    /// disagree with each other.
    pub(crate) fn finish(&self, what: &'static str) -> Result<(), WireError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(WireError::Malformed {
                what,
                problem: "trailing bytes after its last field",
            })
        }
    }
}

/// Writes a length-prefixed vector: the closure fills the body, the prefix
/// is patched afterwards and checked against `max`.
pub(crate) fn put_vec(
    out: &mut Vec<u8>,
    prefix_len: usize,
    what: &'static str,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), WireError>,
) -> Result<(), WireError> {
    let start = out.len();
    out.extend(std::iter::repeat_n(0, prefix_len));
    body(out)?;
    let len = out.len() - start - prefix_len;
    let max = (1usize << (8 * prefix_len)) - 1;
    if len > max {
        return Err(WireError::Encode(what));
    }
    let be = (len as u32).to_be_bytes();
    out[start..start + prefix_len].copy_from_slice(&be[4 - prefix_len..]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded() {
        let mut r = Reader::new(&[0, 3, 1, 2]);
        assert_eq!(
            r.vec16("thing"),
            Err(WireError::Truncated { what: "thing" })
        );
        let mut r = Reader::new(&[0, 2, 1, 2, 9]);
        assert_eq!(r.vec16("thing").unwrap(), &[1, 2]);
        assert!(r.finish("thing").is_err());
        assert_eq!(r.u8("x").unwrap(), 9);
        assert!(r.finish("thing").is_ok());
        assert!(r.u24("y").is_err());
    }

    #[test]
    fn put_vec_patches_the_prefix_and_refuses_overflow() {
        let mut out = vec![7];
        put_vec(&mut out, 2, "v", |o| {
            o.extend_from_slice(&[1, 2, 3]);
            Ok(())
        })
        .unwrap();
        assert_eq!(out, [7, 0, 3, 1, 2, 3]);
        let mut out = Vec::new();
        let err = put_vec(&mut out, 1, "v", |o| {
            o.extend(std::iter::repeat_n(0, 256));
            Ok(())
        });
        assert_eq!(err, Err(WireError::Encode("v")));
    }
}
