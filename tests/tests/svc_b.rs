//! Service identification, group B, against real servers from Debian's
//! packages started on loopback by each test: Samba (SMB1 on and off,
//! signing mandatory or not, direct TCP and the NetBIOS session port),
//! xrdp (standard security, TLS only, negotiate), PostgreSQL (TLS on and
//! off), Redis (open and with `requirepass`) and memcached.
//!
//! Identification picks its probe from the port number, and the lab's
//! servers listen wherever a port was free; so each test asks to identify
//! the service's well-known port and a [`Redirect`] dialer connects to
//! where the server really listens (the same seam the scan's rate limits
//! use). It also counts connections, so a test can see how many a probe
//! made.
//!
//! No Debian package provides Microsoft SQL Server or MongoDB (MongoDB left
//! Debian over its licence, the SSPL): their modules are checked here
//! against scripted loopback peers that answer with fixtures written from
//! MS-TDS and the MongoDB wire protocol, and their codecs are unit-tested
//! in the agent.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use trustwatch_agent::discover::identify::{identify_tcp, Dial, IdentifyOptions};
use trustwatch_agent::probe::BoxFuture;
use trustwatch_e2e::svclab::{memcached, postgres, redis, samba, xrdp};
use trustwatch_e2e::tlslab::launch::{pick_port, AddressPlan, Server};
use trustwatch_rules::observe::{
    IdentifiedBy, RdpDetail, ServiceDetail, ServiceObservation, SmbDetail,
};

/// The longest any one identification may take: two connections, each
/// bounded by the default 5 s I/O timeout, and slack.
const IDENTIFY_WITHIN: Duration = Duration::from_secs(30);

/// Dials `to` whatever address identification asks for, and counts.
#[derive(Debug)]
struct Redirect {
    to: SocketAddr,
    dials: Arc<AtomicUsize>,
}

impl Dial for Redirect {
    fn dial(&self, _addr: SocketAddr) -> BoxFuture<'_, std::io::Result<TcpStream>> {
        self.dials.fetch_add(1, Ordering::SeqCst);
        let to = self.to;
        Box::pin(async move {
            match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(to)).await {
                Ok(result) => result,
                Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
            }
        })
    }
}

/// Identifies `server` as if it listened on `well_known`; returns the
/// observation and the number of connections made.
fn identify_as(
    server: SocketAddr,
    well_known: u16,
    opts: &IdentifyOptions,
) -> (ServiceObservation, usize) {
    let dials = Arc::new(AtomicUsize::new(0));
    let dialer = Redirect {
        to: server,
        dials: Arc::clone(&dials),
    };
    let asked = SocketAddr::new(server.ip(), well_known);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let obs = runtime.block_on(async {
        tokio::time::timeout(IDENTIFY_WITHIN, identify_tcp(asked, opts, &dialer))
            .await
            .expect("identification finished in time")
    });
    (obs, dials.load(Ordering::SeqCst))
}

fn identify(server: SocketAddr, well_known: u16) -> (ServiceObservation, usize) {
    identify_as(server, well_known, &IdentifyOptions::default())
}

/// A fresh loopback address of its own, and a port on it (the well-known
/// one when it can be bound, i.e. as root).
fn lab_address(preferred: u16) -> (Ipv4Addr, u16) {
    let ip = AddressPlan::next().host(1);
    (ip, pick_port(ip, preferred))
}

fn smb_detail(obs: &ServiceObservation) -> &SmbDetail {
    match &obs.detail {
        ServiceDetail::Smb(d) => d,
        other => panic!("no SMB detail in {obs:?}: {other:?}"),
    }
}

fn rdp_detail(obs: &ServiceObservation) -> &RdpDetail {
    match &obs.detail {
        ServiceDetail::Rdp(d) => d,
        other => panic!("no RDP detail in {obs:?}: {other:?}"),
    }
}

/// The words a package's binary prints for its version flag.
fn version_words(program: &str, flag: &str) -> Vec<String> {
    let out = Command::new(program)
        .arg(flag)
        .output()
        .unwrap_or_else(|e| panic!("run {program} {flag}: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn samba(smb1: samba::Smb1, signing: samba::Signing) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ip, port) = lab_address(445);
    let server = samba::start(dir.path(), ip, port, smb1, signing);
    (dir, server)
}

#[test]
fn samba_with_smb1_accepts_an_smb1_only_negotiate() {
    let (_dir, server) = samba(samba::Smb1::Enabled, samba::Signing::Default);
    let (obs, dials) = identify(server.addr, 445);
    assert_eq!(obs.service.as_deref(), Some("smb"), "{obs:?}");
    assert_eq!(obs.identified_by, IdentifiedBy::Probe);
    // A negotiate does not tell Samba from Windows.
    assert_eq!(obs.product, None);
    let d = smb_detail(&obs);
    assert_eq!(d.smb1_accepted, Some(true), "{obs:?}");
    assert_eq!(d.smb2_dialect.as_deref(), Some("3.1.1"));
    assert_eq!(d.signing_required, Some(false));
    assert_eq!(dials, 2, "one connection per negotiate");
}

#[test]
fn samba_without_smb1_refuses_it() {
    let (_dir, server) = samba(samba::Smb1::Disabled, samba::Signing::Default);
    let (obs, _) = identify(server.addr, 445);
    let d = smb_detail(&obs);
    assert_eq!(d.smb1_accepted, Some(false), "{obs:?}");
    assert_eq!(d.smb2_dialect.as_deref(), Some("3.1.1"));
    assert_eq!(d.signing_required, Some(false));
    assert_eq!(obs.note, None);
}

#[test]
fn samba_with_mandatory_signing_requires_it() {
    let (_dir, server) = samba(samba::Smb1::Disabled, samba::Signing::Mandatory);
    let (obs, _) = identify(server.addr, 445);
    let d = smb_detail(&obs);
    assert_eq!(d.signing_required, Some(true), "{obs:?}");
    assert_eq!(d.smb1_accepted, Some(false));
    assert_eq!(d.smb2_dialect.as_deref(), Some("3.1.1"));
}

#[test]
fn samba_on_the_netbios_session_port_gets_a_session_request_first() {
    // Port 139 expects a NetBIOS session request before any SMB; Samba
    // answers one on whichever port it listens.
    let (_dir, server) = samba(samba::Smb1::Enabled, samba::Signing::Mandatory);
    let (obs, dials) = identify(server.addr, 139);
    assert_eq!(obs.service.as_deref(), Some("smb"), "{obs:?}");
    let d = smb_detail(&obs);
    assert_eq!(d.smb1_accepted, Some(true), "{obs:?}");
    assert_eq!(d.smb2_dialect.as_deref(), Some("3.1.1"));
    assert_eq!(d.signing_required, Some(true));
    assert_eq!(dials, 2);
}

fn xrdp(layer: xrdp::SecurityLayer) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ip, port) = lab_address(3389);
    let server = xrdp::start(dir.path(), ip, port, layer);
    (dir, server)
}

#[test]
fn xrdp_with_standard_security_accepts_it() {
    let (_dir, server) = xrdp(xrdp::SecurityLayer::Rdp);
    let (obs, dials) = identify(server.addr, 3389);
    assert_eq!(obs.service.as_deref(), Some("rdp"), "{obs:?}");
    assert_eq!(obs.identified_by, IdentifiedBy::Probe);
    // Nothing in the negotiation tells xrdp from Windows.
    assert_eq!(obs.product, None);
    let d = rdp_detail(&obs);
    assert_eq!(d.standard_security_accepted, Some(true), "{obs:?}");
    assert_eq!(d.nla_required, Some(false));
    assert_eq!(d.selected, ["rdp"]);
    assert!(d.failures.is_empty());
    assert_eq!(dials, 1, "standard security selected: no second probe");
}

#[test]
fn xrdp_with_tls_only_refuses_standard_security_and_takes_tls_without_nla() {
    // xrdp implements no NLA (CredSSP): the second probe, TLS alone, is
    // selected, so NLA is not required.
    let (_dir, server) = xrdp(xrdp::SecurityLayer::Tls);
    let (obs, dials) = identify(server.addr, 3389);
    let d = rdp_detail(&obs);
    assert_eq!(d.standard_security_accepted, Some(false), "{obs:?}");
    assert_eq!(d.failures, ["SSL_REQUIRED_BY_SERVER"]);
    assert_eq!(d.selected, ["ssl"]);
    assert_eq!(d.nla_required, Some(false));
    assert_eq!(dials, 2);
}

#[test]
fn xrdp_negotiating_gives_standard_security_to_who_asks() {
    let (_dir, server) = xrdp(xrdp::SecurityLayer::Negotiate);
    let (obs, _) = identify(server.addr, 3389);
    let d = rdp_detail(&obs);
    assert_eq!(d.standard_security_accepted, Some(true), "{obs:?}");
    assert_eq!(d.nla_required, Some(false));
}

fn postgres(tls: postgres::Tls) -> ServiceObservation {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ip, port) = lab_address(5432);
    let server = postgres::start(dir.path(), ip, port, tls);
    identify(server.addr, 5432).0
}

#[test]
fn postgres_is_named_by_its_ssl_request_answer() {
    for (tls, said) in [
        (postgres::Tls::On, "TLS offered"),
        (postgres::Tls::Off, "TLS not offered"),
    ] {
        let obs = postgres(tls);
        assert_eq!(obs.service.as_deref(), Some("postgresql"), "{obs:?}");
        assert_eq!(obs.identified_by, IdentifiedBy::Probe);
        assert_eq!(obs.product.as_deref(), Some("PostgreSQL"));
        // The exact version needs a login; the protocol range Debian's
        // PostgreSQL 15 states when refusing protocol 1.0 dates it to 14+.
        assert_eq!(obs.version.as_deref(), Some("14 or later"), "{obs:?}");
        let note = obs.note.unwrap_or_default();
        assert!(note.starts_with(said), "{note}");
        assert!(
            note.ends_with("server supports protocol 3.0 to 3.0"),
            "{note}"
        );
    }
}

#[test]
fn redis_without_a_password_tells_its_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ip, port) = lab_address(6379);
    let server = redis::start(dir.path(), ip, port, redis::Auth::Open);
    let (obs, _) = identify(server.addr, 6379);
    assert_eq!(obs.service.as_deref(), Some("redis"), "{obs:?}");
    assert_eq!(obs.identified_by, IdentifiedBy::Probe);
    assert_eq!(obs.product.as_deref(), Some("Redis"));
    // `Redis server v=7.0.15 sha=...`
    let words = version_words("/usr/bin/redis-server", "--version");
    let expected = words.iter().find_map(|w| w.strip_prefix("v="));
    assert!(expected.is_some(), "redis-server --version: {words:?}");
    assert_eq!(obs.version.as_deref(), expected);
    assert_eq!(obs.note, None);
}

#[test]
fn redis_with_a_password_is_named_but_tells_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ip, port) = lab_address(6379);
    let server = redis::start(dir.path(), ip, port, redis::Auth::Password);
    let (obs, _) = identify(server.addr, 6379);
    assert_eq!(obs.service.as_deref(), Some("redis"), "{obs:?}");
    assert_eq!(obs.product.as_deref(), Some("Redis"));
    assert_eq!(obs.version, None);
    assert_eq!(obs.note.as_deref(), Some("authentication required"));
}

#[test]
fn memcached_tells_its_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ip, port) = lab_address(11211);
    let server = memcached::start(dir.path(), ip, port);
    let (obs, _) = identify(server.addr, 11211);
    assert_eq!(obs.service.as_deref(), Some("memcached"), "{obs:?}");
    assert_eq!(obs.identified_by, IdentifiedBy::Probe);
    assert_eq!(obs.product.as_deref(), Some("memcached"));
    // `memcached 1.6.18`
    let words = version_words("/usr/bin/memcached", "-V");
    assert_eq!(obs.version.as_deref(), words.last().map(String::as_str));
}

/// A loopback listener that accepts connections and records every byte
/// each one sends, until the peer closes or `hold` passes; optionally
/// answers each first read with `reply`.
struct Peer {
    addr: SocketAddr,
    received: tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>,
}

fn peer(runtime: &tokio::runtime::Runtime, reply: Option<Vec<u8>>, hold: Duration) -> Peer {
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind the peer");
    let addr = listener.local_addr().expect("peer address");
    let (tx, received) = tokio::sync::mpsc::unbounded_channel();
    runtime.spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let tx = tx.clone();
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                let mut replied = false;
                let deadline = tokio::time::Instant::now() + hold;
                while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, conn.read(&mut buf)).await {
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                    if let (Some(r), false) = (&reply, replied) {
                        replied = true;
                        let _ = conn.write_all(r).await;
                    }
                }
                let _ = tx.send(got);
            });
        }
    });
    Peer { addr, received }
}

impl Peer {
    /// What each connection sent, once `count` connections have ended.
    fn sent(&mut self, runtime: &tokio::runtime::Runtime, count: usize) -> Vec<Vec<u8>> {
        runtime.block_on(async {
            let mut all = Vec::new();
            for _ in 0..count {
                let got = tokio::time::timeout(Duration::from_secs(10), self.received.recv())
                    .await
                    .expect("the connection ended")
                    .expect("the peer is running");
                all.push(got);
            }
            all
        })
    }
}

fn identify_on(
    runtime: &tokio::runtime::Runtime,
    to: SocketAddr,
    well_known: u16,
    opts: &IdentifyOptions,
) -> (ServiceObservation, usize) {
    let dials = Arc::new(AtomicUsize::new(0));
    let dialer = Redirect {
        to,
        dials: Arc::clone(&dials),
    };
    let asked = SocketAddr::new(to.ip(), well_known);
    let obs = runtime.block_on(async {
        tokio::time::timeout(IDENTIFY_WITHIN, identify_tcp(asked, opts, &dialer))
            .await
            .expect("identification finished in time")
    });
    (obs, dials.load(Ordering::SeqCst))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn gentle_mode_sends_nothing_to_a_client_first_port() {
    let rt = runtime();
    let opts = IdentifyOptions {
        gentle: true,
        ..IdentifyOptions::default()
    };
    for (port, service) in [
        (445, "smb"),
        (139, "smb"),
        (3389, "rdp"),
        (5432, "postgresql"),
        (6379, "redis"),
        (11211, "memcached"),
        (1433, "mssql"),
        (27017, "mongodb"),
    ] {
        let mut p = peer(&rt, None, Duration::from_secs(10));
        let (obs, dials) = identify_on(&rt, p.addr, port, &opts);
        assert_eq!(obs.service.as_deref(), Some(service), "{port}: {obs:?}");
        assert_eq!(obs.identified_by, IdentifiedBy::Port, "{port}");
        assert!(obs.detail.is_none(), "{port}: {obs:?}");
        assert_eq!(dials, 1, "{port}: one connection only");
        let sent = p.sent(&rt, 1);
        assert!(sent[0].is_empty(), "{port}: gentle mode sent {:?}", sent[0]);
    }
}

/// A PRELOGIN response in the layout of MS-TDS §4.2: VERSION 15.0.2000.5
/// (SQL Server 2019 RTM), ENCRYPTION required, INSTOPT, THREADID, MARS.
const MSSQL_2019_PRELOGIN: [u8; 43] = [
    0x04, 0x01, 0x00, 0x2b, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1a, 0x00, 0x06, 0x01, 0x00, 0x20,
    0x00, 0x01, 0x02, 0x00, 0x21, 0x00, 0x01, 0x03, 0x00, 0x22, 0x00, 0x00, 0x04, 0x00, 0x22, 0x00,
    0x01, 0xff, 0x0f, 0x00, 0x07, 0xd0, 0x00, 0x05, 0x03, 0x00, 0x00,
];

#[test]
fn mssql_prelogin_against_a_scripted_peer() {
    let rt = runtime();
    let mut p = peer(
        &rt,
        Some(MSSQL_2019_PRELOGIN.to_vec()),
        Duration::from_secs(10),
    );
    let (obs, dials) = identify_on(&rt, p.addr, 1433, &IdentifyOptions::default());
    assert_eq!(obs.service.as_deref(), Some("mssql"), "{obs:?}");
    assert_eq!(obs.product.as_deref(), Some("Microsoft SQL Server"));
    assert_eq!(obs.version.as_deref(), Some("15.0.2000"));
    assert_eq!(
        obs.note.as_deref(),
        Some("SQL Server 2019; encryption required")
    );
    assert_eq!(dials, 1);
    let sent = p.sent(&rt, 1);
    // One PRELOGIN packet (type 0x12, 47 bytes) and nothing after it.
    assert_eq!(sent[0].len(), 47);
    assert_eq!(sent[0][0], 0x12);
}

/// An OP_MSG reply to buildInfo: `{version: "7.0.5", ok: 1.0}`.
fn mongodb_build_info_reply() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(b"\x02version\x00\x06\x00\x00\x007.0.5\x00\x01ok\x00");
    body.extend_from_slice(&1.0f64.to_le_bytes());
    let mut doc = ((body.len() + 5) as i32).to_le_bytes().to_vec();
    doc.extend(body);
    doc.push(0);
    let total = 16 + 4 + 1 + doc.len();
    let mut msg = Vec::new();
    msg.extend_from_slice(&(total as i32).to_le_bytes());
    msg.extend_from_slice(&5i32.to_le_bytes());
    msg.extend_from_slice(&1i32.to_le_bytes());
    msg.extend_from_slice(&2013i32.to_le_bytes());
    msg.extend_from_slice(&[0; 4]);
    msg.push(0);
    msg.extend(doc);
    msg
}

#[test]
fn mongodb_build_info_against_a_scripted_peer() {
    let rt = runtime();
    let mut p = peer(
        &rt,
        Some(mongodb_build_info_reply()),
        Duration::from_secs(10),
    );
    let (obs, _) = identify_on(&rt, p.addr, 27017, &IdentifyOptions::default());
    assert_eq!(obs.service.as_deref(), Some("mongodb"), "{obs:?}");
    assert_eq!(obs.product.as_deref(), Some("MongoDB"));
    assert_eq!(obs.version.as_deref(), Some("7.0.5"));
    let sent = p.sent(&rt, 1);
    // OP_MSG (opcode 2013) carrying {buildInfo: 1, $db: "admin"}.
    assert_eq!(&sent[0][12..16], &2013i32.to_le_bytes());
    assert!(sent[0].windows(9).any(|w| w == b"buildInfo"));
}

#[test]
fn hostile_peers_cannot_hang_identification() {
    // Each answers its probe with a length far beyond what it sends, then
    // holds the connection open: identification must give up at its I/O
    // timeout with a note, not wait for the rest or panic.
    let rt = runtime();
    let opts = IdentifyOptions {
        io_timeout: Duration::from_millis(500),
        ..IdentifyOptions::default()
    };
    for (port, reply) in [
        (445, vec![0x00, 0xff, 0xff, 0xff, 0xfe, b'S']),
        (3389, vec![0x03, 0x00, 0xff, 0xff, 0x0e]),
        (6379, b"$9999999999\r\n# Server\r\n".to_vec()),
        (1433, vec![0x04, 0x01, 0xff, 0xff, 0, 0, 1, 0, 0]),
        (27017, vec![0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]),
    ] {
        let p = peer(&rt, Some(reply), Duration::from_secs(20));
        let start = std::time::Instant::now();
        let (obs, _) = identify_on(&rt, p.addr, port, &opts);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{port}: took {:?}",
            start.elapsed()
        );
        assert!(obs.version.is_none(), "{port}: {obs:?}");
        assert!(obs.note.is_some(), "{port}: {obs:?}");
    }
}
