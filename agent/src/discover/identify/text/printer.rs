//! A raw printer port (JetDirect, 9100-9107), probed only when the scan
//! asks: the PJL `INFO ID` query nmap sends, wrapped in Universal Exit
//! Language escapes so the printer treats it as a job-less status query
//! and prints nothing.

use trustwatch_rules::observe::IdentifiedBy;

use super::{ask, Session};

const QUERY: &[u8] = b"\x1b%-12345X@PJL INFO ID\r\n\x1b%-12345X\r\n";

/// A PJL answer ends with a form feed.
fn answer_done(bytes: &[u8]) -> bool {
    bytes.contains(&0x0c)
}

/// The model in an `INFO ID` answer: the line after the echoed
/// `@PJL INFO ID`, usually quoted (`"HP LaserJet 4250"`).
pub(crate) fn parse_info_id(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text
        .split(['\r', '\n', '\x0c'])
        .map(str::trim)
        .filter(|l| !l.is_empty());
    lines.find(|l| l.to_ascii_uppercase().starts_with("@PJL INFO ID"))?;
    let model = lines.next()?.trim_matches('"').trim();
    let model: String = model
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(120)
        .collect();
    (!model.is_empty() && !model.starts_with('@')).then_some(model)
}

pub(super) async fn identify(s: &mut Session<'_>) {
    if !s.may_send() {
        s.found("jetdirect", IdentifiedBy::Port);
        return;
    }
    let answer = ask(s, "pjl", "INFO ID", QUERY, answer_done).await;
    match answer.as_deref().and_then(parse_info_id) {
        Some(model) => {
            s.found("jetdirect", IdentifiedBy::Probe);
            s.obs.product = Some(model);
        }
        None => {
            s.found("jetdirect", IdentifiedBy::Port);
            if answer.is_some() {
                s.note("pjl: INFO ID answer not understood");
            }
        }
    }
    s.stream = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_id_answers() {
        assert_eq!(
            parse_info_id(b"@PJL INFO ID\r\n\"HP LaserJet 4250\"\r\n\x0c").as_deref(),
            Some("HP LaserJet 4250")
        );
        assert_eq!(
            parse_info_id(b"@PJL INFO ID\r\nRICOH MP C3004\r\n\x0c").as_deref(),
            Some("RICOH MP C3004")
        );
        assert_eq!(parse_info_id(b"@PJL INFO ID\r\n\x0c"), None);
        assert_eq!(parse_info_id(b"HTTP/1.1 400 Bad Request\r\n"), None);
        assert!(answer_done(b"x\x0c"));
    }
}
