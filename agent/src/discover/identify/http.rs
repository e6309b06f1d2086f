//! HTTP and HTTPS: one `GET /`, and what its answer says.
//!
//! The request is the most ordinary one a browser could send (`Host` is the
//! address, `Connection: close`), so any web server, however fragile,
//! answers it as it answers every visitor. The answer is read with a
//! deadline and a cap ([`response::MAX_HEAD`] of head, [`response::MAX_BODY`]
//! of body): its status, `Server`, `X-Powered-By`, title and realm go into
//! [`HttpDetail`], and the page is matched against the fingerprints of
//! default pages and management interfaces (HTTP-006, HTTP-007).
//!
//! On a port whose service is unknown the same request tells HTTP from TLS:
//! a TLS server answers plain text with an alert (or, for nginx, Apache and
//! Go, with a 400 page saying so), and we then identify HTTPS on a second
//! connection. OpenSSL-based servers recognise a plain `GET` and just close
//! without an alert; a close with no byte therefore earns one TLS handshake
//! on a second connection too, and names nothing unless it succeeds.
//! Anything else that answers is noted, not named.

mod elastic;
mod fingerprints;
mod page;
mod response;
mod tls;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use trustwatch_rules::observe::{HttpDetail, IdentifiedBy, ServiceDetail};

use self::fingerprints::Page;
use self::response::{Response, MAX_BODY, MAX_HEAD};
use super::{io, printable_line, read_until, Hint, Session};

/// How long a TLS close_notify may take before we just close.
const CLOSE_WAIT: Duration = Duration::from_millis(500);

/// Identifies HTTP (or HTTPS when `tls`) on a port where it is expected.
pub(super) async fn identify(s: &mut Session<'_>, tls: bool) {
    // What silence on this port still suggests (`elasticsearch` on 9200).
    let by_port = Hint::for_port(s.addr.port())
        .service_name()
        .unwrap_or(if tls { "https" } else { "http" });
    if s.banner.starts_with(b"HTTP/") {
        return from_banner(s).await;
    }
    if !s.may_send() {
        s.found(by_port, IdentifiedBy::Port);
        s.note("gentle mode: nothing sent");
        return;
    }
    let wait = s.opts.io_timeout;
    if tls {
        let Some(tcp) = s.stream.take() else {
            s.note("no connection to identify HTTPS on");
            return;
        };
        over_tls(s, tcp, wait, Some(by_port), TlsGuess::Port).await;
    } else {
        over_plain(s, wait, Some(by_port)).await;
    }
}

/// Identifies an unknown port that stayed silent (or greeted with
/// something unrecognised): HTTP, HTTPS, or a note of what answered.
pub(super) async fn identify_unknown(s: &mut Session<'_>) {
    if s.banner.starts_with(b"HTTP/") {
        return from_banner(s).await;
    }
    if !s.may_send() {
        return;
    }
    over_plain(s, s.opts.quick_wait, None).await;
}

/// The server spoke HTTP before we did: read the rest, send nothing.
async fn from_banner(s: &mut Session<'_>) {
    let mut bytes = std::mem::take(&mut s.banner);
    if !response::complete(&bytes) {
        let cap = cap(s).saturating_sub(bytes.len());
        if let Some(stream) = s.stream.as_mut() {
            let head = bytes.clone();
            let whole = |more: &[u8]| response::complete(&[&head[..], more].concat());
            if let Ok(more) = read_until(stream, s.opts.quick_wait, cap, whole).await {
                bytes.extend_from_slice(&more);
            }
        }
    }
    match response::parse(&bytes) {
        Some(resp) => fill(s, &resp, "http", IdentifiedBy::Banner),
        None => s.note("unparseable HTTP greeting"),
    }
    s.banner = bytes;
}

/// What came back to a plain `GET /`.
enum Reply {
    Http(Response),
    /// A TLS record (alert or handshake) or an HTTP page saying TLS is
    /// wanted here.
    Tls,
    Other(Vec<u8>),
    Nothing,
}

fn classify(bytes: Vec<u8>) -> Reply {
    if bytes.is_empty() {
        return Reply::Nothing;
    }
    if let Some(resp) = response::parse(&bytes) {
        let body = String::from_utf8_lossy(&resp.body);
        if fingerprints::asks_for_tls(resp.status, &body) {
            return Reply::Tls;
        }
        return Reply::Http(resp);
    }
    // Content types 21 (alert) and 22 (handshake), major version 3.
    if bytes.len() >= 2 && matches!(bytes[0], 0x15 | 0x16) && bytes[1] == 0x03 {
        return Reply::Tls;
    }
    Reply::Other(bytes)
}

/// How sure we are, before a handshake, that a port speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsGuess {
    /// Only the port number says so (443, 8443…).
    Port,
    /// The server answered plain text with TLS (or said so in HTTP).
    Seen,
    /// The server closed at once without a byte: what OpenSSL-based
    /// servers do with a plain `GET` (they recognise it and send no alert).
    Maybe,
}

/// `GET /` on the session's connection; `by_port` names the service when
/// the port is a known HTTP port and the answer says nothing better.
async fn over_plain(s: &mut Session<'_>, wait: Duration, by_port: Option<&str>) {
    let request = request(s.addr);
    if let Err(e) = s.send(&request).await {
        s.note(format!("could not send GET /: {e}"));
        named_by_port(s, by_port);
        return;
    }
    let cap = cap(s);
    let Some(stream) = s.stream.as_mut() else {
        return;
    };
    let started = Instant::now();
    let reply = match read_until(stream, wait, cap, response::complete).await {
        Ok(bytes) => bytes,
        Err(e) => {
            s.note(format!("connection failed after GET /: {e}"));
            named_by_port(s, by_port);
            return;
        }
    };
    // An empty reply before the deadline means the peer closed on us.
    let closed = reply.is_empty() && started.elapsed() < wait;
    let https = by_port.filter(|name| *name == "https");
    match classify(reply) {
        Reply::Http(resp) => fill(s, &resp, "http", IdentifiedBy::Probe),
        Reply::Tls => reconnect_tls(s, https, TlsGuess::Seen).await,
        Reply::Other(bytes) => {
            let line = printable_line(&bytes);
            if s.obs.banner.is_none() {
                s.obs.banner = line.clone();
            }
            s.note(match line {
                Some(line) => format!("unrecognised answer to GET /: {line}"),
                None => format!(
                    "unrecognised binary answer to GET / ({} bytes)",
                    bytes.len()
                ),
            });
        }
        Reply::Nothing if closed => {
            reconnect_tls(s, https, TlsGuess::Maybe).await;
            if s.obs.service.is_none() {
                s.note("closed without answering GET /");
                named_by_port(s, by_port);
            }
        }
        Reply::Nothing => {
            s.note("no answer to GET /");
            named_by_port(s, by_port);
        }
    }
}

/// HTTPS on a fresh connection, the plain one being spent.
async fn reconnect_tls(s: &mut Session<'_>, by_port: Option<&str>, guess: TlsGuess) {
    s.stream = None;
    // Only a guess: the unknown port's short wait. Otherwise the server is
    // known to speak TLS and may be slow to handshake (an embedded CPU).
    let wait = if guess == TlsGuess::Maybe {
        s.opts.quick_wait
    } else {
        s.opts.io_timeout
    };
    let failed = match tokio::time::timeout(wait, s.reconnect()).await {
        Ok(Ok(tcp)) => return over_tls(s, tcp, wait, by_port, guess).await,
        Ok(Err(e)) => format!("could not reconnect for TLS: {e}"),
        Err(_) => "reconnecting for TLS timed out".to_owned(),
    };
    if guess == TlsGuess::Seen {
        s.found(by_port.unwrap_or("tls"), IdentifiedBy::Probe);
        s.note(format!("TLS detected; {failed}"));
    }
}

/// HTTPS on `tcp`. After TLS, the service is `https` when the page comes
/// back; otherwise `https` on an HTTPS port (`by_port`), else `tls`.
async fn over_tls(
    s: &mut Session<'_>,
    tcp: tokio::net::TcpStream,
    wait: Duration,
    by_port: Option<&str>,
    guess: TlsGuess,
) {
    let mut stream = match tls::connect(tcp, s.addr.ip(), wait).await {
        Ok(stream) => stream,
        Err(e) => {
            let how = match guess {
                _ if e.peer_speaks_tls() => IdentifiedBy::Probe,
                TlsGuess::Seen => IdentifiedBy::Probe,
                TlsGuess::Port => IdentifiedBy::Port,
                // A guess the handshake did not confirm: nothing learnt.
                TlsGuess::Maybe => return,
            };
            s.found(by_port.unwrap_or("tls"), how);
            s.note(e.to_string());
            return;
        }
    };
    let request = request(s.addr);
    let reply = match io::write_all(&mut stream, &request, wait).await {
        Ok(()) => read_until(&mut stream, wait, cap(s), response::complete)
            .await
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    close(&mut stream).await;
    match response::parse(&reply) {
        Some(resp) => fill(s, &resp, "https", IdentifiedBy::Probe),
        None => {
            s.found(by_port.unwrap_or("tls"), IdentifiedBy::Probe);
            s.note(if reply.is_empty() {
                "no answer to GET / over TLS".to_owned()
            } else {
                format!(
                    "unrecognised answer to GET / over TLS: {}",
                    printable_line(&reply).unwrap_or_default()
                )
            });
        }
    }
}

/// Leaves politely (close_notify), within [`CLOSE_WAIT`].
async fn close<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) {
    let _ = tokio::time::timeout(CLOSE_WAIT, stream.shutdown()).await;
}

/// Records what the answer says.
fn fill(s: &mut Session<'_>, resp: &Response, service: &str, how: IdentifiedBy) {
    let body = String::from_utf8_lossy(&resp.body);
    let title = page::title(&body);
    let realm = resp.all("www-authenticate").find_map(page::realm);
    let server = resp.header("server").map(page::clean);
    let header_names: Vec<&str> = resp.headers.iter().map(|(n, _)| n.as_str()).collect();
    let facts = Page {
        title: title.as_deref(),
        realm: realm.as_deref(),
        server: server.as_deref(),
        body: &body,
        header_names: &header_names,
    };
    let default_page = fingerprints::default_page(&facts).map(str::to_owned);
    let admin_interface = fingerprints::admin_interface(&facts).map(str::to_owned);
    if let Some(node) = elastic::recognise(&resp.body) {
        s.found("elasticsearch", how);
        s.obs.product = Some(node.product.to_owned());
        s.obs.version = node.version;
    } else {
        s.found(service, how);
        if let Some(server) = &server {
            let (product, version) = page::product_version(server);
            s.obs.product = Some(product);
            s.obs.version = version;
        } else if let Some(version) = title
            .as_deref()
            .and_then(|t| t.strip_prefix("Apache Tomcat/"))
        {
            // Tomcat sends no Server header but titles its pages with
            // its version.
            s.obs.product = Some("Apache Tomcat".into());
            s.obs.version = version.split_whitespace().next().map(str::to_owned);
        }
    }
    if !resp.head_complete {
        s.note(format!(
            "HTTP head cut short (longer than {} KiB or closed early)",
            MAX_HEAD / 1024
        ));
    }
    s.obs.detail = ServiceDetail::Http(HttpDetail {
        status: resp.status,
        server,
        powered_by: resp.header("x-powered-by").map(page::clean),
        title,
        auth_realm: realm,
        default_page,
        admin_interface,
    });
}

fn named_by_port(s: &mut Session<'_>, by_port: Option<&str>) {
    if let Some(name) = by_port {
        s.found(name, IdentifiedBy::Port);
    }
}

/// The most bytes read for one answer: head and body caps, within the
/// scan's per-connection limit.
fn cap(s: &Session<'_>) -> usize {
    s.opts.max_read.min(MAX_HEAD + MAX_BODY)
}

/// `GET /` as a browser would send it, naming the server by its address.
fn request(addr: SocketAddr) -> Vec<u8> {
    let host = match addr {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    };
    format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: trustwatch/{}\r\n\
         Accept: */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes()
}

/// For [`super::parse`] (fuzzing and tests): what identification makes of
/// `bytes` as the answer to `GET /`, recorded in `s` as over the network;
/// true when they are an HTTP response.
pub(super) fn read_answer(s: &mut Session<'_>, bytes: Vec<u8>) -> bool {
    response::complete(&bytes);
    match classify(bytes) {
        Reply::Http(resp) => {
            fill(s, &resp, "http", IdentifiedBy::Probe);
            true
        }
        Reply::Tls | Reply::Other(_) | Reply::Nothing => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_names_the_address() {
        let v4 = String::from_utf8(request("10.0.0.5:8080".parse().unwrap())).unwrap();
        assert!(v4.starts_with("GET / HTTP/1.1\r\nHost: 10.0.0.5\r\n"));
        assert!(v4.contains("User-Agent: trustwatch/"));
        assert!(v4.contains("Connection: close\r\n"));
        assert!(v4.ends_with("\r\n\r\n"));
        let v6 = String::from_utf8(request("[fd00::5]:80".parse().unwrap())).unwrap();
        assert!(v6.contains("Host: [fd00::5]\r\n"));
    }

    #[test]
    fn replies_are_classified() {
        assert!(matches!(classify(Vec::new()), Reply::Nothing));
        assert!(matches!(
            classify(b"\x15\x03\x01\x00\x02\x02\x46".to_vec()),
            Reply::Tls
        ));
        assert!(matches!(
            classify(b"\x16\x03\x03\x00\x10".to_vec()),
            Reply::Tls
        ));
        assert!(matches!(
            classify(
                b"HTTP/1.1 400 Bad Request\r\n\r\n<center>The plain HTTP request was sent to HTTPS port</center>"
                    .to_vec()
            ),
            Reply::Tls
        ));
        assert!(matches!(
            classify(b"HTTP/1.1 200 OK\r\n\r\nhi".to_vec()),
            Reply::Http(_)
        ));
        assert!(matches!(
            classify(b"-ERR unknown command\r\n".to_vec()),
            Reply::Other(_)
        ));
    }
}
