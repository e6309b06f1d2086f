//! Mail: SMTP (EHLO lists STARTTLS, RFC 3207), POP3 (CAPA lists STLS,
//! RFC 2595) and IMAP (CAPABILITY lists STARTTLS and LOGINDISABLED,
//! RFC 9051). The greeting names the server.

use trustwatch_rules::observe::{CleartextDetail, IdentifiedBy, ServiceDetail};

use super::reply::{
    imap_capabilities, imap_tagged_done, lines, numbered_done, numbered_reply, pop3_multi_done,
    pop3_multi_lines,
};
use super::{ask, goodbye, product, set_product, whole_greeting, Session};

/// What the mail protocols call "upgrade this connection to TLS".
fn cleartext(starttls: Option<bool>, login_disabled: Option<bool>) -> ServiceDetail {
    ServiceDetail::Cleartext(CleartextDetail {
        starttls_offered: starttls,
        login_disabled_before_tls: login_disabled,
    })
}

/// Whether an EHLO answer lists STARTTLS; a refused EHLO means no ESMTP,
/// so no STARTTLS either.
pub(crate) fn smtp_starttls_offered(answer: &[u8]) -> Option<bool> {
    let (code, lines) = numbered_reply(answer)?;
    match code {
        250 => Some(lines.iter().skip(1).any(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case("STARTTLS"))
        })),
        500..=599 => Some(false),
        _ => None,
    }
}

pub(super) async fn identify_smtp(s: &mut Session<'_>) {
    let greeting = whole_greeting(s, numbered_done).await;
    let Some((code, lines)) = numbered_reply(&greeting) else {
        if greeting.is_empty() {
            s.found("smtp", IdentifiedBy::Port);
            s.note("smtp: no greeting");
        } else {
            s.note("smtp: not an SMTP greeting");
        }
        return;
    };
    s.found("smtp", IdentifiedBy::Banner);
    set_product(s, &lines, product::SMTP);
    if code != 220 {
        s.note(format!("smtp: greeting {code}: service not ready"));
        s.stream = None;
        return;
    }
    if !s.may_send() {
        return;
    }
    // `.invalid` (RFC 2606): a name that can never be anyone's.
    let answer = ask(
        s,
        "smtp",
        "EHLO",
        b"EHLO trustwatch.invalid\r\n",
        numbered_done,
    )
    .await;
    if let Some(answer) = answer {
        match smtp_starttls_offered(&answer) {
            Some(offered) => s.obs.detail = cleartext(Some(offered), None),
            None => s.note("smtp: EHLO answer not understood"),
        }
        if let Some((250, lines)) = numbered_reply(&answer) {
            if s.obs.product.is_none() {
                set_product(s, &lines[..1], product::SMTP);
            }
        }
    }
    goodbye(s, b"QUIT\r\n").await;
}

/// Whether a CAPA answer lists STLS; `-ERR` (no CAPA) means STLS cannot
/// have been advertised.
pub(crate) fn pop3_stls_offered(answer: &[u8]) -> Option<bool> {
    match pop3_multi_lines(answer) {
        Some(caps) => Some(caps.iter().any(|c| c.trim().eq_ignore_ascii_case("STLS"))),
        None => lines(answer)
            .first()
            .filter(|l| l.starts_with("-ERR"))
            .map(|_| false),
    }
}

/// A line-end: POP3 and IMAP greetings are one line.
fn has_line(bytes: &[u8]) -> bool {
    bytes.contains(&b'\n')
}

pub(super) async fn identify_pop3(s: &mut Session<'_>) {
    let banner = whole_greeting(s, has_line).await;
    let Some(first) = lines(&banner).first().cloned() else {
        if banner.is_empty() {
            s.found("pop3", IdentifiedBy::Port);
            s.note("pop3: no greeting");
        } else {
            s.note("pop3: not a POP3 greeting");
        }
        return;
    };
    if !first.starts_with("+OK") && !first.starts_with("-ERR") {
        s.note("pop3: not a POP3 greeting");
        return;
    }
    s.found("pop3", IdentifiedBy::Banner);
    set_product(s, std::slice::from_ref(&first), product::MAILBOX);
    if first.starts_with("-ERR") {
        s.note("pop3: greeting -ERR: service not ready");
        s.stream = None;
        return;
    }
    if !s.may_send() {
        return;
    }
    if let Some(answer) = ask(s, "pop3", "CAPA", b"CAPA\r\n", pop3_multi_done).await {
        match pop3_stls_offered(&answer) {
            Some(offered) => s.obs.detail = cleartext(Some(offered), None),
            None => s.note("pop3: CAPA answer not understood"),
        }
    }
    goodbye(s, b"QUIT\r\n").await;
}

/// (STARTTLS offered, LOGINDISABLED) from a capability list.
fn imap_detail(caps: &[String]) -> ServiceDetail {
    let has = |name: &str| caps.iter().any(|c| c == name);
    cleartext(Some(has("STARTTLS")), Some(has("LOGINDISABLED")))
}

pub(super) async fn identify_imap(s: &mut Session<'_>) {
    let banner = whole_greeting(s, has_line).await;
    let Some(first) = lines(&banner).first().cloned() else {
        if banner.is_empty() {
            s.found("imap", IdentifiedBy::Port);
            s.note("imap: no greeting");
        } else {
            s.note("imap: not an IMAP greeting");
        }
        return;
    };
    let upper = first.to_ascii_uppercase();
    if !["* OK", "* PREAUTH", "* BYE"]
        .iter()
        .any(|p| upper.starts_with(p))
    {
        s.note("imap: not an IMAP greeting");
        return;
    }
    s.found("imap", IdentifiedBy::Banner);
    // Skip the capability list: a word in it is no product name.
    let text = first.rsplit(']').next().unwrap_or(&first).to_owned();
    set_product(s, &[text], product::MAILBOX);
    if upper.starts_with("* BYE") {
        s.note("imap: greeting BYE: service not ready");
        s.stream = None;
        return;
    }
    let from_greeting = imap_capabilities(&banner);
    if let Some(caps) = &from_greeting {
        s.obs.detail = imap_detail(caps);
    }
    if !s.may_send() {
        return;
    }
    if from_greeting.is_none() {
        let answer = ask(s, "imap", "CAPABILITY", b"a1 CAPABILITY\r\n", |b| {
            imap_tagged_done(b, "a1")
        })
        .await;
        match answer.as_deref().and_then(imap_capabilities) {
            Some(caps) => s.obs.detail = imap_detail(&caps),
            None if answer.is_some() => s.note("imap: CAPABILITY answer not understood"),
            None => {}
        }
    }
    goodbye(s, b"a2 LOGOUT\r\n").await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ehlo_answers() {
        let exim = b"250-localhost Hello trustwatch.invalid [127.0.0.1]\r\n250-SIZE 52428800\r\n\
                     250-8BITMIME\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 HELP\r\n";
        assert_eq!(smtp_starttls_offered(exim), Some(true));
        assert_eq!(
            smtp_starttls_offered(b"250-localhost Hello\r\n250 HELP\r\n"),
            Some(false)
        );
        // The host name line is not a keyword line.
        assert_eq!(smtp_starttls_offered(b"250 STARTTLS\r\n"), Some(false));
        assert_eq!(smtp_starttls_offered(b"502 no EHLO\r\n"), Some(false));
        assert_eq!(smtp_starttls_offered(b"250-a\r\n"), None);
    }

    #[test]
    fn capa_answers() {
        assert_eq!(
            pop3_stls_offered(b"+OK\r\nCAPA\r\nTOP\r\nSTLS\r\n.\r\n"),
            Some(true)
        );
        assert_eq!(
            pop3_stls_offered(b"+OK\r\nTOP\r\nUSER\r\n.\r\n"),
            Some(false)
        );
        assert_eq!(pop3_stls_offered(b"-ERR no\r\n"), Some(false));
        assert_eq!(pop3_stls_offered(b"* OK\r\n"), None);
    }

    #[test]
    fn imap_details() {
        let caps: Vec<String> = ["IMAP4REV1", "STARTTLS", "LOGINDISABLED"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(imap_detail(&caps), cleartext(Some(true), Some(true)));
        assert_eq!(imap_detail(&caps[..1]), cleartext(Some(false), Some(false)));
    }
}
