//! STARTTLS against scripted loopback responders playing broken and
//! hostile servers — endless lines, endless replies, one byte a second,
//! silence, garbage, bytes smuggled after the go-ahead — and the exchanges
//! the real servers in `starttls.rs` do not show (FTP multi-line greetings,
//! IMAP without capabilities in its greeting, PREAUTH, LDAP refusals).
//! Each must end within the deadline with a clear reason, never a hang.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use trustwatch_agent::net::{self, Endpoint};
use trustwatch_agent::starttls::Starttls;

/// Serves the first connection with `script` (bounded: 30 s at most).
async fn responder<F, Fut>(script: F) -> SocketAddr
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        if let Ok((stream, _)) = listener.accept().await {
            let _ = tokio::time::timeout(Duration::from_secs(30), script(stream)).await;
        }
    });
    addr
}

/// Runs the upgrade against `addr` with a `secs` deadline; the error
/// reason, or "ok" with the stream's first unread bytes checked empty.
async fn open(
    protocol: Starttls,
    addr: SocketAddr,
    secs: u64,
) -> (Result<TcpStream, String>, Duration) {
    let endpoint = Endpoint {
        addrs: vec![addr.ip()],
        port: addr.port(),
        starttls: Some(protocol),
    };
    let started = Instant::now();
    let result = net::open(&endpoint, started + Duration::from_secs(secs)).await;
    (result.map_err(|u| u.reason), started.elapsed())
}

async fn reason(protocol: Starttls, addr: SocketAddr, secs: u64) -> String {
    let (result, elapsed) = open(protocol, addr, secs).await;
    assert!(
        elapsed < Duration::from_secs(secs) + Duration::from_millis(500),
        "{elapsed:?}"
    );
    result.expect_err("the upgrade must fail")
}

/// Reads one line from the client (up to 1 KiB).
async fn read_line(reader: &mut BufReader<TcpStream>) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < 1024 && reader.read_exact(&mut byte).await.is_ok() {
        line.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
    }
    String::from_utf8_lossy(&line).into_owned()
}

#[tokio::test]
async fn smtp_line_without_end_is_cut_off() {
    let addr = responder(|mut s| async move {
        let _ = s.write_all(b"220 ").await;
        let junk = vec![b'x'; 64 * 1024];
        let _ = s.write_all(&junk).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let why = reason(Starttls::Smtp, addr, 5).await;
    assert_eq!(
        why,
        format!("smtp server at {addr} sent a line longer than 4096 bytes during STARTTLS")
    );
}

#[tokio::test]
async fn smtp_endless_multi_line_reply_is_cut_off() {
    let addr = responder(|mut s| async move {
        for _ in 0..100_000 {
            if s.write_all(b"220-still greeting you\r\n").await.is_err() {
                break;
            }
        }
    })
    .await;
    let why = reason(Starttls::Smtp, addr, 5).await;
    assert_eq!(
        why,
        format!("smtp server at {addr} sent more than 65536 bytes without completing STARTTLS")
    );
}

#[tokio::test]
async fn one_byte_a_second_ends_at_the_deadline() {
    let addr = responder(|mut s| async move {
        for b in b"220 slow.example ESMTP\r\n" {
            if s.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await;
    let why = reason(Starttls::Smtp, addr, 2).await;
    assert_eq!(
        why,
        format!("smtp server at {addr} did not complete the STARTTLS exchange in time (timed out)")
    );
}

#[tokio::test]
async fn silent_server_times_out() {
    let addr = responder(|s| async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(s);
    })
    .await;
    let why = reason(Starttls::Imap, addr, 1).await;
    assert!(why.ends_with("(timed out)"), "{why}");
}

#[tokio::test]
async fn garbage_greeting_is_named() {
    let addr = responder(|mut s| async move {
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
    })
    .await;
    let why = reason(Starttls::Smtp, addr, 5).await;
    assert_eq!(
        why,
        format!(
            "smtp server at {addr} answered with \"HTTP/1.1 400 Bad Request\", not a reply code"
        )
    );
}

#[tokio::test]
async fn bytes_after_the_go_ahead_end_the_attempt() {
    // A man in the middle (or a broken server) that appends data after
    // "220 go ahead" would have it read as if it came through TLS.
    let addr = responder(|s| async move {
        let mut r = BufReader::new(s);
        let _ = r.get_mut().write_all(b"220 mx ESMTP\r\n").await;
        let _ = read_line(&mut r).await; // EHLO
        let _ = r.get_mut().write_all(b"250-mx\r\n250 STARTTLS\r\n").await;
        let _ = read_line(&mut r).await; // STARTTLS
        let _ = r
            .get_mut()
            .write_all(b"220 go ahead\r\n250 injected\r\n")
            .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    let why = reason(Starttls::Smtp, addr, 5).await;
    assert_eq!(
        why,
        format!("smtp server at {addr} sent 14 unexpected bytes after agreeing to STARTTLS")
    );
}

#[tokio::test]
async fn smtp_refusal_quotes_the_server() {
    let addr = responder(|s| async move {
        let mut r = BufReader::new(s);
        let _ = r.get_mut().write_all(b"220 mx ESMTP\r\n").await;
        let ehlo = read_line(&mut r).await;
        assert!(ehlo.starts_with("EHLO [127.0.0.1]"), "{ehlo}");
        let _ = r
            .get_mut()
            .write_all(b"250-mx\r\n250-SIZE 1000\r\n250 STARTTLS\r\n")
            .await;
        let _ = read_line(&mut r).await;
        let _ = r
            .get_mut()
            .write_all(b"454 4.7.0 TLS not available\r\n")
            .await;
    })
    .await;
    let why = reason(Starttls::Smtp, addr, 5).await;
    assert_eq!(
        why,
        format!("smtp server at {addr} refused STARTTLS: \"454 4.7.0 TLS not available\"")
    );
}

#[tokio::test]
async fn ftp_multi_line_greeting_then_234_upgrades() {
    let addr = responder(|s| async move {
        let mut r = BufReader::new(s);
        let _ = r
            .get_mut()
            .write_all(b"220-Welcome\r\n 220 this line is text\r\n220 ready\r\n")
            .await;
        let cmd = read_line(&mut r).await;
        if cmd == "AUTH TLS\r\n" {
            let _ = r.get_mut().write_all(b"234 go\r\n").await;
            let mut hello = [0u8; 1];
            let _ = r.read_exact(&mut hello).await;
            let _ = r.get_mut().write_all(&hello).await;
        }
    })
    .await;
    let (result, _) = open(Starttls::Ftp, addr, 5).await;
    let mut stream = result.expect("upgraded");
    // The stream is handed over clean: the next byte is ours to send.
    stream.write_all(&[0x16]).await.unwrap();
    let mut echo = [0u8; 1];
    stream.read_exact(&mut echo).await.unwrap();
    assert_eq!(echo, [0x16]);
}

#[tokio::test]
async fn imap_asks_for_capabilities_when_the_greeting_has_none() {
    let addr = responder(|s| async move {
        let mut r = BufReader::new(s);
        let _ = r.get_mut().write_all(b"* OK IMAP4rev1 ready\r\n").await;
        let cmd = read_line(&mut r).await;
        let tag = cmd.split(' ').next().unwrap_or("").to_owned();
        assert!(cmd.ends_with("CAPABILITY\r\n"), "{cmd}");
        let reply = format!("* CAPABILITY IMAP4rev1 LOGINDISABLED\r\n{tag} OK done\r\n");
        let _ = r.get_mut().write_all(reply.as_bytes()).await;
    })
    .await;
    let why = reason(Starttls::Imap, addr, 5).await;
    assert_eq!(why, format!("imap server at {addr} did not offer STARTTLS"));
}

#[tokio::test]
async fn imap_preauth_cannot_upgrade() {
    let addr = responder(|mut s| async move {
        let _ = s
            .write_all(b"* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome\r\n")
            .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    let why = reason(Starttls::Imap, addr, 5).await;
    assert!(why.contains("greeted with PREAUTH"), "{why}");
}

#[tokio::test]
async fn ldap_oversized_response_is_refused() {
    let addr = responder(|mut s| async move {
        let mut request = [0u8; 31];
        let _ = s.read_exact(&mut request).await;
        // SEQUENCE of 16 MiB: the length alone must be enough to refuse.
        let _ = s.write_all(&[0x30, 0x84, 0x01, 0x00, 0x00, 0x00]).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    let why = reason(Starttls::Ldap, addr, 5).await;
    assert_eq!(why, format!("ldap server at {addr} answered StartTLS with an LDAP message of 16777216 bytes (limit 16384)"));
}

#[tokio::test]
async fn postgres_closing_without_answer_is_named() {
    let addr = responder(|mut s| async move {
        let mut request = [0u8; 8];
        let _ = s.read_exact(&mut request).await;
    })
    .await;
    let why = reason(Starttls::Postgres, addr, 5).await;
    assert_eq!(
        why,
        format!("postgres server at {addr} closed the connection during the STARTTLS exchange")
    );
}

/// Serves up to `n` connections, the i-th with `script(i, stream)`, and
/// counts them.
async fn responder_n<F, Fut>(
    n: usize,
    script: F,
) -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>)
where
    F: Fn(usize, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        for i in 0..n {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(tokio::time::timeout(
                Duration::from_secs(10),
                script(i, stream),
            ));
        }
    });
    (addr, count)
}

#[tokio::test]
async fn busy_smtp_server_is_tried_again_after_a_pause() {
    // Exim's answer when its session limit is reached, then a normal
    // session on the next connection.
    let (addr, count) = responder_n(2, |i, s| async move {
        let mut r = BufReader::new(s);
        if i == 0 {
            let _ = r
                .get_mut()
                .write_all(b"421 Too many concurrent SMTP connections; please try again later.\r\n")
                .await;
            return;
        }
        let _ = r.get_mut().write_all(b"220 mx ESMTP\r\n").await;
        let _ = read_line(&mut r).await;
        let _ = r.get_mut().write_all(b"250-mx\r\n250 STARTTLS\r\n").await;
        let _ = read_line(&mut r).await;
        let _ = r.get_mut().write_all(b"220 go ahead\r\n").await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    })
    .await;
    let (result, elapsed) = open(Starttls::Smtp, addr, 5).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert!(
        elapsed >= Duration::from_millis(50),
        "paused before trying again: {elapsed:?}"
    );
}

#[tokio::test]
async fn always_busy_gives_up_after_a_few_bounded_tries() {
    let (addr, count) = responder_n(100, |_, mut s| async move {
        let _ = s.write_all(b"421 4.3.2 Service not available\r\n").await;
    })
    .await;
    let (result, elapsed) = open(Starttls::Ftp, addr, 10).await;
    let why = result.expect_err("never upgraded");
    assert_eq!(
        why,
        format!("ftp server at {addr} is busy: \"421 4.3.2 Service not available\"")
    );
    // One try and five more after 50, 100, 200, 400 and 800 ms.
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 6);
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn busy_retries_stop_at_the_deadline() {
    let (addr, count) = responder_n(100, |_, mut s| async move {
        let _ = s.write_all(b"-ERR [IN-USE] try later\r\n").await;
    })
    .await;
    let (result, elapsed) = open(Starttls::Pop3, addr, 1).await;
    assert!(result.unwrap_err().contains("is busy"));
    assert!(elapsed < Duration::from_millis(1100), "{elapsed:?}");
    assert!(count.load(std::sync::atomic::Ordering::SeqCst) < 6);
}
