//! MongoDB: one `buildInfo` command in an OP_MSG. buildInfo is read-only
//! and needs no authentication (the server exempts it, as it does `hello`),
//! and unlike `hello` it names the version. Servers older than 3.6 do not
//! speak OP_MSG and close the connection: they are named by port only.

mod bson;
mod op_msg;

use trustwatch_rules::observe::IdentifiedBy;

use super::Session;

/// What the buildInfo reply says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum BuildInfo {
    Version(String),
    /// `ok: 0`, with the server's `errmsg`.
    Refused(String),
}

pub(super) async fn identify(s: &mut Session<'_>) {
    if !s.may_send() {
        return;
    }
    let request = op_msg::request(1, &bson::command("buildInfo", "admin"));
    if let Err(e) = s.send(&request).await {
        s.note(format!("buildInfo: {e}"));
        return;
    }
    let wait = s.opts.io_timeout;
    let answer = s
        .read_until(wait, op_msg::message_complete)
        .await
        .unwrap_or_default();
    s.stream = None;
    if answer.is_empty() {
        s.found("mongodb", IdentifiedBy::Port);
        s.note("no answer to an OP_MSG buildInfo (a server older than 3.6?)");
        return;
    }
    match parse_build_info(&answer) {
        Ok(BuildInfo::Version(v)) => {
            s.found("mongodb", IdentifiedBy::Probe);
            s.obs.product = Some("MongoDB".into());
            s.obs.version = Some(v);
        }
        Ok(BuildInfo::Refused(why)) => {
            s.found("mongodb", IdentifiedBy::Probe);
            s.obs.product = Some("MongoDB".into());
            s.note(format!("buildInfo refused: {why}"));
        }
        Err(e) => {
            s.note(format!("buildInfo: {e}"));
            // A broken reply still names the port; a first word that is no
            // message length at all is another protocol.
            if !matches!(e, op_msg::OpMsgError::BadLength(_)) {
                s.found("mongodb", IdentifiedBy::Port);
            }
        }
    }
}

/// Reads a buildInfo reply: its `version`, or its `errmsg` when `ok` is 0.
fn parse_build_info(bytes: &[u8]) -> Result<BuildInfo, op_msg::OpMsgError> {
    let body = op_msg::reply_body(bytes)?;
    let fields = bson::fields(body)?;
    let get = |key: &[u8]| fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v);
    let ok = get(b"ok").and_then(bson::Value::as_f64) == Some(1.0);
    let version = get(b"version").and_then(bson::Value::as_str);
    match version {
        Some(v) if ok && is_version(&v) => Ok(BuildInfo::Version(v)),
        _ => {
            let why = get(b"errmsg")
                .and_then(bson::Value::as_str)
                .unwrap_or_else(|| "no version in the reply".into());
            Ok(BuildInfo::Refused(why.chars().take(120).collect()))
        }
    }
}

/// `7.0.5`, `4.4.29-rc1`: short and printable, nothing a report should not
/// carry.
fn is_version(v: &str) -> bool {
    !v.is_empty() && v.len() <= 40 && v.bytes().all(|b| b.is_ascii_graphic())
}

/// For [`super::parse`] (fuzzing and tests): whether `bytes` read as an
/// OP_MSG reply to buildInfo (a version or a refusal).
pub(super) fn parse_op_msg_reply(bytes: &[u8]) -> bool {
    op_msg::message_complete(bytes);
    parse_build_info(bytes).is_ok()
}

/// For [`super::parse`]: whether `bytes` start with a BSON document whose
/// top-level fields read (each as a number and as text, as buildInfo's
/// are read).
pub(super) fn parse_bson(bytes: &[u8]) -> bool {
    let Ok(fields) = bson::fields(bytes) else {
        return false;
    };
    for (_, value) in &fields {
        value.as_f64();
        value.as_str();
    }
    true
}

#[cfg(test)]
mod tests {
    //! MongoDB is not packaged in Debian 12 (its licence, the SSPL, is not
    //! free software by Debian's rules), so there is no real server to test
    //! against: these fixtures are written from the wire protocol and BSON
    //! specifications, in the shape of the buildInfo replies of MongoDB 7.0.

    use super::*;

    fn doc(body: &[u8]) -> Vec<u8> {
        let mut d = ((body.len() + 5) as i32).to_le_bytes().to_vec();
        d.extend_from_slice(body);
        d.push(0);
        d
    }

    fn reply(doc: &[u8]) -> Vec<u8> {
        let total = 16 + 4 + 1 + doc.len();
        let mut out = Vec::new();
        out.extend_from_slice(&(total as i32).to_le_bytes());
        out.extend_from_slice(&99i32.to_le_bytes());
        out.extend_from_slice(&1i32.to_le_bytes());
        out.extend_from_slice(&2013i32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.push(0);
        out.extend_from_slice(doc);
        out
    }

    #[test]
    fn the_version_is_read() {
        let mut body = Vec::new();
        body.extend_from_slice(b"\x02version\x00\x06\x00\x00\x007.0.5\x00");
        body.extend_from_slice(b"\x02gitVersion\x00\x05\x00\x00\x00abcd\x00");
        body.extend_from_slice(b"\x04versionArray\x00");
        body.extend_from_slice(&doc(b"\x100\x00\x07\x00\x00\x00"));
        body.extend_from_slice(b"\x10maxBsonObjectSize\x00\x00\x00\x00\x01");
        body.extend_from_slice(b"\x01ok\x00");
        body.extend_from_slice(&1.0f64.to_le_bytes());
        assert_eq!(
            parse_build_info(&reply(&doc(&body))),
            Ok(BuildInfo::Version("7.0.5".into()))
        );
    }

    #[test]
    fn a_refusal_keeps_its_message() {
        let mut body = Vec::new();
        body.extend_from_slice(b"\x01ok\x00");
        body.extend_from_slice(&0.0f64.to_le_bytes());
        body.extend_from_slice(b"\x02errmsg\x00\x0e\x00\x00\x00Unauthorized.\x00");
        body.extend_from_slice(b"\x10code\x00\x0d\x00\x00\x00");
        assert_eq!(
            parse_build_info(&reply(&doc(&body))),
            Ok(BuildInfo::Refused("Unauthorized.".into()))
        );
    }

    #[test]
    fn odd_versions_are_not_reported() {
        let mut body = Vec::new();
        body.extend_from_slice(b"\x02version\x00\x04\x00\x00\x00a b\x00");
        body.extend_from_slice(b"\x10ok\x00\x01\x00\x00\x00");
        assert_eq!(
            parse_build_info(&reply(&doc(&body))),
            Ok(BuildInfo::Refused("no version in the reply".into()))
        );
        assert!(parse_build_info(b"HTTP/1.1 400 Bad Request\r\n\r\n").is_err());
    }
}
