//! FTP (RFC 959): the 220 greeting names the server; `FEAT` (RFC 2389)
//! lists `AUTH TLS` when the server can protect logins (RFC 4217 §6).

use trustwatch_rules::observe::{CleartextDetail, IdentifiedBy, ServiceDetail};

use super::reply::{numbered_done, numbered_reply};
use super::{ask, goodbye, product, set_product, whole_greeting, Session};

/// Whether a FEAT answer lists AUTH TLS: `Some(false)` for a FEAT that
/// lists features without it, or that is refused (a server offering AUTH
/// TLS must support FEAT); `None` for anything else.
pub(crate) fn auth_tls_offered(answer: &[u8]) -> Option<bool> {
    let (code, lines) = numbered_reply(answer)?;
    match code {
        211 => Some(lines.iter().any(|l| {
            let mut words = l.split_whitespace();
            words.next().is_some_and(|w| w.eq_ignore_ascii_case("AUTH"))
                && words.any(|w| w.eq_ignore_ascii_case("TLS"))
        })),
        500..=599 => Some(false),
        _ => None,
    }
}

pub(super) async fn identify(s: &mut Session<'_>) {
    let greeting = whole_greeting(s, numbered_done).await;
    let Some((code, lines)) = numbered_reply(&greeting) else {
        if greeting.is_empty() {
            s.found("ftp", IdentifiedBy::Port);
            s.note("ftp: no greeting");
        } else {
            s.note("ftp: not an FTP greeting");
        }
        return;
    };
    s.found("ftp", IdentifiedBy::Banner);
    set_product(s, &lines, product::FTP);
    if code != 220 {
        // 421 (too many users, not allowed) and the like: still FTP.
        s.note(format!("ftp: greeting {code}: service not ready"));
        s.stream = None;
        return;
    }
    if !s.may_send() {
        return;
    }
    let answer = ask(s, "ftp", "FEAT", b"FEAT\r\n", numbered_done).await;
    if let Some(offered) = answer.as_deref().and_then(auth_tls_offered) {
        s.obs.detail = ServiceDetail::Cleartext(CleartextDetail {
            starttls_offered: Some(offered),
            login_disabled_before_tls: None,
        });
    } else if answer.is_some() {
        s.note("ftp: FEAT answer not understood");
    }
    goodbye(s, b"QUIT\r\n").await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feat_answers() {
        assert_eq!(
            auth_tls_offered(b"211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n"),
            Some(true)
        );
        assert_eq!(
            auth_tls_offered(b"211-Features:\r\n AUTH SSL TLS\r\n211 End\r\n"),
            Some(true)
        );
        assert_eq!(
            auth_tls_offered(b"211-Features:\r\n EPRT\r\n MDTM\r\n211 End\r\n"),
            Some(false)
        );
        assert_eq!(auth_tls_offered(b"500 Unknown command.\r\n"), Some(false));
        assert_eq!(auth_tls_offered(b"211-Features:\r\n AUTH TLS\r\n"), None);
        assert_eq!(auth_tls_offered(b"HTTP/1.0 400\r\n"), None);
    }
}
