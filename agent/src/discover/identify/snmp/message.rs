//! SNMPv1/v2c messages (RFC 1157, RFC 3416): the GetRequest of one OID we
//! send and the Response we read back.

use super::ber::{self, BerError};

/// sysDescr.0 (RFC 1213): the agent's description of itself.
pub(super) const SYS_DESCR: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 1, 0];
/// The most of sysDescr kept (it is a DisplayString of at most 255).
const MAX_DESCR: usize = 255;

/// Context-specific constructed tags of the PDUs.
const GET_REQUEST: u8 = 0xa0;
const GET_RESPONSE: u8 = 0xa2;
/// SNMPv2 exception values in a varbind (RFC 3416 §3).
const NO_SUCH_OBJECT: u8 = 0x80;
const NO_SUCH_INSTANCE: u8 = 0x81;
const END_OF_MIB_VIEW: u8 = 0x82;

/// The message version field: 0 for v1, 1 for v2c.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Version {
    V1,
    V2c,
}

impl Version {
    fn number(self) -> i64 {
        match self {
            Version::V1 => 0,
            Version::V2c => 1,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Version::V1 => "v1",
            Version::V2c => "v2c",
        }
    }
}

/// A decoded Response to our GetRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Response {
    pub version: i64,
    pub community: Vec<u8>,
    pub request_id: i64,
    pub error_status: i64,
    /// The first varbind's value when it is an OCTET STRING (sysDescr);
    /// `None` for an exception (noSuchObject…) or another type.
    pub text: Option<String>,
}

/// GetRequest for `oid`, value NULL.
pub(super) fn get_request(
    version: Version,
    community: &[u8],
    request_id: i32,
    oid: &[u32],
) -> Vec<u8> {
    let mut varbind = Vec::new();
    ber::write_tlv(&mut varbind, ber::OID, &ber::oid_bytes(oid));
    ber::write_tlv(&mut varbind, ber::NULL, &[]);
    let mut varbinds = Vec::new();
    ber::write_tlv(&mut varbinds, ber::SEQUENCE, &varbind);
    let mut list = Vec::new();
    ber::write_tlv(&mut list, ber::SEQUENCE, &varbinds);

    let mut pdu = Vec::new();
    ber::write_tlv(
        &mut pdu,
        ber::INTEGER,
        &ber::integer_bytes(i64::from(request_id)),
    );
    ber::write_tlv(&mut pdu, ber::INTEGER, &[0]); // error-status
    ber::write_tlv(&mut pdu, ber::INTEGER, &[0]); // error-index
    pdu.extend_from_slice(&list);

    let mut message = Vec::new();
    ber::write_tlv(
        &mut message,
        ber::INTEGER,
        &ber::integer_bytes(version.number()),
    );
    ber::write_tlv(&mut message, ber::OCTET_STRING, community);
    ber::write_tlv(&mut message, GET_REQUEST, &pdu);

    let mut out = Vec::new();
    ber::write_tlv(&mut out, ber::SEQUENCE, &message);
    out
}

/// Decodes a Response (GetResponse-PDU); anything else is an error.
pub(super) fn parse_response(bytes: &[u8]) -> Result<Response, BerError> {
    let (message, _) = ber::expect(bytes, ber::SEQUENCE)?;
    let (version, rest) = ber::expect(message, ber::INTEGER)?;
    let version = ber::integer(version)?;
    let (community, rest) = ber::expect(rest, ber::OCTET_STRING)?;
    let (pdu, _) = ber::expect(rest, GET_RESPONSE)?;
    let (request_id, rest) = ber::expect(pdu, ber::INTEGER)?;
    let request_id = ber::integer(request_id)?;
    let (error_status, rest) = ber::expect(rest, ber::INTEGER)?;
    let error_status = ber::integer(error_status)?;
    let (_error_index, rest) = ber::expect(rest, ber::INTEGER)?;
    let (list, _) = ber::expect(rest, ber::SEQUENCE)?;
    let text = first_text(list)?;
    Ok(Response {
        version,
        community: community.to_vec(),
        request_id,
        error_status,
        text,
    })
}

/// The first varbind's OCTET STRING value, as printable text.
fn first_text(list: &[u8]) -> Result<Option<String>, BerError> {
    if list.is_empty() {
        return Ok(None);
    }
    let (varbind, _) = ber::expect(list, ber::SEQUENCE)?;
    let (name, rest) = ber::expect(varbind, ber::OID)?;
    ber::oid(name)?;
    let (tag, value, _) = ber::read_tlv(rest)?;
    Ok(match tag {
        ber::OCTET_STRING => Some(printable(value)),
        NO_SUCH_OBJECT | NO_SUCH_INSTANCE | END_OF_MIB_VIEW => None,
        _ => None,
    })
}

/// Printable ASCII (line breaks become spaces, others `?`), trimmed.
fn printable(value: &[u8]) -> String {
    value
        .iter()
        .take(MAX_DESCR)
        .map(|&b| match b {
            b'\r' | b'\n' | b'\t' => ' ',
            0x20..=0x7e => b as char,
            _ => '?',
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `snmpget -v2c -c public host 1.3.6.1.2.1.1.1.0` as net-snmp sends
    /// it, request-id 0x1234 (RFC 3416 layout).
    const V2C_GET: [u8; 41] = [
        0x30, 0x27, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa0, 0x1a,
        0x02, 0x02, 0x12, 0x34, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06,
        0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00,
    ];

    fn response(version: u8, id: &[u8], value: &[u8]) -> Vec<u8> {
        let mut varbind = Vec::new();
        ber::write_tlv(&mut varbind, ber::OID, &ber::oid_bytes(&SYS_DESCR));
        varbind.extend_from_slice(value);
        let mut vb = Vec::new();
        ber::write_tlv(&mut vb, ber::SEQUENCE, &varbind);
        let mut list = Vec::new();
        ber::write_tlv(&mut list, ber::SEQUENCE, &vb);
        let mut pdu = Vec::new();
        ber::write_tlv(&mut pdu, ber::INTEGER, id);
        ber::write_tlv(&mut pdu, ber::INTEGER, &[0]);
        ber::write_tlv(&mut pdu, ber::INTEGER, &[0]);
        pdu.extend_from_slice(&list);
        let mut msg = Vec::new();
        ber::write_tlv(&mut msg, ber::INTEGER, &[version]);
        ber::write_tlv(&mut msg, ber::OCTET_STRING, b"public");
        ber::write_tlv(&mut msg, GET_RESPONSE, &pdu);
        let mut out = Vec::new();
        ber::write_tlv(&mut out, ber::SEQUENCE, &msg);
        out
    }

    #[test]
    fn get_request_matches_net_snmp() {
        assert_eq!(
            get_request(Version::V2c, b"public", 0x1234, &SYS_DESCR),
            V2C_GET
        );
        let v1 = get_request(Version::V1, b"public", 0x1234, &SYS_DESCR);
        assert_eq!(v1[4], 0x00, "version 0 is SNMPv1");
    }

    #[test]
    fn parses_a_response() {
        let mut value = Vec::new();
        ber::write_tlv(
            &mut value,
            ber::OCTET_STRING,
            b"Linux lab 6.1.0-25-amd64 #1 SMP\r\n",
        );
        let r = parse_response(&response(1, &[0x12, 0x34], &value)).unwrap();
        assert_eq!(r.version, 1);
        assert_eq!(r.community, b"public");
        assert_eq!(r.request_id, 0x1234);
        assert_eq!(r.error_status, 0);
        assert_eq!(r.text.as_deref(), Some("Linux lab 6.1.0-25-amd64 #1 SMP"));
    }

    #[test]
    fn exceptions_have_no_text() {
        let r = parse_response(&response(1, &[1], &[NO_SUCH_OBJECT, 0])).unwrap();
        assert_eq!(r.text, None);
    }

    #[test]
    fn our_request_is_not_a_response() {
        assert!(parse_response(&V2C_GET).is_err());
    }

    #[test]
    fn hostile_inputs_fail_cleanly() {
        let good = {
            let mut value = Vec::new();
            ber::write_tlv(&mut value, ber::OCTET_STRING, b"x");
            response(0, &[7], &value)
        };
        for n in 0..good.len() {
            assert!(parse_response(&good[..n]).is_err(), "prefix {n}");
        }
        let mut lying = good.clone();
        lying[1] = 0x84; // a four-byte length that is not there
        assert!(parse_response(&lying).is_err());
        assert!(parse_response(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
    }
}
