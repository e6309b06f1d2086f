//! The likeliest service on a port: from its number, or from its greeting.

/// A service the identifier has a module for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hint {
    Ssh,
    Ftp,
    Telnet,
    Smtp,
    Pop3,
    Imap,
    Ldap,
    Http,
    Https,
    Elasticsearch,
    Smb,
    Rdp,
    Vnc,
    Mysql,
    Postgres,
    Mssql,
    Redis,
    Mongodb,
    Memcached,
    Dicom,
    Hl7,
    Printer,
    Unknown,
}

impl Hint {
    /// The IANA (or de facto) assignment of `port`.
    pub fn for_port(port: u16) -> Hint {
        match port {
            22 | 2222 => Hint::Ssh,
            21 => Hint::Ftp,
            23 | 2323 => Hint::Telnet,
            25 | 465 | 587 => Hint::Smtp,
            110 => Hint::Pop3,
            143 => Hint::Imap,
            389 => Hint::Ldap,
            80 | 8000 | 8008 | 8080 | 8081 | 8888 | 16992 | 16994 => Hint::Http,
            443 | 8443 | 9443 | 16993 | 16995 => Hint::Https,
            9200 => Hint::Elasticsearch,
            139 | 445 => Hint::Smb,
            3389 => Hint::Rdp,
            5900..=5903 => Hint::Vnc,
            3306 => Hint::Mysql,
            5432 => Hint::Postgres,
            1433 => Hint::Mssql,
            6379 => Hint::Redis,
            27017 => Hint::Mongodb,
            11211 => Hint::Memcached,
            104 | 11112 => Hint::Dicom,
            2575 => Hint::Hl7,
            9100..=9107 => Hint::Printer,
            _ => Hint::Unknown,
        }
    }

    /// Recognises a greeting, whatever the port.
    pub fn from_banner(banner: &[u8]) -> Option<Hint> {
        let b = banner;
        if b.is_empty() {
            return None;
        }
        if b.starts_with(b"SSH-") {
            return Some(Hint::Ssh);
        }
        if b.starts_with(b"RFB ") {
            return Some(Hint::Vnc);
        }
        // Telnet servers open with option negotiation: IAC (255) then
        // DO/DONT/WILL/WONT (251-254).
        if b.len() >= 2 && b[0] == 255 && (251..=254).contains(&b[1]) {
            return Some(Hint::Telnet);
        }
        // MySQL/MariaDB: a 3-byte length, sequence 0, protocol 10 (or an
        // error packet 0xff when the host is not allowed).
        if b.len() >= 5 && b[3] == 0 && (b[4] == 10 || b[4] == 0xff) {
            let len = usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16;
            if len + 4 <= b.len() + 64 && len > 0 {
                return Some(Hint::Mysql);
            }
        }
        if b.starts_with(b"+OK") {
            return Some(Hint::Pop3);
        }
        if b.starts_with(b"* OK") || b.starts_with(b"* PREAUTH") {
            return Some(Hint::Imap);
        }
        if b.starts_with(b"220") {
            // FTP and SMTP both greet with 220; SMTP servers say so.
            let text = String::from_utf8_lossy(b).to_ascii_lowercase();
            let first = text.lines().next().unwrap_or("");
            if first.contains("smtp") || first.contains("esmtp") || first.contains("mail") {
                return Some(Hint::Smtp);
            }
            return Some(Hint::Ftp);
        }
        if b.starts_with(b"HTTP/") {
            return Some(Hint::Http);
        }
        None
    }

    /// The client must speak first: waiting for a greeting is wasted time.
    pub fn client_speaks_first(self) -> bool {
        matches!(
            self,
            Hint::Http
                | Hint::Https
                | Hint::Elasticsearch
                | Hint::Smb
                | Hint::Rdp
                | Hint::Postgres
                | Hint::Mssql
                | Hint::Redis
                | Hint::Mongodb
                | Hint::Memcached
                | Hint::Dicom
                | Hint::Hl7
                | Hint::Ldap
        )
    }

    /// The server greets first: its silence is worth a longer wait.
    pub fn server_speaks_first(self) -> bool {
        matches!(
            self,
            Hint::Ssh
                | Hint::Ftp
                | Hint::Telnet
                | Hint::Smtp
                | Hint::Pop3
                | Hint::Imap
                | Hint::Vnc
                | Hint::Mysql
        )
    }

    /// The service name a port implies, for gentle mode's port-only guess.
    pub fn service_name(self) -> Option<&'static str> {
        Some(match self {
            Hint::Ssh => "ssh",
            Hint::Ftp => "ftp",
            Hint::Telnet => "telnet",
            Hint::Smtp => "smtp",
            Hint::Pop3 => "pop3",
            Hint::Imap => "imap",
            Hint::Ldap => "ldap",
            Hint::Http => "http",
            Hint::Https => "https",
            Hint::Elasticsearch => "elasticsearch",
            Hint::Smb => "smb",
            Hint::Rdp => "rdp",
            Hint::Vnc => "vnc",
            Hint::Mysql => "mysql",
            Hint::Postgres => "postgresql",
            Hint::Mssql => "mssql",
            Hint::Redis => "redis",
            Hint::Mongodb => "mongodb",
            Hint::Memcached => "memcached",
            Hint::Dicom => "dicom",
            Hint::Hl7 => "hl7-mllp",
            Hint::Printer => "jetdirect",
            Hint::Unknown => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings_are_recognised() {
        assert_eq!(
            Hint::from_banner(b"SSH-2.0-OpenSSH_9.2p1\r\n"),
            Some(Hint::Ssh)
        );
        assert_eq!(Hint::from_banner(b"RFB 003.008\n"), Some(Hint::Vnc));
        assert_eq!(Hint::from_banner(&[255, 253, 24]), Some(Hint::Telnet));
        assert_eq!(
            Hint::from_banner(b"220 (vsFTPd 3.0.3)\r\n"),
            Some(Hint::Ftp)
        );
        assert_eq!(
            Hint::from_banner(b"220 mail.example ESMTP Exim 4.96\r\n"),
            Some(Hint::Smtp)
        );
        assert_eq!(
            Hint::from_banner(b"+OK Dovecot ready.\r\n"),
            Some(Hint::Pop3)
        );
        assert_eq!(
            Hint::from_banner(b"* OK [CAPABILITY IMAP4rev1] ready\r\n"),
            Some(Hint::Imap)
        );
        assert_eq!(Hint::from_banner(b"hello"), None);
        assert_eq!(Hint::from_banner(b""), None);
    }

    #[test]
    fn printer_ports_are_known() {
        for port in 9100..=9107 {
            assert_eq!(Hint::for_port(port), Hint::Printer);
        }
        assert_eq!(Hint::for_port(9108), Hint::Unknown);
    }
}
