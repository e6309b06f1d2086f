//! SMTP STARTTLS (RFC 3207): greeting 220, EHLO listing STARTTLS, then
//! `STARTTLS` answered by 220.

use std::net::SocketAddr;

use super::reply::{self, Reply, Style};
use super::wire::Wire;
use super::Refusal;

pub(super) async fn upgrade(wire: &mut Wire) -> Result<(), Refusal> {
    upgrade_noting(wire, &mut SmtpProgress::default()).await
}

/// How far an SMTP session got towards TLS, for checks that report each
/// step (the mail route's MAIL-007) rather than only the refusal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SmtpProgress {
    /// The server greeted with 220.
    pub greeted: bool,
    /// EHLO was answered with 250.
    pub ehlo: bool,
    /// The EHLO reply listed STARTTLS.
    pub offered: bool,
    /// STARTTLS was answered with 220.
    pub accepted: bool,
}

/// [`upgrade`], recording each step reached in `progress`.
pub(super) async fn upgrade_noting(
    wire: &mut Wire,
    progress: &mut SmtpProgress,
) -> Result<(), Refusal> {
    let greeting = reply::read(wire, Style::Smtp).await?;
    if greeting.code == 421 {
        return Err(wire.busy(format_args!("is busy: {}", greeting.quoted())));
    }
    if greeting.code != 220 {
        return Err(wire.refuse(format_args!(
            "refused the SMTP session: {}",
            greeting.quoted()
        )));
    }
    progress.greeted = true;
    let ehlo = format!("EHLO {}\r\n", helo_name(wire.local_addr()));
    wire.send(ehlo.as_bytes()).await?;
    let ehlo = reply::read(wire, Style::Smtp).await?;
    if ehlo.code != 250 {
        return Err(wire.refuse(format_args!("rejected EHLO: {}", ehlo.quoted())));
    }
    progress.ehlo = true;
    if !offers_starttls(&ehlo) {
        return Err(wire.refuse("did not offer STARTTLS"));
    }
    progress.offered = true;
    wire.send(b"STARTTLS\r\n").await?;
    let go = reply::read(wire, Style::Smtp).await?;
    if go.code != 220 {
        return Err(wire.refuse(format_args!("refused STARTTLS: {}", go.quoted())));
    }
    progress.accepted = true;
    Ok(())
}

/// True when an EHLO reply lists the STARTTLS extension. The first line is
/// the server's name, the others one extension keyword each, then
/// parameters.
pub(crate) fn offers_starttls(ehlo: &Reply) -> bool {
    ehlo.lines.iter().skip(1).any(|line| {
        line.split_ascii_whitespace()
            .next()
            .is_some_and(|keyword| keyword.eq_ignore_ascii_case("STARTTLS"))
    })
}

/// EHLO's argument: the address literal we connect from (RFC 5321 §4.1.3),
/// which is true and needs no DNS name for the scanning host.
pub(crate) fn helo_name(local: Option<SocketAddr>) -> String {
    match local {
        Some(SocketAddr::V4(a)) => format!("[{}]", a.ip()),
        Some(SocketAddr::V6(a)) => format!("[IPv6:{}]", a.ip()),
        None => "[127.0.0.1]".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(lines: &[&str]) -> Reply {
        Reply {
            code: 250,
            lines: lines.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn finds_starttls_among_extensions() {
        assert!(offers_starttls(&reply(&[
            "mx.example",
            "SIZE 1000",
            "starttls"
        ])));
        assert!(!offers_starttls(&reply(&[
            "mx.example",
            "STARTTLSX",
            "AUTH PLAIN"
        ])));
        assert!(
            !offers_starttls(&reply(&["STARTTLS"])),
            "the first line is the name"
        );
        assert!(!offers_starttls(&reply(&["mx.example", "AUTH STARTTLS"])));
    }

    #[test]
    fn helo_is_an_address_literal() {
        assert_eq!(
            helo_name(Some("127.0.0.5:4000".parse().unwrap())),
            "[127.0.0.5]"
        );
        assert_eq!(helo_name(Some("[::1]:4000".parse().unwrap())), "[IPv6:::1]");
    }
}
