//! The seam between probes and the network: name resolution and TCP
//! connects, each bounded by a deadline.
//!
//! Failures here are observations ("connection refused", "timed out"), so
//! they come back as [`Unreachable`] with a human reason rather than as the
//! crate's error type.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::starttls::{self, Refusal, Starttls};
use crate::target::Host;

/// Why a target could not be reached; recorded in a finding's evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    pub reason: String,
}

impl Unreachable {
    pub fn new(reason: impl Into<String>) -> Self {
        Unreachable {
            reason: reason.into(),
        }
    }
}

/// At most this many resolved addresses are tried for one name: a name with
/// dozens of records must not turn one probe into dozens of connects.
const MAX_ADDRESSES: usize = 4;

/// Resolves DNS names with the system's resolver configuration. Cheap to
/// clone; built once per scan.
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

enum Inner {
    System(Box<TokioResolver>),
    /// The system configuration could not be read: every name lookup
    /// reports this, IP literals still work.
    Unavailable(String),
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.inner {
            Inner::System(_) => f.write_str("Resolver(system)"),
            Inner::Unavailable(why) => write!(f, "Resolver(unavailable: {why})"),
        }
    }
}

impl Resolver {
    /// The system resolver (`/etc/resolv.conf`, `/etc/hosts`). Building it
    /// opens no socket.
    pub fn system() -> Resolver {
        let inner = match TokioResolver::builder_tokio().and_then(|b| b.build()) {
            Ok(resolver) => Inner::System(Box::new(resolver)),
            Err(e) => Inner::Unavailable(format!(
                "the system DNS configuration could not be read ({e})"
            )),
        };
        Resolver {
            inner: Arc::new(inner),
        }
    }

    /// Addresses for `host`, IP literals as they are, names looked up before
    /// `deadline`.
    pub async fn resolve(
        &self,
        host: &Host,
        deadline: Instant,
    ) -> Result<Vec<IpAddr>, Unreachable> {
        let name = match host {
            Host::Ip(ip) => return Ok(vec![*ip]),
            Host::Name(name) => name.as_ref().to_owned(),
        };
        let resolver = match &*self.inner {
            Inner::System(r) => r,
            Inner::Unavailable(why) => {
                return Err(Unreachable::new(format!("could not resolve {name}: {why}")))
            }
        };
        // Resolved as any other tool on the host would (search list and
        // /etc/hosts included), so `intranet:443` means what the trust
        // means by it.
        let lookup = resolver.lookup_ip(name.as_str());
        match tokio::time::timeout_at(deadline, lookup).await {
            Err(_) => Err(Unreachable::new(format!(
                "could not resolve {name}: timed out"
            ))),
            Ok(Err(e)) => Err(Unreachable::new(format!("could not resolve {name}: {e}"))),
            Ok(Ok(found)) => {
                let addrs: Vec<IpAddr> = found.iter().take(MAX_ADDRESSES).collect();
                if addrs.is_empty() {
                    Err(Unreachable::new(format!(
                        "could not resolve {name}: no addresses"
                    )))
                } else {
                    Ok(addrs)
                }
            }
        }
    }
}

/// How to reach a TLS endpoint: its addresses and port, and the plaintext
/// protocol (if any) to upgrade with STARTTLS before TLS starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub addrs: Vec<IpAddr>,
    pub port: u16,
    pub starttls: Option<Starttls>,
}

/// The first pause after a server said it is busy; doubled each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// New connections after a busy answer, at most (pauses add up to 1.55 s).
const MAX_BUSY_RETRIES: u32 = 5;

/// A connection ready for the first TLS byte: connected, and upgraded with
/// STARTTLS when the endpoint needs it. Every TLS handshake a probe makes,
/// crafted or rustls, opens its connection here.
///
/// A STARTTLS server that answers "busy, try later" (a mail server's
/// session limit, still counting our previous, closed connections) is
/// tried again after a pause that doubles each time, a few times and never
/// past `deadline`: it asked for exactly that, and a probe that took the
/// refusal as the answer would report the suites it was enumerating as
/// rejected.
pub async fn open(endpoint: &Endpoint, deadline: Instant) -> Result<TcpStream, Unreachable> {
    let Some(protocol) = endpoint.starttls else {
        return connect(&endpoint.addrs, endpoint.port, deadline).await;
    };
    let mut backoff = FIRST_BACKOFF;
    let mut retries = 0;
    loop {
        let stream = connect(&endpoint.addrs, endpoint.port, deadline).await?;
        match starttls::negotiate(protocol, stream, deadline).await {
            Ok(stream) => return Ok(stream),
            Err(Refusal::Busy(u)) if retries < MAX_BUSY_RETRIES => {
                if Instant::now() + backoff >= deadline {
                    return Err(u);
                }
                tracing::debug!(reason = %u.reason, ?backoff, "STARTTLS server busy; trying again");
                tokio::time::sleep(backoff).await;
                backoff *= 2;
                retries += 1;
            }
            Err(refusal) => return Err(refusal.into_unreachable()),
        }
    }
}

/// Connects to the first address that accepts, before `deadline`. Tries the
/// addresses one after another, never in parallel.
pub async fn connect(
    addrs: &[IpAddr],
    port: u16,
    deadline: Instant,
) -> Result<TcpStream, Unreachable> {
    let mut last = Unreachable::new("no address to connect to");
    for ip in addrs {
        let addr = SocketAddr::new(*ip, port);
        match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
            Err(_) => return Err(Unreachable::new(format!("timed out connecting to {addr}"))),
            Ok(Ok(stream)) => {
                // Handshakes are small request/response exchanges; Nagle
                // would only add latency.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) => last = Unreachable::new(connect_reason(addr, &e)),
        }
    }
    Err(last)
}

fn connect_reason(addr: SocketAddr, e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionRefused => format!("connection refused by {addr}"),
        ErrorKind::TimedOut => format!("timed out connecting to {addr}"),
        _ => format!("could not connect to {addr}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ip_literals_are_not_resolved() {
        let r = Resolver {
            inner: Arc::new(Inner::Unavailable("test".into())),
        };
        let deadline = Instant::now() + Duration::from_secs(1);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(r.resolve(&Host::Ip(ip), deadline).await, Ok(vec![ip]));
        let name = Host::parse("example.invalid").unwrap();
        let err = r.resolve(&name, deadline).await.unwrap_err();
        assert_eq!(err.reason, "could not resolve example.invalid: test");
    }

    #[tokio::test]
    async fn refused_connect_is_reported_with_the_address() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let err = connect(&["127.0.0.1".parse().unwrap()], port, deadline)
            .await
            .unwrap_err();
        assert_eq!(
            err.reason,
            format!("connection refused by 127.0.0.1:{port}")
        );
    }
}
