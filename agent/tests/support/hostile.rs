//! Listeners on 127.0.0.1 that misbehave the way hostile or broken TLS
//! servers do, after reading the client's hello: trickle one byte a second,
//! close in the middle of their handshake, or send an endless certificate
//! chain. Also an SSL 2.0-only server (no real one can be installed here:
//! every packaged TLS library has dropped SSL 2.0). Each connection is
//! bounded to 30 s; the listener stops when dropped.

#![allow(dead_code)] // each test binary uses a different part

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use trustwatch_tls_wire::{HandshakeMessage, ServerHello, Ssl2ServerHello};

const CONNECTION_LIFETIME: Duration = Duration::from_secs(30);

/// A valid TLS 1.2 ServerHello record (ECDHE-RSA-AES128-GCM-SHA256).
pub fn server_hello() -> Vec<u8> {
    ServerHello {
        legacy_version: 0x0303,
        random: [0x42; 32],
        session_id: vec![],
        cipher_suite: 0xC02F,
        compression: 0,
        extensions: vec![],
    }
    .encode_records(0x0303)
    .unwrap()
}

#[derive(Debug, Clone)]
pub enum Misbehaviour {
    /// A ServerHello, one byte a second.
    OneBytePerSecond,
    /// A ServerHello and half a Certificate message, then close.
    ClosesMidHandshake,
    /// A ServerHello, then Certificate message after Certificate message,
    /// each of 16 KiB, for as long as the client reads.
    EndlessChain,
    /// Answers an SSL 2.0 CLIENT-HELLO with a SERVER-HELLO carrying this
    /// DER certificate and two cipher kinds (RC4-MD5 and 3DES-MD5); closes
    /// on anything else, as an SSL 2.0-only server does.
    Ssl2Only { certificate: Vec<u8> },
}

#[derive(Debug)]
pub struct Hostile {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Hostile {
    pub fn start(how: Misbehaviour) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let flag = flag.clone();
                    let how = how.clone();
                    std::thread::spawn(move || serve(conn, how, &flag));
                }
            }
        });
        Hostile {
            port,
            stop,
            thread: Some(thread),
        }
    }

    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

fn serve(mut conn: TcpStream, how: Misbehaviour, stop: &AtomicBool) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
    let mut hello = [0u8; 4096];
    let Ok(n @ 1..) = conn.read(&mut hello) else {
        return;
    };
    let deadline = Instant::now() + CONNECTION_LIFETIME;
    let alive = || Instant::now() < deadline && !stop.load(Ordering::SeqCst);
    match how {
        Misbehaviour::OneBytePerSecond => {
            for byte in server_hello() {
                if !alive() || conn.write_all(&[byte]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        Misbehaviour::ClosesMidHandshake => {
            let mut bytes = server_hello();
            let cert = HandshakeMessage::encode_records(11, &[0u8; 2000], 0x0303).unwrap();
            bytes.extend_from_slice(&cert[..cert.len() / 2]);
            let _ = conn.write_all(&bytes);
        }
        Misbehaviour::EndlessChain => {
            if conn.write_all(&server_hello()).is_err() {
                return;
            }
            // A list of one 16 KiB "certificate", sent again and again.
            let mut body = vec![0x00, 0x40, 0x03, 0x00, 0x40, 0x00];
            body.extend(std::iter::repeat_n(0x30, 0x4000));
            let message = HandshakeMessage::encode_records(11, &body, 0x0303).unwrap();
            while alive() {
                if conn.write_all(&message).is_err() {
                    return;
                }
            }
        }
        Misbehaviour::Ssl2Only { certificate } => {
            // An SSL 2.0 record with a two-byte header, message type 1.
            if hello[0] & 0x80 == 0 || n < 3 || hello[2] != 1 {
                return;
            }
            let answer = Ssl2ServerHello {
                session_id_hit: false,
                certificate_type: 1, // X.509
                version: 2,
                certificate,
                cipher_kinds: vec![0x010080, 0x0700C0],
                connection_id: vec![7; 16],
            };
            let _ = conn.write_all(&answer.encode().unwrap());
            // Wait for the client to leave, as a real server waits for its
            // CLIENT-MASTER-KEY.
            let _ = conn.read(&mut hello);
        }
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ =
            TcpStream::connect_timeout(&([127, 0, 0, 1], self.port).into(), Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
