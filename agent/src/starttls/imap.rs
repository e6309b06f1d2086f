//! IMAP STARTTLS (RFC 3501 §6.2.1, RFC 2595): greeting `* OK`, STARTTLS
//! among the capabilities (from the greeting's response code when the
//! server puts it there, saving a round trip, else from `CAPABILITY`), then
//! `STARTTLS` answered by a tagged OK.

use super::wire::{quote, Wire};
use super::Refusal;
use crate::net::Unreachable;

const CAPABILITY_TAG: &str = "tw1";
const STARTTLS_TAG: &str = "tw2";

/// One server line, as far as STARTTLS needs to tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Response<'a> {
    /// `* …`: the text after the star.
    Untagged(&'a str),
    /// `tag OK|NO|BAD text`.
    Tagged {
        tag: &'a str,
        status: Status,
        text: &'a str,
    },
    /// `+ …`: the server waits for more from us (not expected here).
    Continuation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    No,
    Bad,
}

pub(crate) fn parse(line: &str) -> Option<Response<'_>> {
    if let Some(rest) = line.strip_prefix("* ") {
        return Some(Response::Untagged(rest));
    }
    if line == "+" || line.starts_with("+ ") {
        return Some(Response::Continuation);
    }
    let (tag, rest) = line.split_once(' ')?;
    if tag.is_empty() || tag == "*" {
        return None;
    }
    let (word, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let status = match word.to_ascii_uppercase().as_str() {
        "OK" => Status::Ok,
        "NO" => Status::No,
        "BAD" => Status::Bad,
        _ => return None,
    };
    Some(Response::Tagged { tag, status, text })
}

/// Whether an untagged response lists STARTTLS, if it lists capabilities at
/// all: `CAPABILITY …`, or a greeting `OK [CAPABILITY …] …`.
pub(crate) fn lists_starttls(untagged: &str) -> Option<bool> {
    let list = if let Some(rest) = strip_word(untagged, "CAPABILITY") {
        rest
    } else {
        let code = strip_word(untagged, "OK")?.strip_prefix('[')?;
        let inside = &code[..code.find(']')?];
        strip_word(inside, "CAPABILITY")?
    };
    Some(
        list.split_ascii_whitespace()
            .any(|atom| atom.eq_ignore_ascii_case("STARTTLS")),
    )
}

/// `text` after a leading `word` (any case) and its separating space.
fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    if !head.eq_ignore_ascii_case(word) {
        return None;
    }
    let rest = &text[word.len()..];
    if rest.is_empty() {
        Some(rest)
    } else {
        rest.strip_prefix(' ')
    }
}

pub(super) async fn upgrade(wire: &mut Wire) -> Result<(), Refusal> {
    let greeting = wire.line().await?;
    let offered = match parse(&greeting) {
        Some(Response::Untagged(text)) if strip_word(text, "OK").is_some() => lists_starttls(text),
        Some(Response::Untagged(text)) if strip_word(text, "PREAUTH").is_some() => {
            return Err(
                wire.refuse("greeted with PREAUTH, so STARTTLS is not allowed (RFC 3501 §6.2.1)")
            )
        }
        _ => {
            return Err(wire.refuse(format_args!(
                "refused the IMAP session: {}",
                quote(&greeting)
            )))
        }
    };
    let offered = match offered {
        Some(offered) => offered,
        None => {
            wire.send(format!("{CAPABILITY_TAG} CAPABILITY\r\n").as_bytes())
                .await?;
            let mut offered = false;
            exchange(wire, CAPABILITY_TAG, "CAPABILITY", |text| {
                offered |= lists_starttls(text) == Some(true);
            })
            .await?;
            offered
        }
    };
    if !offered {
        return Err(wire.refuse("did not offer STARTTLS"));
    }
    wire.send(format!("{STARTTLS_TAG} STARTTLS\r\n").as_bytes())
        .await?;
    Ok(exchange(wire, STARTTLS_TAG, "STARTTLS", |_| {}).await?)
}

/// Reads until the response tagged `tag`, passing each untagged response
/// to `untagged`; Ok when that response is OK.
async fn exchange(
    wire: &mut Wire,
    tag: &str,
    command: &str,
    mut untagged: impl FnMut(&str),
) -> Result<(), Unreachable> {
    loop {
        let line = wire.line().await?;
        match parse(&line) {
            Some(Response::Tagged {
                tag: t,
                status: Status::Ok,
                ..
            }) if t == tag => return Ok(()),
            Some(Response::Tagged { tag: t, .. }) if t == tag => {
                return Err(wire.fail(format_args!("refused {command}: {}", quote(&line))))
            }
            Some(Response::Untagged(text)) if strip_word(text, "BYE").is_some() => {
                return Err(wire.fail(format_args!("ended the session: {}", quote(&line))))
            }
            Some(Response::Untagged(text)) => untagged(text),
            // Another tag, a continuation, or noise: not the answer we
            // wait for; the byte and time limits end an endless stream.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_tagged_untagged_and_continuation() {
        assert_eq!(
            parse("* CAPABILITY IMAP4rev1"),
            Some(Response::Untagged("CAPABILITY IMAP4rev1"))
        );
        assert_eq!(
            parse("tw2 OK Begin TLS negotiation now."),
            Some(Response::Tagged {
                tag: "tw2",
                status: Status::Ok,
                text: "Begin TLS negotiation now."
            })
        );
        assert_eq!(
            parse("tw2 bad"),
            Some(Response::Tagged {
                tag: "tw2",
                status: Status::Bad,
                text: ""
            })
        );
        assert_eq!(parse("+ go ahead"), Some(Response::Continuation));
        assert_eq!(parse("tw2 MAYBE x"), None);
        assert_eq!(parse("garbage"), None);
    }

    #[test]
    fn finds_starttls_in_greeting_or_capability() {
        let greeting = "OK [CAPABILITY IMAP4rev1 SASL-IR STARTTLS AUTH=PLAIN] Dovecot ready.";
        assert_eq!(lists_starttls(greeting), Some(true));
        assert_eq!(
            lists_starttls("OK [CAPABILITY IMAP4rev1] ready"),
            Some(false)
        );
        assert_eq!(lists_starttls("OK ready"), None);
        assert_eq!(lists_starttls("capability imap4rev1 starttls"), Some(true));
        assert_eq!(
            lists_starttls("CAPABILITY IMAP4rev1 LOGINDISABLED"),
            Some(false)
        );
        assert_eq!(lists_starttls("CAPABILITYSTARTTLS"), None);
        assert_eq!(
            lists_starttls("OK [CAPABILITY STARTTLS"),
            None,
            "unclosed code"
        );
    }

    proptest! {
        #[test]
        fn never_panics(line in "\\PC{0,60}") {
            let _ = parse(&line);
            let _ = lists_starttls(&line);
        }

        #[test]
        fn never_panics_on_near_misses(line in "(\\* |tw1 )?(OK |CAPABILITY |\\[)*[A-Za-z\\[\\] ]{0,30}") {
            let _ = parse(&line);
            let _ = lists_starttls(&line);
        }
    }
}
