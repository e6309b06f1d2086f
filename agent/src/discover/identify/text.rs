//! The line and directory protocols that can carry passwords in clear:
//! FTP, SMTP, POP3, IMAP, Telnet, LDAP; and the PJL printer port.
//!
//! Each reads the greeting (all of it: FTP and SMTP greetings may span
//! lines), names the product, asks the one question that shows whether
//! TLS is offered before login (FEAT, EHLO, CAPA, CAPABILITY, the LDAP
//! RootDSE), and says goodbye (QUIT, LOGOUT, unbind). Nothing is sent in
//! gentle mode; nothing ever logs in.

pub(super) mod ftp;
pub(super) mod ldap;
pub(super) mod mail;
pub(super) mod printer;
pub(super) mod product;
pub(super) mod reply;
pub(super) mod telnet;

use super::{Hint, Session};

// FTP and SMTP both greet with 220, and the banner hint can only guess
// from words like "ESMTP"; a 220 greeting on the other protocol's port is
// taken to be that protocol.
pub(super) async fn identify_ftp(s: &mut Session<'_>) {
    if Hint::for_port(s.addr.port()) == Hint::Smtp {
        mail::identify_smtp(s).await;
    } else {
        ftp::identify(s).await;
    }
}
pub(super) async fn identify_telnet(s: &mut Session<'_>) {
    telnet::identify(s).await;
}
pub(super) async fn identify_smtp(s: &mut Session<'_>) {
    if Hint::for_port(s.addr.port()) == Hint::Ftp {
        ftp::identify(s).await;
    } else {
        mail::identify_smtp(s).await;
    }
}
pub(super) async fn identify_pop3(s: &mut Session<'_>) {
    mail::identify_pop3(s).await;
}
pub(super) async fn identify_imap(s: &mut Session<'_>) {
    mail::identify_imap(s).await;
}
pub(super) async fn identify_ldap(s: &mut Session<'_>) {
    ldap::identify(s).await;
}
pub(super) async fn identify_printer(s: &mut Session<'_>) {
    printer::identify(s).await;
}

/// The greeting, read on (sending nothing) until `done` says it is whole:
/// the first read stopped at the first line end.
async fn whole_greeting(s: &mut Session<'_>, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut greeting = s.banner.clone();
    if greeting.is_empty() || done(&greeting) || greeting.len() >= s.opts.max_read {
        return greeting;
    }
    let prev = greeting.clone();
    let more = s
        .read_until(s.opts.io_timeout, |b| done(&[prev.as_slice(), b].concat()))
        .await
        .unwrap_or_default();
    greeting.extend_from_slice(&more);
    greeting
}

/// Sends `command` (called `name` in notes) and reads the answer until
/// `done`, within the I/O timeout. A failure or silence becomes a note and
/// `None`.
async fn ask(
    s: &mut Session<'_>,
    proto: &str,
    name: &str,
    command: &[u8],
    done: impl Fn(&[u8]) -> bool,
) -> Option<Vec<u8>> {
    if let Err(e) = s.send(command).await {
        s.note(format!("{proto}: sending {name}: {e}"));
        return None;
    }
    match s.read_until(s.opts.io_timeout, done).await {
        Ok(answer) if answer.is_empty() => {
            s.note(format!("{proto}: no answer to {name}"));
            None
        }
        Ok(answer) => Some(answer),
        Err(e) => {
            s.note(format!("{proto}: reading the answer to {name}: {e}"));
            None
        }
    }
}

/// Says goodbye and closes: a polite client, so the server logs nothing
/// worse than a short session.
async fn goodbye(s: &mut Session<'_>, command: &[u8]) {
    let _ = s.send(command).await;
    s.stream = None;
}

/// Sets product and version from the first of `texts` that names one.
fn set_product(s: &mut Session<'_>, texts: &[String], table: product::Table) {
    if let Some((product, version)) = texts.iter().find_map(|t| product::find(t, table)) {
        s.obs.product = Some(product);
        s.obs.version = version;
    }
}
