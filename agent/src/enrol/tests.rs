use std::sync::Arc;

use hyper::body::Bytes;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// A CA that signs like the collector: a server leaf for `localhost` and
/// 127.0.0.1, and agent certificates from requests.
struct TestCa {
    der: CertificateDer<'static>,
    pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl TestCa {
    fn new(name: &str) -> TestCa {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        let cert = p.self_signed(&key).unwrap();
        TestCa {
            der: cert.der().clone(),
            pem: cert.pem(),
            issuer: rcgen::Issuer::new(p, key),
        }
    }

    fn server(&self) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .unwrap()
            .signed_by(&key, &self.issuer)
            .unwrap();
        let key = PrivateKeyDer::Pkcs8(key.serialize_der().into());
        (vec![cert.der().clone(), self.der.clone()], key)
    }

    /// Signs a request as the collector would: CN from the request, OU =
    /// site, 7 days.
    fn sign(&self, csr_pem: &str, site: &str) -> String {
        let mut req = rcgen::CertificateSigningRequestParams::from_pem(csr_pem).unwrap();
        req.params
            .distinguished_name
            .push(rcgen::DnType::OrganizationalUnitName, site);
        let now = time::OffsetDateTime::now_utc();
        req.params.not_before = now - time::Duration::hours(1);
        req.params.not_after = now + time::Duration::days(7);
        req.signed_by(&self.issuer).unwrap().pem()
    }
}

fn issued(ca: &TestCa, csr_pem: &str) -> Issued {
    Issued {
        certificate: ca.sign(csr_pem, "north"),
        ca: ca.pem.clone(),
        agent: "ward-7".into(),
        site: "north".into(),
        not_after: "2030-01-01T00:00:00Z".into(),
    }
}

#[test]
fn an_answer_for_our_key_and_the_pinned_ca_is_accepted() {
    let ca = TestCa::new("collector CA");
    let req = csr::make("ward-7").unwrap();
    let answer = issued(&ca, &req.csr_pem);
    let pin = pin::fingerprint(&ca.der);
    let info = check_issued(&answer, &req.key_pem, Some(&pin)).unwrap();
    assert_eq!(info.common_name.as_deref(), Some("ward-7"));
    assert_eq!(info.site.as_deref(), Some("north"));
    assert_eq!(info.lifetime(), time::Duration::hours(7 * 24 + 1));

    // Another CA than the pinned one.
    let other = TestCa::new("other");
    let wrong_ca = Issued {
        ca: other.pem.clone(),
        ..answer.clone()
    };
    assert!(matches!(
        check_issued(&wrong_ca, &req.key_pem, Some(&pin)),
        Err(EnrolError::Answer(m)) if m.contains("pins")
    ));
    // A certificate for some other key.
    let someone_else = csr::make("ward-7").unwrap();
    assert!(matches!(
        check_issued(&answer, &someone_else.key_pem, Some(&pin)),
        Err(EnrolError::Answer(m)) if m.contains("not for the key")
    ));
    let bad_name = Issued {
        agent: "../x".into(),
        ..answer
    };
    assert!(check_issued(&bad_name, &req.key_pem, Some(&pin)).is_err());
}

#[test]
fn refusals_are_one_sentence_by_reason() {
    let answer = |status: u16, body: &'static str| Response {
        status: StatusCode::from_u16(status).unwrap(),
        retry_after: None,
        body: Bytes::from_static(body.as_bytes()),
    };
    let cases = [
        (401, "token_expired", "has expired"),
        (401, "token_used_up", "used as many times"),
        (401, "token_invalid", "does not know this enrolment token"),
        (409, "name_taken", "--name"),
        (403, "revoked", "revoked"),
    ];
    for (status, reason, words) in cases {
        let body: &'static str =
            Box::leak(format!(r#"{{"error":"x","reason":"{reason}"}}"#).into_boxed_str());
        let e = refusal(&answer(status, body));
        let text = e.to_string();
        assert!(text.contains(words), "{reason}: {text}");
        assert!(!text.contains('\n'));
        assert!(!e.is_usage());
    }
    let e = refusal(&answer(500, "boom"));
    assert!(e.to_string().contains("500"), "{e}");
    assert!(EnrolError::Token(TokenError::Pin).is_usage());
}

#[test]
fn the_minimal_config_points_at_the_enrolment_files_and_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config_if_absent(dir.path(), "https://127.0.0.1:8443")
        .unwrap()
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    assert_eq!(
        value["collector"]["url"].as_str(),
        Some("https://127.0.0.1:8443")
    );
    assert_eq!(value["collector"]["key"].as_str(), Some(KEY_FILE));
    std::fs::write(&path, "# mine\n").unwrap();
    assert_eq!(
        write_config_if_absent(dir.path(), "https://x").unwrap(),
        None
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
}

/// One HTTPS exchange on 127.0.0.1 with a real rustls server presenting
/// `chain`: reads the request, answers with what `answer` makes of its
/// body. Returns the port.
async fn one_shot_server(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    answer: impl FnOnce(serde_json::Value) -> (u16, String) + Send + 'static,
) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        let Ok(mut tls) = acceptor.accept(tcp).await else {
            return;
        };
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        // Bounded: the request is small, and the test's timeout bounds it.
        while buf.len() < 64 * 1024 {
            let n = tls.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if body.len() >= len {
                    let json = serde_json::from_str(body).unwrap();
                    let (status, body) = answer(json);
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(reply.as_bytes()).await;
                    let _ = tls.shutdown().await;
                    return;
                }
            }
        }
    });
    port
}

#[tokio::test]
async fn enrols_over_tls_pinned_to_the_token_ca_and_writes_the_files() {
    let ca = TestCa::new("collector CA");
    let (chain, key) = ca.server();
    let signer = TestCa {
        der: ca.der.clone(),
        pem: ca.pem.clone(),
        issuer: ca.issuer,
    };
    let ca_pem = signer.pem.clone();
    let port = one_shot_server(chain, key, move |req| {
        assert_eq!(req["token_id"], "tok-1");
        assert_eq!(req["secret"], "s3cret");
        assert_eq!(req["name"], "ward-7");
        let cert = signer.sign(req["csr"].as_str().unwrap(), "north");
        let body = serde_json::json!({"certificate": cert, "ca": ca_pem, "agent": "ward-7",
            "site": "north", "not_after": "2030-01-01T00:00:00Z"});
        (201, body.to_string())
    })
    .await;
    let pin = pin::fingerprint(&ca.der);
    let text = Token::encode(
        &format!("https://127.0.0.1:{port}"),
        &pin,
        "tok-1",
        "s3cret",
    );
    let token = Token::decode(&text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = enrol(
        &token,
        "ward-7",
        dir.path(),
        &Resolver::system(),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert_eq!((out.agent.as_str(), out.site.as_str()), ("ward-7", "north"));
    assert_eq!(
        out.config_written.as_deref(),
        Some(dir.path().join(CONFIG_FILE).as_path())
    );
    // What was written is a working identity: the config loads it.
    let cert = crate::pem::certificates(&dir.path().join(CERT_FILE)).unwrap();
    let key = crate::pem::private_key(&dir.path().join(KEY_FILE)).unwrap();
    assert!(csr::matches(&cert, &key));
    let written_ca = std::fs::read(dir.path().join(CA_FILE)).unwrap();
    let written_ca = CertificateDer::from_pem_slice(&written_ca).unwrap();
    assert_eq!(pin::fingerprint(&written_ca), pin);
}

#[tokio::test]
async fn a_server_without_the_pinned_ca_gets_nothing() {
    let ours = TestCa::new("collector CA");
    let theirs = TestCa::new("impostor");
    let (chain, key) = theirs.server();
    let sent = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = sent.clone();
    let port = one_shot_server(chain, key, move |_| {
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        (201, "{}".into())
    })
    .await;
    let text = Token::encode(
        &format!("https://127.0.0.1:{port}"),
        &pin::fingerprint(&ours.der),
        "tok-1",
        "s3cret",
    );
    let dir = tempfile::tempdir().unwrap();
    let err = enrol(
        &Token::decode(&text).unwrap(),
        "ward-7",
        dir.path(),
        &Resolver::system(),
        Duration::from_secs(10),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, EnrolError::PinNotPresented { presented: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("fingerprint"), "{err}");
    // The secret never left: the handshake failed before any request.
    assert!(!sent.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
