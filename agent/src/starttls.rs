//! STARTTLS: the plaintext exchange that upgrades a connection to TLS for
//! mail, directory, file-transfer and database protocols.
//!
//! Each protocol lives in its own file: the pure parsing of the server's
//! replies (unit- and property-tested) apart from the short conversation
//! that drives it over a [`wire::Wire`], which bounds every read by line
//! length, total bytes and the caller's deadline. A server that does not
//! offer STARTTLS, refuses it, or answers nonsense is an observation, so it
//! comes back as [`Unreachable`] with a reason naming the server.

mod ftp;
mod imap;
mod ldap;
mod pop3;
mod postgres;
mod reply;
mod smtp;
mod wire;

use std::fmt;
use std::str::FromStr;

use tokio::net::TcpStream;
use tokio::time::Instant;

pub use self::smtp::SmtpProgress;
use self::wire::Wire;
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

    /// The protocol that conventionally upgrades with STARTTLS on `port`
    /// (IANA service names). The implicit-TLS ports (465 submissions,
    /// 993 imaps, 995 pop3s, 636 ldaps, 990 ftps) start with TLS at once, so
    /// they map to nothing, like every other port.
    pub fn for_port(port: u16) -> Option<Starttls> {
        match port {
            25 | 587 => Some(Starttls::Smtp),
            143 => Some(Starttls::Imap),
            110 => Some(Starttls::Pop3),
            21 => Some(Starttls::Ftp),
            389 => Some(Starttls::Ldap),
            5432 => Some(Starttls::Postgres),
            _ => None,
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

/// How a target chooses STARTTLS: by its port (the default), a named
/// protocol, or explicitly none (implicit TLS on a port that usually
/// upgrades, e.g. a test server on 5432).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StarttlsChoice {
    #[default]
    ByPort,
    Off,
    On(Starttls),
}

impl StarttlsChoice {
    /// The protocol to upgrade with on `port`, if any.
    pub fn resolve(self, port: u16) -> Option<Starttls> {
        match self {
            StarttlsChoice::ByPort => Starttls::for_port(port),
            StarttlsChoice::Off => None,
            StarttlsChoice::On(protocol) => Some(protocol),
        }
    }
}

/// Not a STARTTLS protocol name nor `none`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown STARTTLS protocol `{0}` (expected smtp, imap, pop3, ftp, ldap, postgres or none)")]
pub struct UnknownChoice(pub String);

impl FromStr for StarttlsChoice {
    type Err = UnknownChoice;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("none") {
            return Ok(StarttlsChoice::Off);
        }
        s.parse()
            .map(StarttlsChoice::On)
            .map_err(|_| UnknownChoice(s.to_owned()))
    }
}

/// Why an upgrade did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The server is busy and said to try again later: SMTP or FTP 421,
    /// POP3 `-ERR [IN-USE]` or `[SYS/TEMP]` (RFC 3206). Mail servers limit
    /// concurrent sessions (Exim: 20 by default) and may still be closing
    /// our previous connections when the next one arrives.
    Busy(Unreachable),
    /// Anything else: not offered, refused, broken, timed out.
    Failed(Unreachable),
}

impl Refusal {
    pub fn into_unreachable(self) -> Unreachable {
        match self {
            Refusal::Busy(u) | Refusal::Failed(u) => u,
        }
    }
}

impl From<Unreachable> for Refusal {
    fn from(u: Unreachable) -> Self {
        Refusal::Failed(u)
    }
}

/// Runs the plaintext upgrade on a fresh connection, before `deadline`;
/// afterwards the stream carries TLS records.
pub async fn negotiate(
    protocol: Starttls,
    stream: TcpStream,
    deadline: Instant,
) -> Result<TcpStream, Refusal> {
    let mut wire = Wire::new(protocol, stream, deadline);
    match protocol {
        Starttls::Smtp => smtp::upgrade(&mut wire).await?,
        Starttls::Imap => imap::upgrade(&mut wire).await?,
        Starttls::Pop3 => pop3::upgrade(&mut wire).await?,
        Starttls::Ftp => ftp::upgrade(&mut wire).await?,
        Starttls::Ldap => ldap::upgrade(&mut wire).await?,
        Starttls::Postgres => postgres::upgrade(&mut wire).await?,
    }
    Ok(wire.into_stream()?)
}

/// SMTP's upgrade on a fresh connection, noting each step reached in
/// `progress` (greeting, EHLO, STARTTLS offered, STARTTLS accepted), so
/// that a refusal can be told apart by where it happened. The stream comes
/// back ready for the first TLS byte.
pub async fn smtp_upgrade(
    stream: TcpStream,
    deadline: Instant,
    progress: &mut SmtpProgress,
) -> Result<TcpStream, Refusal> {
    let mut wire = Wire::new(Starttls::Smtp, stream, deadline);
    smtp::upgrade_noting(&mut wire, progress).await?;
    Ok(wire.into_stream()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_ports() {
        assert_eq!(Starttls::for_port(25), Some(Starttls::Smtp));
        assert_eq!(Starttls::for_port(587), Some(Starttls::Smtp));
        assert_eq!(Starttls::for_port(143), Some(Starttls::Imap));
        assert_eq!(Starttls::for_port(110), Some(Starttls::Pop3));
        assert_eq!(Starttls::for_port(21), Some(Starttls::Ftp));
        assert_eq!(Starttls::for_port(389), Some(Starttls::Ldap));
        assert_eq!(Starttls::for_port(5432), Some(Starttls::Postgres));
        for implicit in [443, 465, 993, 995, 636, 990, 8443] {
            assert_eq!(Starttls::for_port(implicit), None, "port {implicit}");
        }
    }

    #[test]
    fn choice_parses_and_resolves() {
        assert_eq!("SMTP".parse(), Ok(StarttlsChoice::On(Starttls::Smtp)));
        assert_eq!("none".parse(), Ok(StarttlsChoice::Off));
        assert_eq!(
            "smtps".parse::<StarttlsChoice>().unwrap_err().to_string(),
            "unknown STARTTLS protocol `smtps` (expected smtp, imap, pop3, ftp, ldap, postgres or none)"
        );
        assert_eq!(StarttlsChoice::ByPort.resolve(25), Some(Starttls::Smtp));
        assert_eq!(StarttlsChoice::Off.resolve(25), None);
        assert_eq!(
            StarttlsChoice::On(Starttls::Ldap).resolve(10389),
            Some(Starttls::Ldap)
        );
        for p in Starttls::ALL {
            assert_eq!(p.as_str().parse(), Ok(p));
        }
    }
}
