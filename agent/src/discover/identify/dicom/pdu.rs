//! DICOM upper-layer PDUs (PS3.8 §9.3): the A-ASSOCIATE-RQ and
//! A-RELEASE-RQ we send, and the A-ASSOCIATE-AC/RJ, A-ABORT and
//! A-RELEASE-RP we may receive. Pure functions over bytes.

/// DICOM Application Context Name (PS3.7 Annex A).
pub(super) const APPLICATION_CONTEXT: &str = "1.2.840.10008.3.1.1.1";
/// Verification SOP Class: the association test every SCP supports.
pub(super) const VERIFICATION: &str = "1.2.840.10008.1.1";
/// Implicit VR Little Endian: the default transfer syntax, always accepted.
pub(super) const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
/// Our implementation class UID: under the UUID-derived root `2.25` (PS3.5
/// §B.2), from a UUID generated once for Trustwatch.
pub(super) const IMPLEMENTATION_CLASS_UID: &str = "2.25.217126800023241025289604957802084532613";
pub(super) const IMPLEMENTATION_VERSION_NAME: &str = "TRUSTWATCH";
/// The largest PDU we say we accept.
pub(super) const MAX_PDU_LENGTH: u32 = 16384;
/// The largest PDU we read: an A-ASSOCIATE-AC is a few hundred bytes, so a
/// larger announced length is a broken or hostile peer.
pub(super) const MAX_READ_PDU: usize = 64 * 1024;
/// The PDU header: type, reserved, 32-bit length.
pub(super) const HEADER: usize = 6;

const ASSOCIATE_RQ: u8 = 0x01;
const ASSOCIATE_AC: u8 = 0x02;
const ASSOCIATE_RJ: u8 = 0x03;
const RELEASE_RQ: u8 = 0x05;
const RELEASE_RP: u8 = 0x06;
const ABORT: u8 = 0x07;

/// Our one presentation context (odd, PS3.8 §9.3.2.2).
const CONTEXT_ID: u8 = 1;
/// Fixed part of A-ASSOCIATE-RQ/AC after the header: protocol version,
/// reserved, called and calling AE titles, 32 reserved bytes.
const FIXED: usize = 2 + 2 + 16 + 16 + 32;

/// Why received bytes are not a PDU we can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum PduError {
    #[error("truncated PDU")]
    Truncated,
    #[error("PDU announces {0} bytes, more than we read")]
    TooLong(u64),
    #[error("malformed PDU: {0}")]
    Malformed(&'static str),
}

/// A PDU received in answer to our A-ASSOCIATE-RQ or A-RELEASE-RQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Pdu {
    Accept(Accept),
    Reject {
        result: u8,
        source: u8,
        reason: u8,
    },
    Abort {
        source: u8,
        reason: u8,
    },
    ReleaseRp,
    /// A well-framed PDU of another type (P-DATA-TF, a request).
    Other(u8),
}

/// The parts of an A-ASSOCIATE-AC we report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Accept {
    /// The result of our presentation context: 0 is acceptance.
    pub context_result: Option<u8>,
    pub implementation_class_uid: Option<String>,
    pub implementation_version_name: Option<String>,
}

/// How much of a PDU has arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Frame {
    Incomplete,
    /// The whole PDU: this many bytes.
    Complete(usize),
    TooLong(u64),
}

/// Whether `bytes` hold a whole PDU yet (for a bounded read).
pub(super) fn frame(bytes: &[u8]) -> Frame {
    if bytes.len() < HEADER {
        return Frame::Incomplete;
    }
    let len = u64::from(u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]));
    if len > (MAX_READ_PDU - HEADER) as u64 {
        return Frame::TooLong(len);
    }
    let total = HEADER + len as usize;
    if bytes.len() >= total {
        Frame::Complete(total)
    } else {
        Frame::Incomplete
    }
}

/// A-ASSOCIATE-RQ proposing the Verification SOP class in Implicit VR
/// Little Endian, from `calling` to `called`.
pub(super) fn associate_rq(called: &str, calling: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(256);
    body.extend_from_slice(&1u16.to_be_bytes()); // protocol version 1
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&ae_title(called));
    body.extend_from_slice(&ae_title(calling));
    body.extend_from_slice(&[0; 32]);
    item(&mut body, 0x10, APPLICATION_CONTEXT.as_bytes());

    let mut context = vec![CONTEXT_ID, 0, 0, 0];
    item(&mut context, 0x30, VERIFICATION.as_bytes());
    item(&mut context, 0x40, IMPLICIT_VR_LE.as_bytes());
    item(&mut body, 0x20, &context);

    let mut user = Vec::new();
    item(&mut user, 0x51, &MAX_PDU_LENGTH.to_be_bytes());
    item(&mut user, 0x52, IMPLEMENTATION_CLASS_UID.as_bytes());
    item(&mut user, 0x55, IMPLEMENTATION_VERSION_NAME.as_bytes());
    item(&mut body, 0x50, &user);

    pdu(ASSOCIATE_RQ, &body)
}

/// A-RELEASE-RQ: four reserved bytes.
pub(super) fn release_rq() -> Vec<u8> {
    pdu(RELEASE_RQ, &[0; 4])
}

/// Parses one PDU from the start of `bytes`.
pub(super) fn parse(bytes: &[u8]) -> Result<Pdu, PduError> {
    let total = match frame(bytes) {
        Frame::Incomplete => return Err(PduError::Truncated),
        Frame::TooLong(len) => return Err(PduError::TooLong(len)),
        Frame::Complete(total) => total,
    };
    let kind = bytes[0];
    let body = &bytes[HEADER..total];
    match kind {
        ASSOCIATE_AC => parse_accept(body).map(Pdu::Accept),
        ASSOCIATE_RJ => match body {
            [_, result, source, reason, ..] => Ok(Pdu::Reject {
                result: *result,
                source: *source,
                reason: *reason,
            }),
            _ => Err(PduError::Malformed("A-ASSOCIATE-RJ shorter than 4 bytes")),
        },
        ABORT => match body {
            [_, _, source, reason, ..] => Ok(Pdu::Abort {
                source: *source,
                reason: *reason,
            }),
            _ => Err(PduError::Malformed("A-ABORT shorter than 4 bytes")),
        },
        RELEASE_RP => Ok(Pdu::ReleaseRp),
        0x01..=0x07 => Ok(Pdu::Other(kind)),
        _ => Err(PduError::Malformed("unknown PDU type")),
    }
}

fn parse_accept(body: &[u8]) -> Result<Accept, PduError> {
    if body.len() < FIXED {
        return Err(PduError::Malformed(
            "A-ASSOCIATE-AC shorter than its fixed part",
        ));
    }
    let mut accept = Accept::default();
    for (kind, value) in items(&body[FIXED..], 4)? {
        match kind {
            // Presentation context (AC): id, reserved, result, reserved.
            0x21 => {
                if value.len() < 4 {
                    return Err(PduError::Malformed("short presentation context item"));
                }
                if value[0] == CONTEXT_ID {
                    accept.context_result = Some(value[2]);
                }
            }
            0x50 => {
                for (sub, sub_value) in items(value, 4)? {
                    match sub {
                        0x52 => accept.implementation_class_uid = text(sub_value),
                        0x55 => accept.implementation_version_name = text(sub_value),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(accept)
}

/// Items (and user-information sub-items): type, reserved, 16-bit length,
/// value. `header` is 4 for both.
fn items(mut bytes: &[u8], header: usize) -> Result<Vec<(u8, &[u8])>, PduError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < header {
            return Err(PduError::Malformed("truncated item header"));
        }
        let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        let end = header + len;
        if bytes.len() < end {
            return Err(PduError::Malformed("item longer than its PDU"));
        }
        out.push((bytes[0], &bytes[header..end]));
        bytes = &bytes[end..];
    }
    Ok(out)
}

/// A UID or name from the wire: trailing NUL/space padding dropped,
/// printable ASCII only, at most 64 characters (a UID's maximum).
fn text(bytes: &[u8]) -> Option<String> {
    let s: String = bytes
        .iter()
        .take(64)
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                ' '
            }
        })
        .collect();
    let s = s.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// An AE title as sent: printable ASCII without backslash, at most 16
/// bytes, space-padded (PS3.5 AE value representation).
pub(super) fn ae_title(title: &str) -> [u8; 16] {
    let mut out = [b' '; 16];
    let chars = title
        .bytes()
        .filter(|b| (0x20..0x7f).contains(b) && *b != b'\\')
        .take(16);
    for (slot, b) in out.iter_mut().zip(chars) {
        *slot = b;
    }
    out
}

fn item(out: &mut Vec<u8>, kind: u8, value: &[u8]) {
    // Our items are all far below 64 KiB.
    let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
    out.push(kind);
    out.push(0);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value);
}

fn pdu(kind: u8, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.push(kind);
    out.push(0);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An A-ASSOCIATE-AC as DCMTK's storescp sends it (written from
    /// PS3.8 §9.3.3): context 1 accepted, implementation DCMTK 3.6.7.
    fn dcmtk_ac(result: u8) -> Vec<u8> {
        let mut body = vec![0, 1, 0, 0];
        body.extend_from_slice(b"TWSCP           ");
        body.extend_from_slice(b"TRUSTWATCH      ");
        body.extend_from_slice(&[0; 32]);
        item(&mut body, 0x10, APPLICATION_CONTEXT.as_bytes());
        let mut ctx = vec![1, 0, result, 0];
        item(&mut ctx, 0x40, IMPLICIT_VR_LE.as_bytes());
        item(&mut body, 0x21, &ctx);
        let mut user = Vec::new();
        item(&mut user, 0x51, &16384u32.to_be_bytes());
        item(&mut user, 0x52, b"1.2.276.0.7230010.3.0.3.6.7\0");
        item(&mut user, 0x55, b"OFFIS_DCMTK_367");
        item(&mut body, 0x50, &user);
        pdu(ASSOCIATE_AC, &body)
    }

    #[test]
    fn associate_rq_layout() {
        let rq = associate_rq("ANY-SCP", "TRUSTWATCH");
        assert_eq!(rq[0], 0x01);
        let len = u32::from_be_bytes([rq[2], rq[3], rq[4], rq[5]]) as usize;
        assert_eq!(len + HEADER, rq.len());
        assert_eq!(&rq[6..8], &[0, 1]);
        assert_eq!(&rq[10..26], b"ANY-SCP         ");
        assert_eq!(&rq[26..42], b"TRUSTWATCH      ");
        assert_eq!(&rq[42..74], &[0; 32]);
        // Items in order: application context, presentation context, user info.
        let found = items(&rq[HEADER + FIXED..], 4).unwrap();
        let kinds: Vec<u8> = found.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, [0x10, 0x20, 0x50]);
        assert_eq!(found[0].1, APPLICATION_CONTEXT.as_bytes());
        let ctx = found[1].1;
        assert_eq!(ctx[0], 1);
        let subs = items(&ctx[4..], 4).unwrap();
        assert_eq!(subs[0], (0x30, VERIFICATION.as_bytes()));
        assert_eq!(subs[1], (0x40, IMPLICIT_VR_LE.as_bytes()));
        let user = items(found[2].1, 4).unwrap();
        assert_eq!(user[0], (0x51, &16384u32.to_be_bytes()[..]));
        assert_eq!(user[1], (0x52, IMPLEMENTATION_CLASS_UID.as_bytes()));
        assert_eq!(user[2], (0x55, b"TRUSTWATCH".as_slice()));
        assert!(IMPLEMENTATION_CLASS_UID.len() <= 64);
    }

    #[test]
    fn ae_titles_are_padded_and_sanitised() {
        assert_eq!(&ae_title("PACS"), b"PACS            ");
        assert_eq!(&ae_title("A\\B\u{e9}C"), b"ABC             ");
        assert_eq!(&ae_title("0123456789ABCDEFGHIJ"), b"0123456789ABCDEF");
    }

    #[test]
    fn parses_an_accept() {
        let ac = dcmtk_ac(0);
        assert_eq!(frame(&ac), Frame::Complete(ac.len()));
        assert_eq!(
            parse(&ac),
            Ok(Pdu::Accept(Accept {
                context_result: Some(0),
                implementation_class_uid: Some("1.2.276.0.7230010.3.0.3.6.7".into()),
                implementation_version_name: Some("OFFIS_DCMTK_367".into()),
            }))
        );
        match parse(&dcmtk_ac(3)) {
            Ok(Pdu::Accept(a)) => assert_eq!(a.context_result, Some(3)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_reject_abort_release() {
        assert_eq!(
            parse(&[0x03, 0, 0, 0, 0, 4, 0, 1, 1, 7]),
            Ok(Pdu::Reject {
                result: 1,
                source: 1,
                reason: 7
            })
        );
        assert_eq!(
            parse(&[0x07, 0, 0, 0, 0, 4, 0, 0, 2, 2]),
            Ok(Pdu::Abort {
                source: 2,
                reason: 2
            })
        );
        assert_eq!(
            parse(&[0x06, 0, 0, 0, 0, 4, 0, 0, 0, 0]),
            Ok(Pdu::ReleaseRp)
        );
        assert_eq!(release_rq(), [0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
    }

    #[test]
    fn hostile_lengths_are_refused() {
        let huge = [0x02, 0, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(frame(&huge), Frame::TooLong(0xffff_ffff));
        assert_eq!(parse(&huge), Err(PduError::TooLong(0xffff_ffff)));
        assert_eq!(parse(&[0x02, 0, 0, 0]), Err(PduError::Truncated));
        assert_eq!(
            parse(&[0x03, 0, 0, 0, 0, 2, 0, 1]),
            Err(PduError::Malformed("A-ASSOCIATE-RJ shorter than 4 bytes"))
        );
        // An item claiming more than its PDU holds.
        let mut ac = dcmtk_ac(0);
        let at = HEADER + FIXED + 2;
        ac[at] = 0xff;
        ac[at + 1] = 0xff;
        assert!(matches!(parse(&ac), Err(PduError::Malformed(_))));
        assert!(parse(b"HTTP/1.1 400").is_err());
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(kind in 1u8..8, body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let bytes = pdu(kind, &body);
            let _ = parse(&bytes);
            let _ = frame(&bytes);
        }
    }

    #[test]
    fn never_panics_on_prefixes() {
        let ac = dcmtk_ac(0);
        for n in 0..ac.len() {
            let _ = parse(&ac[..n]);
            let mut cut = ac[..n].to_vec();
            if cut.len() >= HEADER {
                let len = (n - HEADER) as u32;
                cut[2..6].copy_from_slice(&len.to_be_bytes());
                let _ = parse(&cut);
            }
        }
    }
}
