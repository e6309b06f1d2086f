//! Identifying the service behind one open port.
//!
//! The order is nmap's, made cheaper: read the greeting for servers that
//! speak first; classify it; otherwise send the one probe the port number
//! suggests (or an HTTP `GET /` on an unknown port). Each protocol module
//! exposes `identify(&mut Session)` and fills in the session's observation;
//! a module never sends anything when [`Session::may_send`] is false
//! (gentle mode), and reads at most [`IdentifyOptions::max_read`] bytes.
//!
//! Identification never fails: a port that resets or stays silent is an
//! observation with a note, not an error.

mod dicom;
mod hint;
mod hl7;
mod http;
mod io;
mod memcached;
mod mongodb;
mod mssql;
#[cfg(test)]
mod mutate;
mod mysql;
pub mod parse;
mod postgres;
mod rdp;
mod redis;
mod smb;
pub mod snmp;
mod ssh;
mod text;
mod vnc;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use trustwatch_rules::observe::{IdentifiedBy, ServiceObservation, Transport};

pub use self::hint::Hint;
pub use self::io::{printable_line, read_until};
use crate::probe::BoxFuture;

/// What identification may do and how long it may wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifyOptions {
    /// Device-range mode: read what the server volunteers, send nothing.
    pub gentle: bool,
    /// Probe printer ports 9100-9107 beyond the connect. Off by default, as
    /// in nmap: a raw printer port prints whatever it is sent.
    pub probe_printers: bool,
    /// Longest wait for a greeting on a port whose service is unknown; the
    /// same bound applies to the answer to the generic probe sent there.
    /// Adapted per host from the sweep's round-trip times.
    pub quick_wait: Duration,
    /// Longest wait for a greeting or an answer from a service we expect
    /// (an SSH server on 22, an SMB server on 445): these can be slow.
    pub io_timeout: Duration,
    /// The most bytes read from one connection.
    pub max_read: usize,
    /// Called AE titles tried in the DICOM A-ASSOCIATE-RQ, in order.
    pub dicom_called_ae_titles: Vec<String>,
    /// Our calling AE title.
    pub dicom_calling_ae_title: String,
    /// SNMP communities tried (v2c, then v1), `public` by default.
    pub snmp_communities: Vec<String>,
}

impl Default for IdentifyOptions {
    fn default() -> Self {
        IdentifyOptions {
            gentle: false,
            probe_printers: false,
            quick_wait: Duration::from_millis(800),
            io_timeout: Duration::from_secs(5),
            max_read: 64 * 1024,
            dicom_called_ae_titles: vec!["ANY-SCP".into()],
            dicom_calling_ae_title: "TRUSTWATCH".into(),
            snmp_communities: vec!["public".into()],
        }
    }
}

/// How identification opens connections: through the scan's rate limits
/// (and gentle spacing), so a module that needs a second connection (SMB,
/// RDP) is paced like the sweep.
pub trait Dial: Send + Sync {
    fn dial(&self, addr: SocketAddr) -> BoxFuture<'_, std::io::Result<TcpStream>>;
}

/// One open port being identified: the first connection, the greeting read
/// on it, and the observation being filled in.
#[derive(Debug)]
pub struct Session<'a> {
    pub addr: SocketAddr,
    pub opts: &'a IdentifyOptions,
    dialer: &'a dyn DialDebug,
    /// The first connection; `None` once a module has closed it.
    pub stream: Option<TcpStream>,
    /// What the server sent before we sent anything (possibly empty).
    pub banner: Vec<u8>,
    pub obs: ServiceObservation,
}

/// [`Dial`] plus `Debug`, so a session can be printed.
pub trait DialDebug: Dial + std::fmt::Debug {}
impl<T: Dial + std::fmt::Debug> DialDebug for T {}

impl<'a> Session<'a> {
    /// False in gentle mode: the module must stop at what the banner says.
    pub fn may_send(&self) -> bool {
        !self.opts.gentle
    }

    /// A fresh connection to the same port, paced by the scan's limits.
    pub async fn reconnect(&self) -> std::io::Result<TcpStream> {
        self.dialer.dial(self.addr).await
    }

    /// Marks the port as `service`, found by `how`.
    pub fn found(&mut self, service: &str, how: IdentifiedBy) {
        self.obs.service = Some(service.to_owned());
        self.obs.identified_by = how;
    }

    /// Records why identification stopped short (first reason wins).
    pub fn note(&mut self, why: impl Into<String>) {
        if self.obs.note.is_none() {
            self.obs.note = Some(why.into());
        }
    }

    /// Writes all of `bytes` to the first connection within `io_timeout`.
    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(std::io::ErrorKind::NotConnected.into());
        };
        io::write_all(stream, bytes, self.opts.io_timeout).await
    }

    /// Reads from the first connection until `done` says the bytes so far
    /// are a whole answer, the peer closes, `wait` passes or `max_read`
    /// bytes arrive; returns what arrived (possibly nothing).
    pub async fn read_until(
        &mut self,
        wait: Duration,
        done: impl Fn(&[u8]) -> bool,
    ) -> std::io::Result<Vec<u8>> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(std::io::ErrorKind::NotConnected.into());
        };
        read_until(stream, wait, self.opts.max_read, done).await
    }
}

/// Identifies the service on TCP `addr`. Never fails.
pub async fn identify_tcp(
    addr: SocketAddr,
    opts: &IdentifyOptions,
    dialer: &(dyn DialDebug + '_),
) -> ServiceObservation {
    let mut obs = ServiceObservation::open(addr.ip().to_string(), addr.port(), Transport::Tcp);
    let hint = Hint::for_port(addr.port());
    if hint == Hint::Printer && !opts.probe_printers {
        // As nmap: a raw printer port prints what it is sent, so the
        // sweep's connect is all it gets.
        obs.service = Some("jetdirect".into());
        obs.identified_by = IdentifiedBy::Port;
        obs.note = Some("printer port: not probed beyond the connect".into());
        return obs;
    }
    let mut stream = match dialer.dial(addr).await {
        Ok(s) => s,
        Err(e) => {
            obs.note = Some(format!("could not reconnect to identify: {e}"));
            return obs;
        }
    };
    // A client-first protocol on its own port gets its probe at once: no
    // server of it will greet, and waiting would only slow the scan.
    let banner_wait = if hint.client_speaks_first() && !opts.gentle {
        Duration::ZERO
    } else if hint.server_speaks_first() {
        opts.io_timeout
    } else {
        opts.quick_wait
    };
    let banner = if banner_wait.is_zero() {
        Vec::new()
    } else {
        read_until(
            &mut stream,
            banner_wait,
            opts.max_read,
            io::greeting_complete,
        )
        .await
        .unwrap_or_default()
    };
    if !banner.is_empty() {
        obs.banner = printable_line(&banner);
    }
    let by_banner = Hint::from_banner(&banner);
    let mut session = Session {
        addr,
        opts,
        dialer,
        stream: Some(stream),
        banner,
        obs,
    };
    // A bare `220` greeting is FTP's and SMTP's alike; the port decides
    // when the greeting itself does not say.
    let chosen = match (by_banner, hint) {
        (Some(Hint::Ftp), Hint::Smtp) => Hint::Smtp,
        (Some(found), _) => found,
        (None, _) => hint,
    };
    if by_banner.is_some() {
        session.obs.identified_by = IdentifiedBy::Banner;
    }
    if !session.may_send() && session.banner.is_empty() {
        // Gentle: a silent port is named by its number only.
        if let Some(name) = chosen.service_name() {
            session.found(name, IdentifiedBy::Port);
        }
        session.note("gentle mode: nothing sent");
        return session.obs;
    }
    dispatch(chosen, &mut session).await;
    if session.obs.service.is_none() && !session.banner.is_empty() {
        session.note("unrecognised greeting");
    }
    session.obs
}

/// Runs the module for `hint`.
async fn dispatch(hint: Hint, s: &mut Session<'_>) {
    match hint {
        Hint::Ssh => ssh::identify(s).await,
        Hint::Ftp => text::identify_ftp(s).await,
        Hint::Telnet => text::identify_telnet(s).await,
        Hint::Smtp => text::identify_smtp(s).await,
        Hint::Pop3 => text::identify_pop3(s).await,
        Hint::Imap => text::identify_imap(s).await,
        Hint::Ldap => text::identify_ldap(s).await,
        Hint::Http => http::identify(s, false).await,
        Hint::Https => http::identify(s, true).await,
        Hint::Elasticsearch => http::identify(s, false).await,
        Hint::Smb => smb::identify(s).await,
        Hint::Rdp => rdp::identify(s).await,
        Hint::Vnc => vnc::identify(s).await,
        Hint::Mysql => mysql::identify(s).await,
        Hint::Postgres => postgres::identify(s).await,
        Hint::Mssql => mssql::identify(s).await,
        Hint::Redis => redis::identify(s).await,
        Hint::Mongodb => mongodb::identify(s).await,
        Hint::Memcached => memcached::identify(s).await,
        Hint::Dicom => dicom::identify(s).await,
        Hint::Hl7 => hl7::identify(s).await,
        // Asked to probe printers: a PJL status query is what nmap sends.
        Hint::Printer => text::identify_printer(s).await,
        // Unknown and silent: HTTP is by far the likeliest; the module
        // also recognises a TLS server by its alert.
        Hint::Unknown => http::identify_unknown(s).await,
    }
}
