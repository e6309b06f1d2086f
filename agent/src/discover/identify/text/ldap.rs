//! LDAP (RFC 4511): one anonymous search of the RootDSE, without a bind —
//! the directory's own description, readable by anyone by design
//! (RFC 4512 §5.1). `supportedExtension` lists StartTLS
//! (1.3.6.1.4.1.1466.20037) when the server can upgrade; `vendorName` and
//! `vendorVersion`, where sent, name the product. Then an unbind.
//!
//! Only the BER LDAP allows is decoded (RFC 4511 §5.1: definite lengths,
//! one-byte tags).

use thiserror::Error;
use trustwatch_rules::observe::{CleartextDetail, IdentifiedBy, ServiceDetail};

use super::{ask, goodbye, Session};

const STARTTLS_OID: &str = "1.3.6.1.4.1.1466.20037";
/// OpenLDAP's Password Modify extended operation, under the OpenLDAP
/// Foundation's own arc: an OpenLDAP server that sends no vendorName.
const OPENLDAP_PASSWD_OID: &str = "1.3.6.1.4.1.4203.1.11.1";
/// Microsoft's arc: Active Directory's own extended operations.
const MICROSOFT_ARC: &str = "1.2.840.113556.";

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const ENUMERATED: u8 = 0x0a;
const BOOLEAN: u8 = 0x01;
/// [APPLICATION n] constructed.
const SEARCH_REQUEST: u8 = 0x63;
const SEARCH_ENTRY: u8 = 0x64;
const SEARCH_DONE: u8 = 0x65;
const SEARCH_REFERENCE: u8 = 0x73;
const EXTENDED_RESPONSE: u8 = 0x78;
/// [APPLICATION 2] primitive, empty.
const UNBIND: &[u8] = &[SEQUENCE, 5, INTEGER, 1, 2, 0x42, 0];
/// Filter `present` [7] primitive.
const FILTER_PRESENT: u8 = 0x87;
/// The largest message accepted: a RootDSE answer is a few hundred bytes.
const MAX_MESSAGE: usize = 64 * 1024;

/// BER that LDAP does not allow, or a message cut short.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum BadBer {
    #[error("truncated BER")]
    Truncated,
    #[error("BER of indefinite length, or over 64 KiB")]
    Length,
    #[error("BER tag 0x{found:02x} where 0x{expected:02x} belongs")]
    Tag { expected: u8, found: u8 },
}

/// A TLV's tag, its content, and the bytes it takes in all.
type Tlv<'a> = (u8, &'a [u8], usize);

/// One TLV at the start of `buf`. `Ok(None)` while more bytes are needed.
pub(crate) fn tlv(buf: &[u8]) -> Result<Option<Tlv<'_>>, BadBer> {
    let (Some(&tag), Some(&first)) = (buf.first(), buf.get(1)) else {
        return Ok(None);
    };
    let (len, head) = match first {
        0x00..=0x7f => (usize::from(first), 2),
        0x81..=0x84 => {
            let n = usize::from(first & 0x7f);
            let Some(bytes) = buf.get(2..2 + n) else {
                return Ok(None);
            };
            let len = bytes.iter().fold(0usize, |l, &b| l << 8 | usize::from(b));
            (len, 2 + n)
        }
        _ => return Err(BadBer::Length),
    };
    if len > MAX_MESSAGE {
        return Err(BadBer::Length);
    }
    let end = head + len;
    Ok(buf.get(head..end).map(|content| (tag, content, end)))
}

/// The TLVs inside a constructed value, all of which must be whole.
fn children(mut content: &[u8]) -> Result<Vec<(u8, &[u8])>, BadBer> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (tag, inner, used) = tlv(content)?.ok_or(BadBer::Truncated)?;
        out.push((tag, inner));
        content = &content[used..];
    }
    Ok(out)
}

fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n @ 0..=0x7f => out.push(n as u8),
        n @ 0x80..=0xff => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// The RootDSE search, message id 1: base "", scope base, never deref, no
/// size limit, a 10 s time limit, `(objectClass=*)`.
pub(crate) fn rootdse_request() -> Vec<u8> {
    let attrs: Vec<u8> = ["supportedExtension", "vendorName", "vendorVersion"]
        .iter()
        .flat_map(|a| encode(OCTET_STRING, a.as_bytes()))
        .collect();
    let mut search = encode(OCTET_STRING, b"");
    search.extend(encode(ENUMERATED, &[0])); // scope: baseObject
    search.extend(encode(ENUMERATED, &[0])); // derefAliases: never
    search.extend(encode(INTEGER, &[0])); // sizeLimit
    search.extend(encode(INTEGER, &[10])); // timeLimit
    search.extend(encode(BOOLEAN, &[0])); // typesOnly
    search.extend(encode(FILTER_PRESENT, b"objectClass"));
    search.extend(encode(SEQUENCE, &attrs));
    let mut message = encode(INTEGER, &[1]);
    message.extend(encode(SEARCH_REQUEST, &search));
    encode(SEQUENCE, &message)
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct RootDse {
    pub supported_extension: Vec<String>,
    pub vendor_name: Option<String>,
    pub vendor_version: Option<String>,
    /// The SearchResultDone result code (0 success, 49, 50 …).
    pub result_code: Option<u32>,
    /// A notice of disconnection or other extended response came instead.
    pub extended_response: bool,
}

/// Parses the LDAP messages in `buf`. `Ok(None)` while the search is not
/// finished (no SearchResultDone and no extended response yet).
pub(crate) fn parse_answer(mut buf: &[u8]) -> Result<Option<RootDse>, BadBer> {
    let mut dse = RootDse::default();
    loop {
        // Judge the tag before waiting for the length: a server that is
        // not LDAP is told apart at its first byte.
        match buf.first() {
            Some(&SEQUENCE) | None => {}
            Some(&found) => {
                return Err(BadBer::Tag {
                    expected: SEQUENCE,
                    found,
                })
            }
        }
        let Some((_, content, used)) = tlv(buf)? else {
            return Ok(None);
        };
        buf = &buf[used..];
        let parts = children(content)?;
        let [(INTEGER, _), (op, body), ..] = parts.as_slice() else {
            return Err(BadBer::Truncated);
        };
        match *op {
            SEARCH_ENTRY => read_entry(body, &mut dse)?,
            SEARCH_DONE => {
                dse.result_code = match children(body)?.first() {
                    Some((ENUMERATED, code)) => Some(
                        code.iter()
                            .take(4)
                            .fold(0u32, |c, &b| c << 8 | u32::from(b)),
                    ),
                    _ => None,
                };
                return Ok(Some(dse));
            }
            EXTENDED_RESPONSE => {
                dse.extended_response = true;
                return Ok(Some(dse));
            }
            SEARCH_REFERENCE => {}
            found => {
                return Err(BadBer::Tag {
                    expected: SEARCH_DONE,
                    found,
                })
            }
        }
    }
}

/// SearchResultEntry: objectName, then attributes (type and value set).
fn read_entry(body: &[u8], dse: &mut RootDse) -> Result<(), BadBer> {
    let parts = children(body)?;
    let Some((SEQUENCE, attrs)) = parts.get(1) else {
        return Err(BadBer::Truncated);
    };
    for (_, attr) in children(attrs)? {
        let attr = children(attr)?;
        let [(OCTET_STRING, name), (SET, vals)] = attr.as_slice() else {
            continue;
        };
        let values: Vec<String> = children(vals)?.into_iter().map(|(_, v)| text(v)).collect();
        match String::from_utf8_lossy(name).to_ascii_lowercase().as_str() {
            "supportedextension" => dse.supported_extension = values,
            "vendorname" => dse.vendor_name = values.into_iter().next(),
            "vendorversion" => dse.vendor_version = values.into_iter().next(),
            _ => {}
        }
    }
    Ok(())
}

fn text(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(200)
        .filter(|b| (0x20..0x7f).contains(*b))
        .map(|&b| b as char)
        .collect()
}

/// Product and version: the vendor's own words, else what the extension
/// OIDs give away.
pub(crate) fn product(dse: &RootDse) -> Option<(String, Option<String>)> {
    if let Some(vendor) = dse.vendor_name.as_ref().filter(|v| !v.is_empty()) {
        return Some((vendor.clone(), dse.vendor_version.clone()));
    }
    let ext = &dse.supported_extension;
    if ext.iter().any(|o| o.starts_with(MICROSOFT_ARC)) {
        return Some(("Microsoft Active Directory".into(), None));
    }
    if ext.iter().any(|o| o == OPENLDAP_PASSWD_OID) {
        return Some(("OpenLDAP".into(), None));
    }
    None
}

fn answer_done(bytes: &[u8]) -> bool {
    !matches!(parse_answer(bytes), Ok(None))
}

pub(super) async fn identify(s: &mut Session<'_>) {
    if !s.may_send() {
        s.found("ldap", IdentifiedBy::Port);
        return;
    }
    let Some(answer) = ask(s, "ldap", "RootDSE search", &rootdse_request(), answer_done).await
    else {
        s.found("ldap", IdentifiedBy::Port);
        return;
    };
    match parse_answer(&answer) {
        Ok(Some(dse)) => {
            s.found("ldap", IdentifiedBy::Probe);
            if let Some((product, version)) = product(&dse) {
                s.obs.product = Some(product);
                s.obs.version = version;
            }
            if dse.result_code == Some(0) {
                let offered = dse.supported_extension.iter().any(|o| o == STARTTLS_OID);
                s.obs.detail = ServiceDetail::Cleartext(CleartextDetail {
                    starttls_offered: Some(offered),
                    login_disabled_before_tls: None,
                });
            } else {
                s.note(match dse.result_code {
                    Some(code) => format!("ldap: RootDSE search refused (result {code})"),
                    None => "ldap: server ended the session instead of answering".to_owned(),
                });
            }
        }
        Ok(None) => {
            s.found("ldap", IdentifiedBy::Port);
            s.note("ldap: RootDSE answer incomplete");
        }
        Err(e) => {
            s.found("ldap", IdentifiedBy::Port);
            s.note(format!("ldap: {e}"));
        }
    }
    goodbye(s, UNBIND).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(attrs: &[(&str, &[&str])]) -> Vec<u8> {
        let mut list = Vec::new();
        for (name, vals) in attrs {
            let set: Vec<u8> = vals
                .iter()
                .flat_map(|v| encode(OCTET_STRING, v.as_bytes()))
                .collect();
            let mut attr = encode(OCTET_STRING, name.as_bytes());
            attr.extend(encode(SET, &set));
            list.extend(encode(SEQUENCE, &attr));
        }
        let mut body = encode(OCTET_STRING, b"");
        body.extend(encode(SEQUENCE, &list));
        let mut msg = encode(INTEGER, &[1]);
        msg.extend(encode(SEARCH_ENTRY, &body));
        encode(SEQUENCE, &msg)
    }

    fn done(code: u8) -> Vec<u8> {
        let mut body = encode(ENUMERATED, &[code]);
        body.extend(encode(OCTET_STRING, b""));
        body.extend(encode(OCTET_STRING, b""));
        let mut msg = encode(INTEGER, &[1]);
        msg.extend(encode(SEARCH_DONE, &body));
        encode(SEQUENCE, &msg)
    }

    #[test]
    fn request_is_the_rootdse_search() {
        let req = rootdse_request();
        let (tag, content, used) = tlv(&req).unwrap().unwrap();
        assert_eq!((tag, used), (SEQUENCE, req.len()));
        let parts = children(content).unwrap();
        assert_eq!(parts[0], (INTEGER, &[1u8][..]));
        assert_eq!(parts[1].0, SEARCH_REQUEST);
        let fields = children(parts[1].1).unwrap();
        assert_eq!(fields[0], (OCTET_STRING, &[][..]));
        assert_eq!(fields[6], (FILTER_PRESENT, &b"objectClass"[..]));
        assert_eq!(children(fields[7].1).unwrap().len(), 3);
    }

    #[test]
    fn openldap_answer() {
        let mut answer = entry(&[(
            "supportedExtension",
            &[
                STARTTLS_OID,
                "1.3.6.1.4.1.4203.1.11.1",
                "1.3.6.1.4.1.4203.1.11.3",
            ],
        )]);
        answer.extend(done(0));
        let dse = parse_answer(&answer).unwrap().unwrap();
        assert_eq!(dse.result_code, Some(0));
        assert!(dse.supported_extension.iter().any(|o| o == STARTTLS_OID));
        assert_eq!(product(&dse), Some(("OpenLDAP".into(), None)));
        for cut in 0..answer.len() {
            assert!(
                !matches!(parse_answer(&answer[..cut]), Ok(Some(_))),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn vendor_names_win() {
        let mut answer = entry(&[
            ("vendorName", &["389 Project"]),
            ("vendorVersion", &["389-Directory/2.3.1"]),
            ("supportedExtension", &["1.3.6.1.4.1.4203.1.11.1"]),
        ]);
        answer.extend(done(0));
        let dse = parse_answer(&answer).unwrap().unwrap();
        assert_eq!(
            product(&dse),
            Some(("389 Project".into(), Some("389-Directory/2.3.1".into())))
        );
    }

    #[test]
    fn refusals_and_garbage() {
        assert_eq!(
            parse_answer(&done(50)).unwrap().unwrap().result_code,
            Some(50)
        );
        assert_eq!(
            parse_answer(b"HTTP/1.1 400 Bad\r\n").unwrap_err(),
            BadBer::Tag {
                expected: SEQUENCE,
                found: b'H'
            }
        );
        assert_eq!(parse_answer(&[0x30, 0x80]), Err(BadBer::Length));
        assert_eq!(
            parse_answer(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            Err(BadBer::Length)
        );
        assert_eq!(parse_answer(&[0x30, 0x82, 0x01]), Ok(None));
        assert!(answer_done(&[0x30, 0x85]));
    }

    #[test]
    fn long_form_lengths() {
        let long = encode(OCTET_STRING, &[b'a'; 300]);
        assert_eq!(&long[..4], &[OCTET_STRING, 0x82, 1, 44]);
        let (_, content, used) = tlv(&long).unwrap().unwrap();
        assert_eq!((content.len(), used), (300, 304));
    }
}
