//! STARTTLS: the plaintext exchange that upgrades a connection to TLS for
//! mail, directory, file-transfer and database protocols.

use std::fmt;
use std::str::FromStr;

use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::net::Unreachable;

/// A protocol whose connections start in plaintext and upgrade to TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Starttls {
    Smtp,
    Imap,
    Pop3,
    Ftp,
    Ldap,
    Postgres,
}

impl Starttls {
    pub const ALL: [Starttls; 6] = [
        Starttls::Smtp,
        Starttls::Imap,
        Starttls::Pop3,
        Starttls::Ftp,
        Starttls::Ldap,
        Starttls::Postgres,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Starttls::Smtp => "smtp",
            Starttls::Imap => "imap",
            Starttls::Pop3 => "pop3",
            Starttls::Ftp => "ftp",
            Starttls::Ldap => "ldap",
            Starttls::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Starttls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not one of the STARTTLS protocols.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown STARTTLS protocol `{0}` (expected smtp, imap, pop3, ftp, ldap or postgres)")]
pub struct UnknownStarttls(pub String);

impl FromStr for Starttls {
    type Err = UnknownStarttls;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Starttls::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownStarttls(s.to_owned()))
    }
}

/// Runs the plaintext upgrade on a fresh connection, before `deadline`;
/// afterwards the stream carries TLS records.
pub async fn negotiate(
    protocol: Starttls,
    stream: TcpStream,
    deadline: Instant,
) -> Result<TcpStream, Unreachable> {
    let _ = (stream, deadline);
    Err(Unreachable::new(format!(
        "STARTTLS for {protocol} is not supported yet"
    )))
}
