//! Redis: `INFO server`, read-only, answered with the version unless the
//! server wants a password first (which is what a server should want).

use trustwatch_rules::observe::IdentifiedBy;

use super::Session;

/// `INFO server` as a RESP array.
const INFO_SERVER: &[u8] = b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n";

/// What the answer to `INFO server` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum InfoAnswer {
    /// The INFO text: product (`Redis`, or `Valkey` for the fork that says
    /// so) and version.
    Info {
        product: &'static str,
        version: Option<String>,
    },
    /// A RESP error: `-NOAUTH …`, `-DENIED …`, `-NOPERM …`, `-ERR …`.
    Error(String),
}

pub(super) async fn identify(s: &mut Session<'_>) {
    if !s.may_send() {
        return;
    }
    if let Err(e) = s.send(INFO_SERVER).await {
        s.note(format!("INFO: {e}"));
        return;
    }
    let wait = s.opts.io_timeout;
    let answer = s.read_until(wait, reply_complete).await.unwrap_or_default();
    s.stream = None;
    match parse_info_answer(&answer) {
        Some(InfoAnswer::Info { product, version }) => {
            s.found("redis", IdentifiedBy::Probe);
            s.obs.product = Some(product.into());
            s.obs.version = version;
            if !reply_complete(&answer) {
                s.note("the INFO answer was cut short");
            }
        }
        Some(InfoAnswer::Error(text)) => {
            s.found("redis", IdentifiedBy::Probe);
            // These error codes are Redis's own; a bare `-ERR` could be
            // any RESP server.
            if ["NOAUTH", "WRONGPASS", "DENIED", "NOPERM"].contains(&error_code(&text)) {
                s.obs.product = Some("Redis".into());
            }
            s.note(error_note(&text));
        }
        None if answer.is_empty() => {
            s.found("redis", IdentifiedBy::Port);
            s.note("no answer to INFO");
        }
        None => s.note("the answer to INFO is not Redis's"),
    }
}

/// A note for a refused INFO: the good refusals in words, others as sent.
fn error_note(text: &str) -> String {
    match error_code(text) {
        "NOAUTH" | "WRONGPASS" => "authentication required".into(),
        "DENIED" => "access denied (protected mode)".into(),
        "NOPERM" => "INFO not permitted for the default user".into(),
        _ => format!(
            "INFO refused: {}",
            text.chars().take(120).collect::<String>()
        ),
    }
}

fn error_code(text: &str) -> &str {
    text.split(' ').next().unwrap_or("")
}

/// True once `bytes` hold a whole RESP reply: a line for `+`, `-`, `:`; a
/// bulk string once its announced length and CRLF are in.
fn reply_complete(bytes: &[u8]) -> bool {
    let Some(line_end) = find_crlf(bytes) else {
        return false;
    };
    if bytes.first() != Some(&b'$') {
        return true;
    }
    match bulk_len(&bytes[1..line_end]) {
        Some(len) => bytes.len() >= line_end.saturating_add(4).saturating_add(len),
        None => true,
    }
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

/// A bulk string's length; `None` for the null bulk string (`-1`) and for
/// anything that is not a number.
fn bulk_len(text: &[u8]) -> Option<usize> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Reads the answer to `INFO server`.
pub(super) fn parse_info_answer(bytes: &[u8]) -> Option<InfoAnswer> {
    let line_end = find_crlf(bytes)?;
    let first = &bytes[..line_end];
    match first.first()? {
        b'-' => Some(InfoAnswer::Error(
            String::from_utf8_lossy(&first[1..]).into_owned(),
        )),
        b'$' => {
            let len = bulk_len(&first[1..])?;
            // A short read keeps what arrived: the version is near the top.
            let start = line_end + 2;
            let end = bytes.len().min(start.saturating_add(len));
            let text = String::from_utf8_lossy(bytes.get(start..end)?);
            parse_info_text(&text)
        }
        _ => None,
    }
}

/// Reads `key:value` lines; the text must look like INFO (a `# Server`
/// section or a `redis_version`) to count as Redis.
fn parse_info_text(text: &str) -> Option<InfoAnswer> {
    let field = |key: &str| {
        text.lines().find_map(|line| {
            let value = line.strip_prefix(key)?.strip_prefix(':')?.trim();
            (!value.is_empty()).then(|| value.chars().take(40).collect::<String>())
        })
    };
    let redis_version = field("redis_version");
    if redis_version.is_none() && !text.starts_with("# Server") {
        return None;
    }
    // Valkey reports a Redis-compatible `redis_version` beside its own.
    if field("server_name").as_deref() == Some("valkey") {
        return Some(InfoAnswer::Info {
            product: "Valkey",
            version: field("valkey_version").or(redis_version),
        });
    }
    Some(InfoAnswer::Info {
        product: "Redis",
        version: redis_version,
    })
}

/// For [`super::parse`] (fuzzing and tests): whether `bytes` read as an
/// answer to `INFO server`, a refusal put into the words of the note.
pub(super) fn parse_answer(bytes: &[u8]) -> bool {
    reply_complete(bytes);
    match parse_info_answer(bytes) {
        Some(InfoAnswer::Error(text)) => {
            error_note(&text);
            true
        }
        Some(InfoAnswer::Info { .. }) => true,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::identify::mutate::mutate;

    fn bulk(text: &str) -> Vec<u8> {
        format!("${}\r\n{}\r\n", text.len(), text).into_bytes()
    }

    #[test]
    fn the_version_is_read() {
        let reply = bulk("# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_mode:standalone\r\n");
        assert!(reply_complete(&reply));
        assert!(!reply_complete(&reply[..reply.len() - 1]));
        assert_eq!(
            parse_info_answer(&reply),
            Some(InfoAnswer::Info {
                product: "Redis",
                version: Some("7.0.15".into())
            })
        );
    }

    #[test]
    fn valkey_says_so() {
        let reply = bulk(
            "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\n",
        );
        assert_eq!(
            parse_info_answer(&reply),
            Some(InfoAnswer::Info {
                product: "Valkey",
                version: Some("8.0.1".into())
            })
        );
    }

    #[test]
    fn refusals_are_notes() {
        let reply = b"-NOAUTH Authentication required.\r\n";
        assert!(reply_complete(reply));
        let Some(InfoAnswer::Error(text)) = parse_info_answer(reply) else {
            panic!("not an error");
        };
        assert_eq!(error_note(&text), "authentication required");
        assert_eq!(
            error_note("DENIED Redis is running in protected mode"),
            "access denied (protected mode)"
        );
        assert_eq!(
            error_note("ERR unknown command"),
            "INFO refused: ERR unknown command"
        );
    }

    #[test]
    fn strangers_are_not_redis() {
        assert_eq!(parse_info_answer(b"HTTP/1.1 400 Bad Request\r\n"), None);
        assert_eq!(parse_info_answer(&bulk("hello world")), None);
        assert_eq!(parse_info_answer(b"+OK\r\n"), None);
        assert_eq!(parse_info_answer(b""), None);
    }

    #[test]
    fn hostile_lengths_are_bounded() {
        // A bulk string announcing 2^63 bytes: complete never (we stop at
        // the size cap), parsed from what arrived without overflow.
        let huge = b"$9223372036854775807\r\n# Server\r\nredis_version:1.2.3\r\n";
        assert!(!reply_complete(huge));
        assert_eq!(
            parse_info_answer(huge),
            Some(InfoAnswer::Info {
                product: "Redis",
                version: Some("1.2.3".into())
            })
        );
        // Negative, junk and missing lengths.
        assert!(reply_complete(b"$-1\r\n"));
        assert_eq!(parse_info_answer(b"$-1\r\n"), None);
        assert_eq!(parse_info_answer(b"$abc\r\nxyz"), None);
        assert!(!reply_complete(b"$12"));
        // A version line of a megabyte is cut to 40 characters.
        let long = bulk(&format!(
            "# Server\r\nredis_version:{}\r\n",
            "9".repeat(1 << 20)
        ));
        let Some(InfoAnswer::Info { version, .. }) = parse_info_answer(&long) else {
            panic!("not info");
        };
        assert_eq!(version.map(|v| v.len()), Some(40));
    }

    proptest::proptest! {
        #[test]
        fn mutated_replies_never_panic(
            cut in proptest::prelude::any::<usize>(),
            edits in proptest::collection::vec(proptest::prelude::any::<(usize, u8)>(), 0..8),
        ) {
            let bytes = mutate(&bulk("# Server\r\nredis_version:7.0.15\r\n"), cut, &edits);
            let _ = reply_complete(&bytes);
            let _ = parse_info_answer(&bytes);
        }
    }
}
