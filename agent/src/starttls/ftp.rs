//! FTP over TLS (RFC 4217 §4): greeting 220, then `AUTH TLS` answered by
//! 234.

use super::reply::{self, Style};
use super::wire::Wire;
use super::Refusal;

pub(super) async fn upgrade(wire: &mut Wire) -> Result<(), Refusal> {
    let greeting = reply::read(wire, Style::Ftp).await?;
    // 120 "service ready in n minutes" comes before the real greeting.
    let greeting = if greeting.code == 120 {
        reply::read(wire, Style::Ftp).await?
    } else {
        greeting
    };
    if greeting.code == 421 {
        return Err(wire.busy(format_args!("is busy: {}", greeting.quoted())));
    }
    if greeting.code != 220 {
        return Err(wire.refuse(format_args!(
            "refused the FTP session: {}",
            greeting.quoted()
        )));
    }
    wire.send(b"AUTH TLS\r\n").await?;
    let answer = reply::read(wire, Style::Ftp).await?;
    match answer.code {
        234 => Ok(()),
        // 500/502/504: AUTH or the TLS mechanism is not implemented.
        500 | 502 | 504 => Err(wire.refuse(format_args!(
            "did not offer STARTTLS (AUTH TLS answered {})",
            answer.quoted()
        ))),
        _ => Err(wire.refuse(format_args!(
            "refused STARTTLS (AUTH TLS answered {})",
            answer.quoted()
        ))),
    }
}
