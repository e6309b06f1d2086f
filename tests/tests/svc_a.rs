//! Identification of SSH, FTP, SMTP, POP3, IMAP, Telnet, VNC, MySQL and
//! LDAP against real servers on loopback: Debian's OpenSSH (a strong and a
//! weak configuration), vsftpd, Exim, Dovecot, inetutils telnetd, TigerVNC,
//! MariaDB and OpenLDAP's slapd. Then hostile peers written here (an SSH
//! packet of 4 GiB, a greeting that never ends, a server that stops
//! after its identification) that must neither hang identification nor
//! make it buffer without bound; gentle mode, which must send nothing;
//! and the PJL printer probe, which only runs when asked (no Debian
//! package is a printer, so a tokio listener plays one).
//!
//! Every server runs on its own 127.a.b.n address. Servers that greet are
//! put on high ports: their greeting alone must name them. LDAP and the
//! printer speak only when spoken to, so they sit on their well-known
//! ports (389, 9100), which the test (run as root, like scripts/test) can
//! bind on its own address.

use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use trustwatch_agent::discover::identify::{identify_tcp, IdentifyOptions};
use trustwatch_e2e::svclab::{
    dovecot, ftp, identify_opts, ldap, mariadb, smtp, sshd, telnetd, vnc, Direct,
};
use trustwatch_e2e::tlslab::launch::{pick_port, AddressPlan};
use trustwatch_rules::observe::{
    CleartextDetail, IdentifiedBy, ServiceDetail, ServiceObservation, SshDetail, SshHostKey,
};

fn opts() -> IdentifyOptions {
    identify_opts()
}

fn gentle() -> IdentifyOptions {
    IdentifyOptions {
        gentle: true,
        ..opts()
    }
}

/// A fresh loopback address of its own, and a free high port on it.
fn place() -> (Ipv4Addr, u16) {
    let ip = AddressPlan::next().host(1);
    let port = StdListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    (ip, port)
}

/// Two distinct free ports on `ip` (both held while the second is found).
fn two_ports(ip: Ipv4Addr) -> (u16, u16) {
    let a = StdListener::bind((ip, 0)).expect("free port");
    let b = StdListener::bind((ip, 0)).expect("free port");
    (
        a.local_addr().expect("port").port(),
        b.local_addr().expect("port").port(),
    )
}

async fn identify(ip: Ipv4Addr, port: u16, opts: &IdentifyOptions) -> ServiceObservation {
    identify_tcp(SocketAddr::from((ip, port)), opts, &Direct).await
}

fn ssh(obs: &ServiceObservation) -> &SshDetail {
    match &obs.detail {
        ServiceDetail::Ssh(d) => d,
        other => panic!("expected SSH facts, got {other:?} in {obs:#?}"),
    }
}

fn cleartext(obs: &ServiceObservation) -> &CleartextDetail {
    match &obs.detail {
        ServiceDetail::Cleartext(d) => d,
        other => panic!("expected cleartext facts, got {other:?} in {obs:#?}"),
    }
}

fn has(list: &[String], name: &str) -> bool {
    list.iter().any(|n| n == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssh_strong_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (ip, port) = place();
    let _sshd = sshd::start(dir.path(), ip, port, sshd::Variant::Strong);
    let obs = identify(ip, port, &opts()).await;
    println!("{obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("ssh"));
    assert_eq!(obs.identified_by, IdentifiedBy::Banner);
    assert_eq!(obs.product.as_deref(), Some("OpenSSH"));
    assert_eq!(obs.version.as_deref(), Some("9.2p1"));
    assert_eq!(obs.note, None, "{obs:#?}");
    let d = ssh(&obs);
    assert_eq!(d.protocol, "2.0");
    assert!(d.software.starts_with("OpenSSH_9.2p1 Debian-"), "{d:?}");
    assert!(has(&d.kex_algorithms, "curve25519-sha256"), "{d:?}");
    assert!(
        !has(&d.kex_algorithms, "diffie-hellman-group1-sha1"),
        "{d:?}"
    );
    assert!(has(&d.host_key_algorithms, "ssh-ed25519"), "{d:?}");
    assert!(has(&d.ciphers, "aes256-gcm@openssh.com"), "{d:?}");
    assert!(!d.ciphers.iter().any(|c| c.ends_with("-cbc")), "{d:?}");
    assert!(!d.macs.iter().any(|m| m.contains("md5")), "{d:?}");
    // RSA is asked for first: its modulus is what SSH-003 judges.
    assert_eq!(
        d.host_key,
        Some(SshHostKey {
            key_type: "ssh-rsa".into(),
            bits: 3072
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssh_weak_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let (ip, port) = place();
    let _sshd = sshd::start(dir.path(), ip, port, sshd::Variant::Weak);
    let obs = identify(ip, port, &opts()).await;
    println!("{obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("ssh"));
    assert_eq!(obs.note, None, "{obs:#?}");
    let d = ssh(&obs);
    assert!(
        has(&d.kex_algorithms, "diffie-hellman-group1-sha1"),
        "{d:?}"
    );
    assert!(has(&d.ciphers, "3des-cbc"), "{d:?}");
    assert!(has(&d.ciphers, "aes128-cbc"), "{d:?}");
    assert!(has(&d.macs, "hmac-md5"), "{d:?}");
    assert!(has(&d.host_key_algorithms, "ssh-rsa"), "{d:?}");
    assert_eq!(
        d.host_key,
        Some(SshHostKey {
            key_type: "ssh-rsa".into(),
            bits: 1024
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gentle_ssh_reads_the_identification_only() {
    let dir = tempfile::tempdir().unwrap();
    let (ip, port) = place();
    let _sshd = sshd::start(dir.path(), ip, port, sshd::Variant::Strong);
    let obs = identify(ip, port, &gentle()).await;
    assert_eq!(obs.service.as_deref(), Some("ssh"));
    assert_eq!(obs.product.as_deref(), Some("OpenSSH"));
    assert_eq!(obs.version.as_deref(), Some("9.2p1"));
    let d = ssh(&obs);
    assert_eq!(d.protocol, "2.0");
    assert!(d.kex_algorithms.is_empty() && d.ciphers.is_empty(), "{d:?}");
    assert_eq!(d.host_key, None);
    assert_eq!(
        obs.note.as_deref(),
        Some("gentle mode: identification string only")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vsftpd_with_and_without_auth_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (ip, port) = place();
    let (ip2, port2) = place();
    let _tls = ftp::start(dir.path(), ip, port, true);
    let _plain = ftp::start(dir.path(), ip2, port2, false);
    let obs = identify(ip, port, &opts()).await;
    println!("{obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("ftp"));
    assert_eq!(obs.identified_by, IdentifiedBy::Banner);
    assert_eq!(obs.product.as_deref(), Some("vsftpd"));
    assert_eq!(obs.version.as_deref(), Some("3.0.3"));
    assert_eq!(cleartext(&obs).starttls_offered, Some(true));
    let obs = identify(ip2, port2, &opts()).await;
    assert_eq!(obs.product.as_deref(), Some("vsftpd"));
    assert_eq!(cleartext(&obs).starttls_offered, Some(false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exim_with_and_without_starttls() {
    let dir = tempfile::tempdir().unwrap();
    let (ip, port) = place();
    let (ip2, port2) = place();
    let _tls = smtp::start(dir.path(), ip, port, true);
    let _plain = smtp::start(dir.path(), ip2, port2, false);
    let obs = identify(ip, port, &opts()).await;
    println!("{obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("smtp"));
    assert_eq!(obs.identified_by, IdentifiedBy::Banner);
    assert_eq!(obs.product.as_deref(), Some("Exim"));
    assert_eq!(obs.version.as_deref(), Some("4.96"));
    assert_eq!(cleartext(&obs).starttls_offered, Some(true));
    let obs = identify(ip2, port2, &opts()).await;
    assert_eq!(obs.product.as_deref(), Some("Exim"));
    assert_eq!(cleartext(&obs).starttls_offered, Some(false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_imap_and_pop3() {
    let dir = tempfile::tempdir().unwrap();
    let ip = AddressPlan::next().host(1);
    let (imap, pop3) = two_ports(ip);
    let _dovecot = dovecot::start(dir.path(), ip, imap, pop3, true);
    let obs = identify(ip, imap, &opts()).await;
    println!("{obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("imap"));
    assert_eq!(obs.identified_by, IdentifiedBy::Banner);
    assert_eq!(obs.product.as_deref(), Some("Dovecot"));
    let d = cleartext(&obs);
    assert_eq!(d.starttls_offered, Some(true));
    assert!(d.login_disabled_before_tls.is_some(), "{d:?}");
    let obs = identify(ip, pop3, &opts()).await;
    println!("{obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("pop3"));
    assert_eq!(obs.product.as_deref(), Some("Dovecot"));
    assert_eq!(cleartext(&obs).starttls_offered, Some(true));
    // Without TLS configured, neither offers it.
    let dir2 = tempfile::tempdir().unwrap();
    let ip2 = AddressPlan::next().host(1);
    let (imap2, pop32) = two_ports(ip2);
    let _plain = dovecot::start(dir2.path(), ip2, imap2, pop32, false);
    let obs = identify(ip2, imap2, &opts()).await;
    assert_eq!(cleartext(&obs).starttls_offered, Some(false), "{obs:#?}");
    let obs = identify(ip2, pop32, &opts()).await;
    assert_eq!(cleartext(&obs).starttls_offered, Some(false), "{obs:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inetutils_telnetd_is_telnet() {
    let dir = tempfile::tempdir().unwrap();
    let (ip, port) = place();
    let _telnetd = telnetd::start(dir.path(), ip, port);
    let obs = identify(ip, port, &opts()).await;
    println!("{obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("telnet"));
    assert_eq!(obs.identified_by, IdentifiedBy::Banner);
    assert_eq!(obs.note, None);
    // Gentle mode reads the negotiation just the same.
    let obs = identify(ip, port, &gentle()).await;
    assert_eq!(obs.service.as_deref(), Some("telnet"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tigervnc_security_types() {
    let dir = tempfile::tempdir().unwrap();
    let (ip, port) = place();
    let (ip2, port2) = place();
    let _open = vnc::start(dir.path(), ip, port, vnc::Security::None);
    let _locked = vnc::start(dir.path(), ip2, port2, vnc::Security::Password);
    let obs = identify(ip, port, &opts()).await;
    println!("{obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("vnc"));
    assert_eq!(obs.identified_by, IdentifiedBy::Banner);
    assert_eq!(obs.product.as_deref(), Some("VNC"));
    // RFB 3.8 is the protocol's version, not TigerVNC's.
    assert_eq!(obs.version, None);
    assert_eq!(
        obs.note.as_deref(),
        Some("RFB protocol 3.8; vnc security types: None (None: no authentication)")
    );
    let obs = identify(ip2, port2, &opts()).await;
    println!("{obs:#?}");
    assert_eq!(
        obs.note.as_deref(),
        Some("RFB protocol 3.8; vnc security types: VNC Authentication")
    );
    let obs = identify(ip, port, &gentle()).await;
    assert_eq!(obs.version, None);
    assert_eq!(obs.note.as_deref(), Some("RFB protocol 3.8"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_greeting_and_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let (ip, port) = place();
    let (ip2, port2) = place();
    let _open = mariadb::start(dir.path(), ip, port, mariadb::Access::Open);
    let _local = mariadb::start(dir.path(), ip2, port2, mariadb::Access::LocalOnly);
    let obs = identify(ip, port, &opts()).await;
    println!("{obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("mysql"));
    assert_eq!(obs.identified_by, IdentifiedBy::Banner);
    assert_eq!(obs.product.as_deref(), Some("MariaDB"));
    let version = obs.version.clone().unwrap_or_default();
    assert!(version.starts_with("10.11."), "{obs:#?}");
    assert!(
        obs.banner.as_deref().unwrap_or("").contains("MariaDB"),
        "{obs:#?}"
    );
    let obs = identify(ip2, port2, &opts()).await;
    println!("{obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("mysql"));
    assert_eq!(obs.product.as_deref(), Some("MariaDB"));
    let note = obs.note.clone().unwrap_or_default();
    assert!(
        note.contains("1130") && note.contains("not allowed"),
        "{obs:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slapd_rootdse_on_389() {
    let dir = tempfile::tempdir().unwrap();
    let ip = AddressPlan::next().host(1);
    let port = pick_port(ip, 389);
    assert_eq!(
        port, 389,
        "binding 389 on {ip} needs root, as scripts/test runs"
    );
    let _slapd = ldap::start(dir.path(), ip, port, true);
    let obs = identify(ip, port, &opts()).await;
    println!("{obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("ldap"));
    assert_eq!(obs.identified_by, IdentifiedBy::Probe);
    assert_eq!(obs.product.as_deref(), Some("OpenLDAP"));
    assert_eq!(cleartext(&obs).starttls_offered, Some(true));
    let ip2 = AddressPlan::next().host(1);
    let _plain = ldap::start(dir.path(), ip2, 389, false);
    let obs = identify(ip2, 389, &opts()).await;
    assert_eq!(cleartext(&obs).starttls_offered, Some(false), "{obs:#?}");
}

/// A listener that greets with `greeting`, then, for each later read from
/// the client, answers with `after` once; records every byte it receives.
/// Runs until the client goes or 15 s pass.
async fn scripted(greeting: &[u8], after: Vec<u8>) -> (Ipv4Addr, u16, Arc<Mutex<Vec<u8>>>) {
    scripted_on(0, greeting, after).await
}

/// [`scripted`] on `port` (0: any free port) of a fresh address.
async fn scripted_on(
    port: u16,
    greeting: &[u8],
    after: Vec<u8>,
) -> (Ipv4Addr, u16, Arc<Mutex<Vec<u8>>>) {
    let greeting = greeting.to_vec();
    let ip = AddressPlan::next().host(1);
    let listener = TcpListener::bind((ip, port))
        .await
        .unwrap_or_else(|e| panic!("bind {ip}:{port} (a well-known port needs root): {e}"));
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    tokio::spawn(async move {
        let limit = Instant::now() + Duration::from_secs(15);
        while Instant::now() < limit {
            let Ok(Ok((mut conn, _))) =
                tokio::time::timeout(Duration::from_secs(15), listener.accept()).await
            else {
                return;
            };
            let log = log.clone();
            let after = after.clone();
            let greeting = greeting.clone();
            tokio::spawn(async move {
                let _ = conn.write_all(&greeting).await;
                let mut answered = false;
                let mut buf = [0u8; 4096];
                loop {
                    match tokio::time::timeout(Duration::from_secs(15), conn.read(&mut buf)).await {
                        Ok(Ok(n)) if n > 0 => {
                            log.lock().unwrap().extend_from_slice(&buf[..n]);
                            if !answered && !after.is_empty() {
                                answered = true;
                                let _ = conn.write_all(&after).await;
                            }
                        }
                        _ => return,
                    }
                }
            });
        }
    });
    (ip, port, received)
}

#[tokio::test]
async fn gentle_sends_nothing_to_a_silent_port() {
    let (ip, port, received) = scripted(b"", Vec::new()).await;
    let obs = identify(ip, port, &gentle()).await;
    assert_eq!(obs.service, None);
    assert_eq!(obs.identified_by, IdentifiedBy::Unknown);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        received.lock().unwrap().is_empty(),
        "gentle mode sent bytes"
    );
}

#[tokio::test]
async fn gentle_sends_nothing_to_a_client_first_port() {
    // LDAP waits for the client: gentle mode leaves it waiting.
    let ip = AddressPlan::next().host(1);
    let listener = TcpListener::bind((ip, 389))
        .await
        .unwrap_or_else(|e| panic!("binding 389 on {ip} needs root, as scripts/test runs: {e}"));
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    tokio::spawn(async move {
        for _ in 0..2 {
            let Ok(Ok((mut conn, _))) =
                tokio::time::timeout(Duration::from_secs(15), listener.accept()).await
            else {
                return;
            };
            let mut buf = [0u8; 1024];
            while let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_secs(10), conn.read(&mut buf)).await
            {
                if n == 0 {
                    break;
                }
                log.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        }
    });
    let obs = identify(ip, 389, &gentle()).await;
    assert_eq!(obs.service.as_deref(), Some("ldap"));
    assert_eq!(obs.identified_by, IdentifiedBy::Port);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        received.lock().unwrap().is_empty(),
        "gentle mode sent bytes"
    );
    // Without gentle mode the same port gets the RootDSE search: the
    // check above has teeth.
    let quick = IdentifyOptions {
        io_timeout: Duration::from_millis(500),
        ..opts()
    };
    let _ = identify(ip, 389, &quick).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn gentle_sends_nothing_to_greeting_servers() {
    for greeting in [
        &b"SSH-2.0-OpenSSH_9.2p1\r\n"[..],
        b"220 (vsFTPd 3.0.3)\r\n",
        b"220 mx ESMTP Exim 4.96\r\n",
        b"+OK Dovecot ready.\r\n",
        b"* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n",
        b"RFB 003.008\n",
        &[255, 253, 24],
    ] {
        let (ip, port, received) = scripted(greeting, Vec::new()).await;
        let obs = identify(ip, port, &gentle()).await;
        assert!(obs.service.is_some(), "{obs:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            received.lock().unwrap().is_empty(),
            "gentle mode sent bytes to {:?}",
            String::from_utf8_lossy(greeting)
        );
    }
}

#[tokio::test]
async fn a_plain_220_greeting_follows_the_port() {
    // Nothing in the greeting says SMTP or FTP: the port decides.
    let ehlo = b"250-mx.example\r\n250-SIZE 1000\r\n250 STARTTLS\r\n".to_vec();
    let (ip, port, received) = scripted_on(25, b"220 mx.example ready\r\n", ehlo).await;
    let obs = identify(ip, port, &opts()).await;
    assert_eq!(obs.service.as_deref(), Some("smtp"), "{obs:#?}");
    assert_eq!(cleartext(&obs).starttls_offered, Some(true));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = received.lock().unwrap().clone();
    assert!(sent.starts_with(b"EHLO trustwatch.invalid\r\n"), "{sent:?}");
    let feat = b"211-Features:\r\n AUTH TLS\r\n211 End\r\n".to_vec();
    let (ip, port, _) = scripted_on(21, b"220 Mail archive FTP\r\n", feat).await;
    let obs = identify(ip, port, &opts()).await;
    assert_eq!(obs.service.as_deref(), Some("ftp"), "{obs:#?}");
    assert_eq!(cleartext(&obs).starttls_offered, Some(true));
}

#[tokio::test]
async fn ssh_packet_of_4_gib_is_refused_at_once() {
    let mut after = vec![0xff, 0xff, 0xff, 0xff, 4];
    after.extend([0u8; 64]);
    let (ip, port, _) = scripted(b"SSH-2.0-Hostile_1.0\r\n", after).await;
    let start = Instant::now();
    let obs = identify(ip, port, &opts()).await;
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(obs.service.as_deref(), Some("ssh"));
    assert_eq!(obs.product.as_deref(), Some("Hostile"));
    assert_eq!(
        obs.note.as_deref(),
        Some("ssh: packet length 4294967295 is beyond the 35000 bytes SSH allows")
    );
}

/// An unencrypted SSH packet around `payload`, padded as RFC 4253 §6
/// asks: written out here, apart from the agent's own framing.
fn ssh_packet(payload: &[u8]) -> Vec<u8> {
    let mut pad = 8 - (5 + payload.len()) % 8;
    if pad < 4 {
        pad += 8;
    }
    let len = (1 + payload.len() + pad) as u32;
    let mut p = len.to_be_bytes().to_vec();
    p.push(pad as u8);
    p.extend_from_slice(payload);
    p.extend(std::iter::repeat_n(0, pad));
    p
}

#[tokio::test]
async fn ssh_kexinit_sent_with_the_identification_and_no_ecdh() {
    // An old server: its KEXINIT comes in the same segment as its
    // identification, and it has only finite-field Diffie-Hellman.
    let mut kexinit = vec![20];
    kexinit.extend([0x42; 16]);
    for list in [
        "diffie-hellman-group14-sha1,diffie-hellman-group1-sha1",
        "ssh-rsa,ssh-dss",
        "aes128-cbc,3des-cbc",
        "aes128-cbc,3des-cbc",
        "hmac-sha1,hmac-md5",
        "hmac-sha1,hmac-md5",
        "none",
        "none",
        "",
        "",
    ] {
        kexinit.extend((list.len() as u32).to_be_bytes());
        kexinit.extend(list.as_bytes());
    }
    kexinit.extend([0, 0, 0, 0, 0]);
    let mut greeting = b"SSH-1.99-Cisco-1.25\r\n".to_vec();
    greeting.extend(ssh_packet(&kexinit));
    let (ip, port, received) = scripted(&greeting, Vec::new()).await;
    let obs = identify(ip, port, &opts()).await;
    assert_eq!(obs.service.as_deref(), Some("ssh"));
    assert_eq!(obs.product.as_deref(), Some("Cisco SSH"));
    assert_eq!(obs.version.as_deref(), Some("1.25"));
    assert_eq!(obs.banner.as_deref(), Some("SSH-1.99-Cisco-1.25"));
    let d = ssh(&obs);
    assert_eq!(d.protocol, "1.99");
    assert_eq!(
        d.kex_algorithms,
        ["diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1"]
    );
    assert_eq!(d.ciphers, ["aes128-cbc", "3des-cbc"]);
    assert_eq!(d.macs, ["hmac-sha1", "hmac-md5"]);
    assert_eq!(d.host_key, None);
    assert!(
        obs.note
            .as_deref()
            .unwrap_or("")
            .starts_with("ssh: no ECDH key exchange offered"),
        "{obs:#?}"
    );
    // Only our identification was sent: no KEXINIT of ours.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = received.lock().unwrap().clone();
    assert!(sent.starts_with(b"SSH-2.0-Trustwatch_"), "{sent:?}");
    assert!(sent.ends_with(b"\r\n") && sent.len() < 40, "{sent:?}");
}

#[tokio::test]
async fn ssh_silence_after_identification_times_out() {
    let (ip, port, _) = scripted(b"SSH-2.0-Quiet\r\n", Vec::new()).await;
    let opts = IdentifyOptions {
        io_timeout: Duration::from_secs(1),
        ..opts()
    };
    let start = Instant::now();
    let obs = identify(ip, port, &opts).await;
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(obs.service.as_deref(), Some("ssh"));
    assert_eq!(obs.note.as_deref(), Some("ssh: no KEXINIT within 1s"));
}

#[tokio::test]
async fn endless_greeting_is_bounded() {
    // `SSH-2.0-` and then letters for ever, no line end.
    let ip = AddressPlan::next().host(1);
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sent = Arc::new(Mutex::new(0usize));
    let counter = sent.clone();
    tokio::spawn(async move {
        let Ok((mut conn, _)) = listener.accept().await else {
            return;
        };
        let _ = conn.write_all(b"SSH-2.0-").await;
        let chunk = [b'A'; 4096];
        let limit = Instant::now() + Duration::from_secs(15);
        while Instant::now() < limit {
            match tokio::time::timeout(Duration::from_secs(1), conn.write_all(&chunk)).await {
                Ok(Ok(())) => *counter.lock().unwrap() += chunk.len(),
                _ => return,
            }
        }
    });
    let opts = IdentifyOptions {
        io_timeout: Duration::from_secs(2),
        quick_wait: Duration::from_secs(2),
        ..opts()
    };
    let start = Instant::now();
    let obs = identify(ip, port, &opts).await;
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(obs.service.as_deref(), Some("ssh"));
    assert_eq!(obs.note.as_deref(), Some("ssh: no identification string"));
    assert!(obs.banner.as_deref().unwrap_or("").len() <= 200);
}

#[tokio::test]
async fn printer_is_probed_only_when_asked() {
    let ip = AddressPlan::next().host(1);
    let answer = b"@PJL INFO ID\r\n\"HP LaserJet 4250\"\r\n\x0c".to_vec();
    // Port 9100 itself: the port is what makes it a printer.
    let listener = TcpListener::bind((ip, 9100))
        .await
        .unwrap_or_else(|e| panic!("binding 9100 on {ip} needs root, as scripts/test runs: {e}"));
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    tokio::spawn(async move {
        let Ok(Ok((mut conn, _))) =
            tokio::time::timeout(Duration::from_secs(15), listener.accept()).await
        else {
            return;
        };
        let mut buf = [0u8; 1024];
        while let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_secs(10), conn.read(&mut buf)).await
        {
            if n == 0 {
                break;
            }
            let whole = {
                let mut got = log.lock().unwrap();
                got.extend_from_slice(&buf[..n]);
                got.len() > 12 && got.ends_with(b"\x1b%-12345X\r\n")
            };
            if whole {
                let _ = conn.write_all(&answer).await;
            }
        }
    });
    // Off by default: nothing but the connect (which the sweep did).
    let obs = identify(ip, 9100, &opts()).await;
    assert_eq!(obs.service.as_deref(), Some("jetdirect"));
    assert_eq!(obs.identified_by, IdentifiedBy::Port);
    assert_eq!(obs.product, None);
    let asked = IdentifyOptions {
        probe_printers: true,
        ..opts()
    };
    let obs = identify(ip, 9100, &asked).await;
    println!("{obs:#?}");
    assert_eq!(obs.service.as_deref(), Some("jetdirect"));
    assert_eq!(obs.identified_by, IdentifiedBy::Probe);
    assert_eq!(obs.product.as_deref(), Some("HP LaserJet 4250"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = received.lock().unwrap().clone();
    assert_eq!(got, b"\x1b%-12345X@PJL INFO ID\r\n\x1b%-12345X\r\n");
}
