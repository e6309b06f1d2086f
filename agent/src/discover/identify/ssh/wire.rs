//! The SSH binary packet protocol before any key is agreed (RFC 4253 §6)
//! and the data types of RFC 4251 §5, just as far as reading a server's
//! KEXINIT and key-exchange reply needs.

use thiserror::Error;

/// The largest packet a client must accept (RFC 4253 §6.1: 35000 bytes in
/// all); a length beyond it is a broken or hostile server.
pub(crate) const MAX_PACKET: u32 = 35_000;
/// Before NEWKEYS the cipher is `none`, whose block size counts as 8.
const BLOCK: usize = 8;

/// What is wrong with bytes that were meant to be SSH packets.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum WireError {
    #[error("packet length {0} is beyond the 35000 bytes SSH allows")]
    PacketTooLong(u32),
    #[error("packet length {0} is too short for a packet")]
    PacketTooShort(u32),
    #[error("padding length {pad} does not fit packet length {len}")]
    BadPadding { pad: u8, len: u32 },
    #[error("the {0} is cut short")]
    Truncated(&'static str),
    #[error("expected message {expected}, got {found}")]
    Unexpected { expected: u8, found: u8 },
    #[error("a name-list holds bytes that are not printable ASCII")]
    BadNameList,
}

/// The first whole packet in `buf`: its payload and the bytes it takes.
/// `Ok(None)` while more bytes are needed; an error as soon as the length
/// field shows the packet can never be valid (so a 4 GiB length stops the
/// reading at once).
pub(crate) fn split_packet(buf: &[u8]) -> Result<Option<(&[u8], usize)>, WireError> {
    let Some(len) = buf.get(..4) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]);
    if len > MAX_PACKET {
        return Err(WireError::PacketTooLong(len));
    }
    // A padding-length byte and at least 4 bytes of padding.
    if len < 5 {
        return Err(WireError::PacketTooShort(len));
    }
    let total = 4 + len as usize;
    let Some(packet) = buf.get(4..total) else {
        return Ok(None);
    };
    let pad = packet[0];
    let Some(payload_len) = packet.len().checked_sub(1 + usize::from(pad)) else {
        return Err(WireError::BadPadding { pad, len });
    };
    Ok(Some((&packet[1..1 + payload_len], total)))
}

/// Whether `buf` starts with a whole packet, or with a length that makes
/// waiting for one pointless.
pub(crate) fn packet_ready(buf: &[u8]) -> bool {
    !matches!(split_packet(buf), Ok(None))
}

/// Frames `payload` as an unencrypted packet: padding to a multiple of 8,
/// at least 4 bytes (RFC 4253 §6). The padding is zeros: there is no
/// cipher yet for random padding to protect.
pub(crate) fn frame(payload: &[u8]) -> Vec<u8> {
    let unpadded = 4 + 1 + payload.len();
    let mut pad = BLOCK - unpadded % BLOCK;
    if pad < 4 {
        pad += BLOCK;
    }
    let len = 1 + payload.len() + pad;
    let mut out = Vec::with_capacity(4 + len);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    out.push(pad as u8);
    out.extend_from_slice(payload);
    out.resize(4 + len, 0);
    out
}

/// Reads RFC 4251 data types from a payload; every read is checked.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// `what` names the message in errors.
    pub fn new(buf: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader { buf, what }
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.buf.len() < n {
            return Err(WireError::Truncated(self.what));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    pub fn byte(&mut self) -> Result<u8, WireError> {
        Ok(self.bytes(1)?[0])
    }

    pub fn u32(&mut self) -> Result<u32, WireError> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A `string`: a length, then that many bytes.
    pub fn string(&mut self) -> Result<&'a [u8], WireError> {
        let len = self.u32()? as usize;
        self.bytes(len)
    }

    /// A `name-list`: a string of comma-separated printable ASCII names.
    pub fn name_list(&mut self) -> Result<Vec<String>, WireError> {
        let raw = self.string()?;
        if !raw.iter().all(|b| (0x21..0x7f).contains(b)) {
            return Err(WireError::BadNameList);
        }
        let text = std::str::from_utf8(raw).map_err(|_| WireError::BadNameList)?;
        Ok(text
            .split(',')
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect())
    }
}

/// Writes RFC 4251 data types.
#[derive(Debug, Default)]
pub(crate) struct Writer(pub Vec<u8>);

impl Writer {
    pub fn byte(&mut self, b: u8) -> &mut Self {
        self.0.push(b);
        self
    }

    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }

    pub fn u32(&mut self, n: u32) -> &mut Self {
        self.raw(&n.to_be_bytes())
    }

    pub fn string(&mut self, bytes: &[u8]) -> &mut Self {
        self.u32(bytes.len() as u32).raw(bytes)
    }

    pub fn name_list<S: AsRef<str>>(&mut self, names: &[S]) -> &mut Self {
        let joined = names
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(",");
        self.string(joined.as_bytes())
    }
}

/// The bit length of an `mpint`'s magnitude: leading zero bytes (the sign
/// byte of a positive number) do not count.
pub(crate) fn mpint_bits(mpint: &[u8]) -> u32 {
    let Some(first) = mpint.iter().position(|&b| b != 0) else {
        return 0;
    };
    let bytes = (mpint.len() - first) as u32;
    bytes * 8 - mpint[first].leading_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_splits_round_trip() {
        for n in 0..40 {
            let payload: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let packet = frame(&payload);
            assert_eq!(packet.len() % BLOCK, 0, "payload of {n}");
            assert!(packet[4] >= 4);
            let (got, used) = split_packet(&packet).unwrap().unwrap();
            assert_eq!(got, payload.as_slice());
            assert_eq!(used, packet.len());
            // Every prefix is "need more".
            for cut in 0..packet.len() {
                assert_eq!(split_packet(&packet[..cut]), Ok(None));
            }
        }
    }

    #[test]
    fn hostile_lengths_stop_at_once() {
        assert_eq!(
            split_packet(&[0xff, 0xff, 0xff, 0xff]),
            Err(WireError::PacketTooLong(u32::MAX))
        );
        assert!(packet_ready(&[0xff, 0xff, 0xff, 0xff]));
        assert_eq!(
            split_packet(&[0, 0, 0, 2, 0, 0]),
            Err(WireError::PacketTooShort(2))
        );
        // Padding longer than the packet.
        assert_eq!(
            split_packet(&[0, 0, 0, 5, 9, 0, 0, 0, 0]),
            Err(WireError::BadPadding { pad: 9, len: 5 })
        );
        assert!(!packet_ready(&[0, 0, 0, 12, 4]));
    }

    #[test]
    fn reads_name_lists_and_strings() {
        let mut w = Writer::default();
        w.name_list(&["a", "b-c@d.e"]).string(b"").u32(7);
        let mut r = Reader::new(&w.0, "test");
        assert_eq!(r.name_list().unwrap(), ["a", "b-c@d.e"]);
        assert_eq!(r.name_list().unwrap(), Vec::<String>::new());
        assert_eq!(r.u32().unwrap(), 7);
        assert_eq!(r.byte(), Err(WireError::Truncated("test")));
        // A string claiming more than there is.
        let mut r = Reader::new(&[0, 0, 1, 0, b'x'], "test");
        assert_eq!(r.string(), Err(WireError::Truncated("test")));
        let mut r = Reader::new(&[0, 0, 0, 2, b'a', 0], "test");
        assert_eq!(r.name_list(), Err(WireError::BadNameList));
    }

    #[test]
    fn mpint_bit_lengths() {
        assert_eq!(mpint_bits(&[]), 0);
        assert_eq!(mpint_bits(&[0, 0]), 0);
        assert_eq!(mpint_bits(&[1]), 1);
        // A 1024-bit modulus: a zero sign byte, then 0x80 and 127 bytes.
        let mut n = vec![0, 0x80];
        n.extend([0xab; 127]);
        assert_eq!(mpint_bits(&n), 1024);
        let mut n = vec![0x7f];
        n.extend([0; 255]);
        assert_eq!(mpint_bits(&n), 2047);
    }
}
