//! Identification of HTTP/HTTPS, DICOM, HL7 MLLP and SNMP against real
//! servers on loopback: Debian's nginx-light (default page, autoindex,
//! an admin-page fixture, HTTPS), dcmtk's storescp (accepts) and dcmqrscp
//! (rejects unknown AE titles), python-hl7's MLLP listener (no Debian
//! package ships one: see tests/src/svclab/hl7_mllp.py) and net-snmp's
//! snmpd. Then hostile peers written here (an endless header, an endless
//! body, a trickle, a DICOM PDU of 4 GiB) that must neither hang the
//! identification nor make it buffer without bound, and gentle mode, which
//! must send nothing at all.
//!
//! Every server runs on its own 127.a.b.n address (so the well-known HTTP
//! and HL7 ports can be used without colliding with anything), except the
//! dcmtk SCPs, which can only listen on every interface: their tests take
//! turns on port 11112, the DICOM port a test can bind without privileges.

use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener, UdpSocket as StdUdp};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use trustwatch_agent::discover::identify::snmp::identify_udp;
use trustwatch_agent::discover::identify::{identify_tcp, IdentifyOptions};
use trustwatch_agent::probe::BoxFuture;
use trustwatch_e2e::pki::TestCa;
use trustwatch_e2e::svclab::{hl7, identify_opts, nginx, snmpd, storescp, Direct};
use trustwatch_e2e::tlslab::launch::{pick_port, AddressPlan};
use trustwatch_e2e::OpensslServer;
use trustwatch_rules::observe::{
    DicomDetail, HttpDetail, IdentifiedBy, ServiceDetail, ServiceObservation, SnmpAnswer,
};

fn opts() -> IdentifyOptions {
    identify_opts()
}

fn host() -> Ipv4Addr {
    AddressPlan::next().host(1)
}

fn http(obs: &ServiceObservation) -> &HttpDetail {
    match &obs.detail {
        ServiceDetail::Http(d) => d,
        other => panic!("expected HTTP facts, got {other:?} in {obs:#?}"),
    }
}

fn dicom(obs: &ServiceObservation) -> &DicomDetail {
    match &obs.detail {
        ServiceDetail::Dicom(d) => d,
        other => panic!("expected DICOM facts, got {other:?} in {obs:#?}"),
    }
}

/// A TCP port on `ip` that was free a moment ago.
fn free_port(ip: Ipv4Addr) -> u16 {
    StdListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

// --- nginx ---------------------------------------------------------------

#[tokio::test]
async fn nginx_default_page_is_reported_for_http_006() {
    let dir = tempfile::tempdir().unwrap();
    let ip = host();
    // 8080 is a known HTTP port: GET / goes out at once.
    let port = pick_port(ip, 8080);
    let server = nginx::start(dir.path(), ip, port, nginx::Site::DefaultPage);
    let obs = identify_tcp(server.addr, &opts(), &Direct).await;
    println!("nginx default page: {obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("http"), "{obs:#?}");
    assert_eq!(obs.identified_by, IdentifiedBy::Probe);
    assert_eq!(obs.product.as_deref(), Some("nginx"));
    assert!(
        obs.version.as_deref().is_some_and(|v| v.starts_with("1.")),
        "{obs:#?}"
    );
    let d = http(&obs);
    assert_eq!(d.status, 200);
    assert_eq!(d.title.as_deref(), Some("Welcome to nginx!"));
    assert_eq!(d.default_page.as_deref(), Some("nginx default page"));
    assert_eq!(d.admin_interface, None);
    assert!(d.server.as_deref().is_some_and(|s| s.starts_with("nginx/")));
}

#[tokio::test]
async fn nginx_autoindex_is_a_directory_listing() {
    let dir = tempfile::tempdir().unwrap();
    let ip = host();
    let port = pick_port(ip, 8080);
    let server = nginx::start(dir.path(), ip, port, nginx::Site::DirectoryListing);
    let obs = identify_tcp(server.addr, &opts(), &Direct).await;
    assert_eq!(obs.service.as_deref(), Some("http"), "{obs:#?}");
    let d = http(&obs);
    assert_eq!(d.title.as_deref(), Some("Index of /"));
    assert_eq!(d.default_page.as_deref(), Some("directory listing"));
}

#[tokio::test]
async fn admin_page_fixture_is_an_admin_interface() {
    let dir = tempfile::tempdir().unwrap();
    let ip = host();
    let port = pick_port(ip, 8080);
    let server = nginx::start(dir.path(), ip, port, nginx::Site::AdminPage);
    let obs = identify_tcp(server.addr, &opts(), &Direct).await;
    assert_eq!(obs.service.as_deref(), Some("http"), "{obs:#?}");
    let d = http(&obs);
    assert_eq!(d.title.as_deref(), Some("phpMyAdmin"));
    assert_eq!(d.admin_interface.as_deref(), Some("phpMyAdmin"));
    assert_eq!(d.default_page, None);
}

#[tokio::test]
async fn plain_http_on_an_unknown_port_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let ip = host();
    let server = nginx::start(dir.path(), ip, free_port(ip), nginx::Site::DefaultPage);
    let obs = identify_tcp(server.addr, &opts(), &Direct).await;
    assert_eq!(obs.service.as_deref(), Some("http"), "{obs:#?}");
    assert_eq!(obs.identified_by, IdentifiedBy::Probe);
    assert_eq!(obs.product.as_deref(), Some("nginx"));
    assert_eq!(
        http(&obs).default_page.as_deref(),
        Some("nginx default page")
    );
}

#[tokio::test]
async fn https_on_an_unknown_port_is_found_through_tls() {
    let dir = tempfile::tempdir().unwrap();
    let ip = host();
    let server = nginx::start(dir.path(), ip, free_port(ip), nginx::Site::Https);
    let obs = identify_tcp(server.addr, &opts(), &Direct).await;
    println!("nginx https on an unknown port: {obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("https"), "{obs:#?}");
    assert_eq!(obs.identified_by, IdentifiedBy::Probe);
    assert_eq!(obs.product.as_deref(), Some("nginx"));
    let d = http(&obs);
    assert_eq!(d.status, 200);
    assert!(d.server.as_deref().is_some_and(|s| s.starts_with("nginx/")));
    assert_eq!(d.default_page.as_deref(), Some("nginx default page"));
}

#[tokio::test]
async fn https_on_its_port_is_identified() {
    let dir = tempfile::tempdir().unwrap();
    let ip = host();
    let port = pick_port(ip, 8443);
    let server = nginx::start(dir.path(), ip, port, nginx::Site::Https);
    let obs = identify_tcp(server.addr, &opts(), &Direct).await;
    assert_eq!(obs.service.as_deref(), Some("https"), "{obs:#?}");
    assert_eq!(obs.product.as_deref(), Some("nginx"));
    assert_eq!(http(&obs).title.as_deref(), Some("Welcome to nginx!"));
}

#[tokio::test]
async fn openssl_server_closing_on_plain_http_is_found_by_a_handshake() {
    // OpenSSL recognises a plain GET and closes without a TLS alert.
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Trustwatch svc_c CA");
    let leaf = ca.leaf(dir.path(), "leaf", &["localhost"], -1, 30);
    let server = OpensslServer::start(&leaf.cert, &leaf.key, &[]);
    let obs = identify_tcp(server.addr, &opts(), &Direct).await;
    println!("openssl s_server -www: {obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("https"), "{obs:#?}");
    assert_eq!(obs.identified_by, IdentifiedBy::Probe);
    assert_eq!(http(&obs).status, 200);
}

// --- DICOM ---------------------------------------------------------------

/// The dcmtk SCPs listen on every interface: one at a time on 11112.
static DICOM_PORT: Mutex<()> = Mutex::const_new(());
const DICOM: u16 = 11112;

/// Waits (at most 10 s) until nothing listens on the DICOM port: the
/// previous test's SCP, and the children dcmqrscp forks per association,
/// take a moment to exit after the test stops them.
fn dicom_port_free() {
    let start = Instant::now();
    while StdListener::bind((Ipv4Addr::UNSPECIFIED, DICOM)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "port {DICOM} stays in use: the DICOM tests need it (it is the port that says DICOM)"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn storescp_accepts_the_verification_context() {
    let _turn = DICOM_PORT.lock().await;
    dicom_port_free();
    let dir = tempfile::tempdir().unwrap();
    let ip = host();
    let server = storescp::start(
        dir.path(),
        ip,
        DICOM,
        storescp::Scp::Store { ae_title: "TWSCP" },
    );
    let opts = IdentifyOptions {
        dicom_called_ae_titles: vec!["TWSCP".into()],
        ..opts()
    };
    let obs = identify_tcp(server.addr, &opts, &Direct).await;
    println!("storescp: {obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("dicom"), "{obs:#?}");
    assert_eq!(obs.identified_by, IdentifiedBy::Probe);
    assert_eq!(obs.product.as_deref(), Some("DCMTK"));
    assert!(
        obs.version.as_deref().is_some_and(|v| v.starts_with("3.")),
        "{obs:#?}"
    );
    let d = dicom(&obs);
    assert_eq!(d.association, "accepted");
    assert!(d.verification_accepted);
    assert_eq!(d.called_ae_title, "TWSCP");
    assert_eq!(d.calling_ae_title, "TRUSTWATCH");
    assert!(
        d.implementation
            .as_deref()
            .is_some_and(|i| i.contains("OFFIS_DCMTK")),
        "{d:#?}"
    );
    assert_eq!(obs.note, None, "released cleanly: {obs:#?}");
}

#[tokio::test]
async fn dcmqrscp_rejects_an_unknown_called_ae_title_and_accepts_its_own() {
    let _turn = DICOM_PORT.lock().await;
    dicom_port_free();
    let dir = tempfile::tempdir().unwrap();
    let ip = host();
    let server = storescp::start(
        dir.path(),
        ip,
        DICOM,
        storescp::Scp::QueryRetrieve { ae_title: "TWQR" },
    );
    let rejected_only = IdentifyOptions {
        dicom_called_ae_titles: vec!["NOT-HERE".into()],
        ..opts()
    };
    let obs = identify_tcp(server.addr, &rejected_only, &Direct).await;
    println!("dcmqrscp, unknown title: {obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("dicom"), "{obs:#?}");
    let d = dicom(&obs);
    assert_eq!(d.association, "rejected");
    assert!(!d.verification_accepted);
    assert_eq!(
        d.reject_reason.as_deref(),
        Some("rejected-permanent by service-user: called-AE-title-not-recognized")
    );

    // Titles in turn, one association each: the second is the archive's.
    let both = IdentifyOptions {
        dicom_called_ae_titles: vec!["NOT-HERE".into(), "TWQR".into()],
        ..opts()
    };
    let obs = identify_tcp(server.addr, &both, &Direct).await;
    println!("dcmqrscp, two titles: {obs:#?}");
    let d = dicom(&obs);
    assert_eq!(d.association, "accepted");
    assert_eq!(d.called_ae_title, "TWQR");
    assert!(d.verification_accepted);
    assert_eq!(obs.product.as_deref(), Some("DCMTK"));
    assert_eq!(
        obs.note.as_deref(),
        Some("called AE titles tried: NOT-HERE (rejected), TWQR (accepted)")
    );
}

#[tokio::test]
async fn dicom_peer_announcing_a_4_gib_pdu_is_not_read() {
    let _turn = DICOM_PORT.lock().await;
    dicom_port_free();
    let ip = host();
    let listener = TcpListener::bind((ip, DICOM)).await.expect("bind 11112");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut peer, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut rq = [0u8; 1024];
                let _ = peer.read(&mut rq).await;
                // An A-ASSOCIATE-AC header announcing 0xffffffff bytes,
                // then as much filler as the peer will take.
                let _ = peer.write_all(&[0x02, 0, 0xff, 0xff, 0xff, 0xff]).await;
                let filler = vec![0u8; 64 * 1024];
                while peer.write_all(&filler).await.is_ok() {}
            });
        }
    });
    let started = Instant::now();
    let obs = identify_tcp(addr, &opts(), &Direct).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(obs.service.as_deref(), Some("dicom"), "by port: {obs:#?}");
    assert_eq!(obs.identified_by, IdentifiedBy::Port);
    assert!(
        obs.note
            .as_deref()
            .is_some_and(|n| n.contains("4294967295-byte PDU")),
        "{obs:#?}"
    );
}

// --- HL7 -----------------------------------------------------------------

#[tokio::test]
async fn hl7_listener_answers_in_an_mllp_frame() {
    let dir = tempfile::tempdir().unwrap();
    let ip = host();
    // Its own address, so the HL7 port itself is free.
    let server = hl7::start(dir.path(), ip, 2575);
    let obs = identify_tcp(server.addr, &opts(), &Direct).await;
    println!("python-hl7: {obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("hl7-mllp"), "{obs:#?}");
    assert_eq!(obs.identified_by, IdentifiedBy::Probe);
    assert_eq!(obs.product.as_deref(), Some(hl7::APPLICATION));
    // MSH-12 is the HL7 standard's version, not the software's.
    assert_eq!(obs.version, None);
    assert_eq!(
        obs.note.as_deref(),
        Some("HL7 v2.5, answered with MSA-1 AA")
    );
}

#[tokio::test]
async fn gentle_mode_sends_nothing_to_an_hl7_port() {
    let ip = host();
    let listener = TcpListener::bind((ip, 2575)).await.expect("bind 2575");
    let addr = listener.local_addr().unwrap();
    let received = tokio::spawn(async move {
        let (mut peer, _) = listener.accept().await.expect("accept");
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(3), peer.read_to_end(&mut buf)).await;
        buf
    });
    let gentle = IdentifyOptions {
        gentle: true,
        ..opts()
    };
    let obs = identify_tcp(addr, &gentle, &Direct).await;
    assert_eq!(obs.service.as_deref(), Some("hl7-mllp"));
    assert_eq!(obs.identified_by, IdentifiedBy::Port);
    assert_eq!(received.await.unwrap(), b"", "gentle mode sent bytes");
}

// --- SNMP ----------------------------------------------------------------

fn free_udp_port(ip: Ipv4Addr) -> u16 {
    StdUdp::bind((ip, 0))
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("free UDP port")
}

#[tokio::test]
async fn snmpd_answers_public_over_v2c_and_v1() {
    let dir = tempfile::tempdir().unwrap();
    let ip = host();
    let agent = snmpd::start(
        dir.path(),
        ip,
        free_udp_port(ip),
        snmpd::Access::PublicCommunity,
    );
    let obs = identify_udp(agent.addr, &opts())
        .await
        .expect("snmpd answered");
    println!("snmpd: {obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("snmp"));
    assert_eq!(obs.transport.as_str(), "udp");
    assert_eq!(obs.identified_by, IdentifiedBy::Probe);
    let ServiceDetail::Snmp(d) = &obs.detail else {
        panic!("expected SNMP facts: {obs:#?}");
    };
    let versions: Vec<(&str, &str)> = d
        .answered
        .iter()
        .map(|a| (a.version.as_str(), a.community.as_str()))
        .collect();
    assert_eq!(versions, [("v2c", "public"), ("v1", "public")]);
    let uname = std::fs::read_to_string("/proc/sys/kernel/ostype").unwrap_or_default();
    for SnmpAnswer { sys_descr, .. } in &d.answered {
        let descr = sys_descr.as_deref().expect("sysDescr");
        assert!(descr.starts_with(uname.trim()), "{descr}");
    }
    // net-snmp's sysDescr is the kernel's uname: no product in it.
    assert_eq!(obs.product, None);
}

#[tokio::test]
async fn snmpd_without_a_community_answers_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ip = host();
    let agent = snmpd::start(dir.path(), ip, free_udp_port(ip), snmpd::Access::V3Only);
    let quick = IdentifyOptions {
        io_timeout: Duration::from_secs(1),
        ..opts()
    };
    let started = Instant::now();
    assert_eq!(identify_udp(agent.addr, &quick).await, None);
    assert!(
        started.elapsed() < Duration::from_millis(1800),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn gentle_mode_sends_no_snmp_datagram() {
    let ip = host();
    let socket = tokio::net::UdpSocket::bind((ip, 0)).await.unwrap();
    let addr = socket.local_addr().unwrap();
    let gentle = IdentifyOptions {
        gentle: true,
        ..opts()
    };
    assert_eq!(identify_udp(addr, &gentle).await, None);
    let mut buf = [0u8; 1500];
    let got = tokio::time::timeout(Duration::from_millis(1000), socket.recv_from(&mut buf)).await;
    assert!(got.is_err(), "gentle mode sent a datagram: {got:?}");

    // The same socket does see the requests when not gentle: one GetRequest
    // per version, community `public`.
    let quick = IdentifyOptions {
        io_timeout: Duration::from_millis(300),
        ..opts()
    };
    let asked = tokio::spawn(async move { identify_udp(addr, &quick).await });
    let mut seen = Vec::new();
    for _ in 0..2 {
        let (n, _) = tokio::time::timeout(Duration::from_secs(2), socket.recv_from(&mut buf))
            .await
            .expect("a GetRequest")
            .unwrap();
        seen.push(buf[..n].to_vec());
    }
    assert_eq!(asked.await.unwrap(), None, "nobody answered");
    for datagram in &seen {
        assert_eq!(datagram[0], 0x30, "a BER SEQUENCE");
        assert!(datagram.windows(6).any(|w| w == b"public"));
    }
}

// --- hostile HTTP peers -----------------------------------------------------

/// Serves every connection on a fresh port of `ip` with `reply` after
/// reading the request; returns the address.
async fn hostile(ip: Ipv4Addr, reply: fn(TcpStream) -> BoxFuture<'static, ()>) -> SocketAddr {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((peer, _)) = listener.accept().await {
            tokio::spawn(reply(peer));
        }
    });
    addr
}

async fn read_request(peer: &mut TcpStream) {
    let mut buf = [0u8; 2048];
    let _ = tokio::time::timeout(Duration::from_secs(2), peer.read(&mut buf)).await;
}

/// Long waits, so that only the size caps can end these reads quickly.
fn patient() -> IdentifyOptions {
    IdentifyOptions {
        quick_wait: Duration::from_secs(10),
        io_timeout: Duration::from_secs(10),
        ..IdentifyOptions::default()
    }
}

#[tokio::test]
async fn an_endless_header_is_capped() {
    let addr = hostile(host(), |mut peer| {
        Box::pin(async move {
            read_request(&mut peer).await;
            let _ = peer
                .write_all(b"HTTP/1.1 200 OK\r\nServer: endless/1.0\r\n")
                .await;
            let line = format!("X-Fill: {}\r\n", "a".repeat(1000));
            while peer.write_all(line.as_bytes()).await.is_ok() {}
        })
    })
    .await;
    let started = Instant::now();
    let obs = identify_tcp(addr, &patient(), &Direct).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(obs.service.as_deref(), Some("http"), "{obs:#?}");
    assert_eq!(http(&obs).status, 200);
    assert_eq!(obs.product.as_deref(), Some("endless"));
    assert!(
        obs.note.as_deref().is_some_and(|n| n.contains("cut short")),
        "{obs:#?}"
    );
}

#[tokio::test]
async fn an_endless_body_is_capped() {
    let addr = hostile(host(), |mut peer| {
        Box::pin(async move {
            read_request(&mut peer).await;
            let _ = peer
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<title>Flood</title>",
                )
                .await;
            let filler = vec![b'x'; 64 * 1024];
            while peer.write_all(&filler).await.is_ok() {}
        })
    })
    .await;
    let started = Instant::now();
    let obs = identify_tcp(addr, &patient(), &Direct).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(http(&obs).title.as_deref(), Some("Flood"));
}

#[tokio::test]
async fn a_trickling_server_is_bounded_by_the_wait() {
    let addr = hostile(host(), |mut peer| {
        Box::pin(async move {
            read_request(&mut peer).await;
            for b in b"HTTP/1.1 200 OK\r\nServer: slow\r\n".iter().cycle() {
                if peer.write_all(&[*b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    })
    .await;
    let quick = IdentifyOptions {
        quick_wait: Duration::from_millis(800),
        ..opts()
    };
    let started = Instant::now();
    let obs = identify_tcp(addr, &quick, &Direct).await;
    // Silent for the banner wait, then the same wait for the answer.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(obs.service.as_deref(), Some("http"), "{obs:#?}");
}

#[tokio::test]
async fn a_non_http_answer_is_noted_not_named() {
    let addr = hostile(host(), |mut peer| {
        Box::pin(async move {
            read_request(&mut peer).await;
            let _ = peer.write_all(b"-ERR unknown command 'GET'\r\n").await;
        })
    })
    .await;
    let obs = identify_tcp(addr, &opts(), &Direct).await;
    assert_eq!(obs.service, None, "{obs:#?}");
    assert_eq!(obs.banner.as_deref(), Some("-ERR unknown command 'GET'"));
    assert_eq!(
        obs.note.as_deref(),
        Some("unrecognised answer to GET /: -ERR unknown command 'GET'")
    );
}

#[tokio::test]
async fn a_server_that_closes_at_once_is_not_named() {
    let addr = hostile(host(), |mut peer| {
        Box::pin(async move {
            read_request(&mut peer).await;
            let _ = peer.shutdown().await;
        })
    })
    .await;
    let obs = identify_tcp(addr, &opts(), &Direct).await;
    assert_eq!(obs.service, None, "{obs:#?}");
    assert_eq!(obs.note.as_deref(), Some("closed without answering GET /"));
}

#[tokio::test]
async fn a_server_speaking_http_first_is_read_not_probed() {
    let listener = TcpListener::bind((host(), 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let received = tokio::spawn(async move {
        let (mut peer, _) = listener.accept().await.expect("accept");
        let _ = peer
            .write_all(b"HTTP/1.0 200 OK\r\nServer: eager/2.0\r\n\r\n<title>Eager</title>")
            .await;
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(3), peer.read_to_end(&mut buf)).await;
        buf
    });
    let obs = identify_tcp(addr, &opts(), &Direct).await;
    assert_eq!(obs.service.as_deref(), Some("http"), "{obs:#?}");
    assert_eq!(obs.identified_by, IdentifiedBy::Banner);
    assert_eq!(obs.product.as_deref(), Some("eager"));
    assert_eq!(obs.version.as_deref(), Some("2.0"));
    assert_eq!(http(&obs).title.as_deref(), Some("Eager"));
    assert_eq!(received.await.unwrap(), b"", "nothing needed sending");
}
