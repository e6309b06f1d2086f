//! A file of targets for `scan --targets FILE`: one endpoint a line,
//!
//! ```text
//! # mail relays
//! mail.trust.nhs.uk:25                   # STARTTLS chosen by the port
//! 10.1.2.3:8443 sni=portal.trust.nhs.uk
//! db.trust.nhs.uk:6432 starttls=postgres
//! ```
//!
//! `#` starts a comment, blank lines are skipped. The whole file is checked
//! before any socket opens; the first bad line is an error naming the file
//! and the line.

use std::path::Path;

use rustls_pki_types::DnsName;

use super::{sni_name, Target};
use crate::error::{Error, Result};
use crate::starttls::StarttlsChoice;

/// The largest targets file read: a million endpoints fit in far less, and
/// a wrong path (a disk image, `/dev/zero`) must not be read without end.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// One line of a targets file. Options not given on the line fall back to
/// the command line's (`--sni`, `--starttls`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub target: Target,
    pub sni: Option<DnsName<'static>>,
    pub starttls: Option<StarttlsChoice>,
    /// `http` (check the web server behind this HTTPS endpoint) or
    /// `http=PORT` (and check plain HTTP on PORT for HTTP-001).
    pub http: Option<HttpOption>,
}

/// A line's `http` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOption {
    pub plain_port: Option<u16>,
}

/// Reads and parses `file`.
pub fn load(file: &Path) -> Result<Vec<Entry>> {
    let unreadable = |problem: String| Error::Arg {
        flag: "--targets",
        value: file.display().to_string(),
        problem,
    };
    let size = std::fs::metadata(file)
        .map_err(|e| unreadable(format!("cannot be read: {e}")))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(unreadable(format!(
            "is {size} bytes; a targets file may be at most {MAX_FILE_BYTES}"
        )));
    }
    let text =
        std::fs::read_to_string(file).map_err(|e| unreadable(format!("cannot be read: {e}")))?;
    parse(file, &text)
}

/// Parses the text of a targets file read from `file` (named in errors).
pub fn parse(file: &Path, text: &str) -> Result<Vec<Entry>> {
    // Files saved by Windows editors may start with a byte-order mark and
    // end lines with CR LF (CR is whitespace to the splitting below).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let content = raw.split_once('#').map_or(raw, |(before, _)| before);
        if content.trim().is_empty() {
            continue;
        }
        let entry = parse_line(content).map_err(|problem| Error::TargetsFile {
            file: file.to_owned(),
            line: index + 1,
            problem,
        })?;
        entries.push(entry);
    }
    Ok(entries)
}

/// One non-blank line, comment removed; the problem in words if bad.
fn parse_line(content: &str) -> std::result::Result<Entry, String> {
    let mut words = content.split_whitespace();
    let first = words.next().unwrap_or_default();
    let target = Target::parse(first).map_err(|e| match e {
        Error::Target { input, reason } => format!("target {input:?}: {reason}"),
        other => other.to_string(),
    })?;
    let mut entry = Entry {
        target,
        sni: None,
        starttls: None,
        http: None,
    };
    for word in words {
        if word == "http" {
            if entry.http.is_some() {
                return Err("http is given twice".into());
            }
            entry.http = Some(HttpOption { plain_port: None });
            continue;
        }
        let (key, value) = word.split_once('=').ok_or_else(|| {
            format!("{word:?}: expected sni=NAME, starttls=PROTO, http or http=PORT")
        })?;
        match key {
            "http" if entry.http.is_some() => return Err("http is given twice".into()),
            "http" => {
                let port = value
                    .parse::<u16>()
                    .ok()
                    .filter(|&p| p != 0)
                    .ok_or_else(|| format!("http={value:?}: expected a port from 1 to 65535"))?;
                entry.http = Some(HttpOption {
                    plain_port: Some(port),
                });
            }
            "sni" if entry.sni.is_some() => return Err("sni= is given twice".into()),
            "sni" => {
                let name = sni_name(value).map_err(|why| format!("sni={value:?}: {why}"))?;
                entry.sni = Some(name);
            }
            "starttls" if entry.starttls.is_some() => return Err("starttls= is given twice".into()),
            "starttls" => {
                let choice = value.parse::<StarttlsChoice>().map_err(|e| e.to_string())?;
                entry.starttls = Some(choice);
            }
            _ => {
                return Err(format!(
                    "unknown option {key:?} (expected sni=NAME, starttls=PROTO, http or http=PORT)"
                ))
            }
        }
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::starttls::Starttls;
    use proptest::prelude::*;

    fn problem(text: &str) -> (usize, String) {
        match parse(Path::new("t.txt"), text) {
            Err(Error::TargetsFile { line, problem, .. }) => (line, problem),
            other => panic!("expected a targets file error, got {other:?}"),
        }
    }

    #[test]
    fn parses_targets_options_comments_and_blanks() {
        let text = "# lab\n\n127.0.0.1:443\n  mail.example:25  # relay\n\
                    10.0.0.1:8443 sni=Portal.Example starttls=none\n\
                    [::1]:5432\tstarttls=POSTGRES sni=db.example\n";
        let entries = parse(Path::new("t.txt"), text).unwrap();
        let targets: Vec<&str> = entries.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(
            targets,
            [
                "127.0.0.1:443",
                "mail.example:25",
                "10.0.0.1:8443",
                "[::1]:5432"
            ]
        );
        assert_eq!(entries[1].starttls, None, "left to the port / --starttls");
        assert_eq!(entries[2].sni.as_ref().unwrap().as_ref(), "portal.example");
        assert_eq!(entries[2].starttls, Some(StarttlsChoice::Off));
        assert_eq!(
            entries[3].starttls,
            Some(StarttlsChoice::On(Starttls::Postgres))
        );
    }

    #[test]
    fn http_option_with_and_without_a_plain_port() {
        let entries = parse(
            Path::new("t.txt"),
            "a.example:8443 http\nb.example:443 http=8080\n",
        )
        .unwrap();
        assert_eq!(entries[0].http, Some(HttpOption { plain_port: None }));
        assert_eq!(
            entries[1].http,
            Some(HttpOption {
                plain_port: Some(8080)
            })
        );
        assert_eq!(
            problem("a.example:443 http=0").1,
            r#"http="0": expected a port from 1 to 65535"#
        );
        assert_eq!(problem("a.example:443 http http").1, "http is given twice");
    }

    #[test]
    fn bad_lines_name_the_line_and_the_problem() {
        assert_eq!(
            problem("127.0.0.1:443\n\nfoo\n"),
            (3, r#"target "foo": expected HOST:PORT"#.into())
        );
        assert_eq!(
            problem("a.example:25 starttls=smtps").1,
            "unknown STARTTLS protocol `smtps` (expected smtp, imap, pop3, ftp, ldap, postgres or none)"
        );
        assert_eq!(
            problem("a.example:443 sni=10.0.0.1").1,
            r#"sni="10.0.0.1": SNI carries a DNS name, not an IP address"#
        );
        assert_eq!(
            problem("a.example:443 port=1").1,
            r#"unknown option "port" (expected sni=NAME, starttls=PROTO, http or http=PORT)"#
        );
        assert_eq!(
            problem("a.example:443 sni=a.example sni=b.example").1,
            "sni= is given twice"
        );
        assert_eq!(
            problem("a.example:443 smtp").1,
            r#""smtp": expected sni=NAME, starttls=PROTO, http or http=PORT"#
        );
    }

    #[test]
    fn error_message_names_file_and_line() {
        let err = parse(Path::new("/etc/targets.txt"), "\n\nx:0\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"/etc/targets.txt line 3: target "x:0": the port must be a number from 1 to 65535"#
        );
    }

    #[test]
    fn windows_files_parse() {
        let text = "\u{feff}127.0.0.1:443\r\n# c\r\nmail.example:25 starttls=smtp\r\n";
        let entries = parse(Path::new("t"), text).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].target.as_str(), "127.0.0.1:443");
        assert_eq!(
            entries[1].starttls,
            Some(StarttlsChoice::On(Starttls::Smtp))
        );
    }

    #[test]
    fn only_comments_is_empty() {
        assert!(parse(Path::new("t"), "# none yet\n\n   \n")
            .unwrap()
            .is_empty());
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,200}") {
            let _ = parse(Path::new("t"), &text);
        }

        #[test]
        fn never_panics_on_near_misses(text in "([0-9a-z.:\\[\\]# =\n]|sni=|starttls=){0,60}") {
            let _ = parse(Path::new("t"), &text);
        }
    }
}
