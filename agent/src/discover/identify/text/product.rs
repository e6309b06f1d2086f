//! Product and version from the words of a greeting: `220 (vsFTPd 3.0.3)`,
//! `220 host ESMTP Exim 4.96 …`, `+OK Dovecot (Debian) ready.`.
//!
//! A product is named only when a known name appears; its version is the
//! first of the next three words that looks like one (`3.0.3`, `v15.1`),
//! so a date or a host name is never taken for a version.

/// (lower-case needle, product as usually written), most specific first.
pub(crate) type Table = &'static [(&'static str, &'static str)];

pub(crate) const FTP: Table = &[
    ("vsftpd", "vsftpd"),
    ("proftpd", "ProFTPD"),
    ("pure-ftpd", "Pure-FTPd"),
    ("filezilla server", "FileZilla Server"),
    ("microsoft ftp service", "Microsoft FTP Service"),
    ("serv-u", "Serv-U"),
    ("bftpd", "bftpd"),
    ("pyftpdlib", "pyftpdlib"),
    ("wu-ftpd", "WU-FTPD"),
];

pub(crate) const SMTP: Table = &[
    ("exim", "Exim"),
    ("postfix", "Postfix"),
    ("sendmail", "Sendmail"),
    ("microsoft esmtp", "Microsoft ESMTP"),
    ("opensmtpd", "OpenSMTPD"),
    ("dovecot", "Dovecot"),
    ("hmailserver", "hMailServer"),
    ("mdaemon", "MDaemon"),
    ("haraka", "Haraka"),
    ("zimbra", "Zimbra"),
    ("qmail", "qmail"),
];

/// POP3 and IMAP servers.
pub(crate) const MAILBOX: Table = &[
    ("dovecot", "Dovecot"),
    ("courier", "Courier"),
    ("cyrus", "Cyrus"),
    ("microsoft exchange", "Microsoft Exchange"),
    ("uw imap", "UW IMAP"),
    ("qpopper", "Qpopper"),
    ("zimbra", "Zimbra"),
    ("hmailserver", "hMailServer"),
    ("mdaemon", "MDaemon"),
];

/// Login banners that name a telnet server's system.
pub(crate) const TELNET: Table = &[
    ("user access verification", "Cisco IOS telnetd"),
    ("busybox", "BusyBox telnetd"),
    ("mikrotik", "MikroTik RouterOS telnetd"),
];

/// The first product of `table` named in `text`, and its version.
pub(crate) fn find(text: &str, table: Table) -> Option<(String, Option<String>)> {
    // ASCII lower-casing keeps byte offsets, so `text[at..]` lines up.
    let lower = text.to_ascii_lowercase();
    table.iter().find_map(|(needle, product)| {
        let at = lower.find(needle)? + needle.len();
        let version = text
            .get(at..)
            .unwrap_or("")
            .split_whitespace()
            .take(3)
            .find_map(version_word);
        Some(((*product).to_owned(), version))
    })
}

/// `3.0.3)` → `3.0.3`, `v15.1` → `15.1`, `8.15.2/8.15.2;` → `8.15.2`;
/// words without a digit-dot-digit shape are not versions.
fn version_word(word: &str) -> Option<String> {
    // `(` opens vsftpd's version; `[` opens addresses, never versions.
    let w = word.trim_start_matches('(');
    let w = match w.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => w,
    };
    let w = w.split('/').next().unwrap_or("");
    let w = w.trim_end_matches([')', ']', ',', ';', ':', '.']);
    let looks = w.starts_with(|c: char| c.is_ascii_digit())
        && w.contains('.')
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'));
    looks.then(|| w.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pv(text: &str, table: Table) -> Option<(String, Option<String>)> {
        find(text, table)
    }

    fn is(product: &str, version: Option<&str>) -> Option<(String, Option<String>)> {
        Some((product.to_owned(), version.map(str::to_owned)))
    }

    #[test]
    fn ftp_servers() {
        assert_eq!(pv("(vsFTPd 3.0.3)", FTP), is("vsftpd", Some("3.0.3")));
        assert_eq!(
            pv("ProFTPD 1.3.8 Server (Debian) [::ffff:10.0.0.1]", FTP),
            is("ProFTPD", Some("1.3.8"))
        );
        assert_eq!(
            pv("ProFTPD Server (Debian) [10.1.2.3]", FTP),
            is("ProFTPD", None)
        );
        assert_eq!(
            pv(
                "---------- Welcome to Pure-FTPd [privsep] [TLS] ----------",
                FTP
            ),
            is("Pure-FTPd", None)
        );
        assert_eq!(
            pv("FileZilla Server version 0.9.41 beta", FTP),
            is("FileZilla Server", Some("0.9.41"))
        );
        assert_eq!(
            pv("FileZilla Server 1.7.0", FTP),
            is("FileZilla Server", Some("1.7.0"))
        );
        assert_eq!(
            pv("Microsoft FTP Service", FTP),
            is("Microsoft FTP Service", None)
        );
        assert_eq!(
            pv("Serv-U FTP Server v15.1 ready...", FTP),
            is("Serv-U", Some("15.1"))
        );
        assert_eq!(pv("Welcome to the FTP server", FTP), None);
    }

    #[test]
    fn smtp_servers() {
        assert_eq!(
            pv(
                "localhost ESMTP Exim 4.96 Mon, 19 May 2025 10:00:00 +0000",
                SMTP
            ),
            is("Exim", Some("4.96"))
        );
        assert_eq!(
            pv("mx.example ESMTP Postfix (Debian/GNU)", SMTP),
            is("Postfix", None)
        );
        assert_eq!(
            pv("mx ESMTP Sendmail 8.15.2/8.15.2; Mon, 1 Jan 2024", SMTP),
            is("Sendmail", Some("8.15.2"))
        );
        assert_eq!(
            pv(
                "EX01.corp Microsoft ESMTP MAIL Service ready at Mon, 1 Jan 2024",
                SMTP
            ),
            is("Microsoft ESMTP", None)
        );
        assert_eq!(pv("mail.example.org ESMTP ready", SMTP), None);
    }

    #[test]
    fn mailbox_servers() {
        assert_eq!(pv("Dovecot (Debian) ready.", MAILBOX), is("Dovecot", None));
        assert_eq!(
            pv(
                "imap.example Cyrus IMAP v3.6.1-Debian server ready",
                MAILBOX
            ),
            is("Cyrus", Some("3.6.1-Debian"))
        );
    }

    #[test]
    fn odd_text_does_not_panic() {
        assert_eq!(pv("ÉXIM 4.9", SMTP), None);
        assert_eq!(pv("exim", SMTP), is("Exim", None));
        assert_eq!(pv("exim \u{1F600}1.2", SMTP), is("Exim", None));
    }
}
