//! memcached: the text protocol's `version` command, answered
//! `VERSION 1.6.18`. Read-only, and memcached has no login to try.

use trustwatch_rules::observe::IdentifiedBy;

use super::Session;

const VERSION: &[u8] = b"version\r\n";

/// What the answer to `version` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum VersionAnswer {
    Version(String),
    /// `ERROR`, `CLIENT_ERROR …` or `SERVER_ERROR …`: memcached's error
    /// lines (the text protocol off, or a proxy in front).
    Error(String),
}

pub(super) async fn identify(s: &mut Session<'_>) {
    if !s.may_send() {
        return;
    }
    if let Err(e) = s.send(VERSION).await {
        s.note(format!("version: {e}"));
        return;
    }
    let wait = s.opts.io_timeout;
    let answer = s
        .read_until(wait, |b| b.contains(&b'\n'))
        .await
        .unwrap_or_default();
    s.stream = None;
    match parse_version_answer(&answer) {
        Some(VersionAnswer::Version(v)) => {
            s.found("memcached", IdentifiedBy::Probe);
            s.obs.product = Some("memcached".into());
            s.obs.version = Some(v);
        }
        Some(VersionAnswer::Error(line)) => {
            s.found("memcached", IdentifiedBy::Probe);
            s.note(format!("version refused: {line}"));
        }
        None if answer.is_empty() => {
            s.found("memcached", IdentifiedBy::Port);
            s.note("no answer to version");
        }
        None => s.note("the answer to version is not memcached's"),
    }
}

/// Reads the first line of the answer to `version`.
pub(super) fn parse_version_answer(bytes: &[u8]) -> Option<VersionAnswer> {
    let end = bytes.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&bytes[..end]).ok()?;
    if let Some(v) = line.strip_prefix("VERSION ") {
        let v = v.trim();
        let printable = !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic());
        return printable.then(|| VersionAnswer::Version(v.to_owned()));
    }
    let error =
        line == "ERROR" || line.starts_with("CLIENT_ERROR ") || line.starts_with("SERVER_ERROR ");
    error.then(|| VersionAnswer::Error(line.chars().take(120).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::identify::mutate::mutate;

    #[test]
    fn versions_are_read() {
        assert_eq!(
            parse_version_answer(b"VERSION 1.6.18\r\n"),
            Some(VersionAnswer::Version("1.6.18".into()))
        );
        assert_eq!(
            parse_version_answer(b"ERROR\r\n"),
            Some(VersionAnswer::Error("ERROR".into()))
        );
    }

    #[test]
    fn strangers_and_hostile_lines_are_rejected() {
        assert_eq!(parse_version_answer(b"VERSION 1.6.18"), None);
        assert_eq!(parse_version_answer(b"HTTP/1.1 400 Bad\r\n"), None);
        assert_eq!(parse_version_answer(b"VERSION \r\n"), None);
        assert_eq!(parse_version_answer(b"VERSION a b\r\n"), None);
        assert_eq!(parse_version_answer(b"VERSION \xff\xfe\r\n"), None);
        let long = format!("VERSION {}\r\n", "1".repeat(100));
        assert_eq!(parse_version_answer(long.as_bytes()), None);
        assert_eq!(parse_version_answer(b""), None);
    }

    proptest::proptest! {
        #[test]
        fn mutated_lines_never_panic(
            cut in proptest::prelude::any::<usize>(),
            edits in proptest::collection::vec(proptest::prelude::any::<(usize, u8)>(), 0..8),
        ) {
            let bytes = mutate(b"VERSION 1.6.18\r\n", cut, &edits);
            let _ = parse_version_answer(&bytes);
        }
    }
}
