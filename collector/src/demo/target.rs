//! The demo's deliberately misconfigured TLS endpoint: TLS 1.2 only, serving
//! a certificate that expired a month ago, issued by a throwaway "demo
//! target CA" that has nothing to do with the collector CA. It exists so a
//! first run shows real failing findings without touching any real host.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio_rustls::TlsAcceptor;

use crate::ca::write_public;
use crate::error::{Error, Result};

pub const TARGET_CA_FILE: &str = "demo-target-ca.crt";
/// A handful of connections is plenty for one agent's probes.
const MAX_CONNECTIONS: usize = 16;
const IO_TIMEOUT: StdDuration = StdDuration::from_secs(10);

const BODY: &str = "This is a DELIBERATELY MISCONFIGURED Trustwatch demo endpoint: \
TLS 1.2 only and an expired certificate. Do not copy its configuration.\n";

/// A bound, not yet serving, demo target.
pub struct DemoTarget {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    pub ca_file: PathBuf,
    pub not_after: OffsetDateTime,
}

impl std::fmt::Debug for DemoTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoTarget")
            .field("listener", &self.listener)
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

impl DemoTarget {
    /// Creates the demo target CA and the expired leaf, writes the CA to
    /// `dir/demo-target-ca.crt` and binds 127.0.0.1 on a free port.
    pub async fn bind(dir: &Path) -> Result<DemoTarget> {
        let gen_err = |source| Error::CertificateGeneration {
            what: "demo target certificate",
            source,
        };
        let now = OffsetDateTime::now_utc();
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(gen_err)?;
        let mut ca_params = CertificateParams::default();
        ca_params.distinguished_name = rcgen::DistinguishedName::new();
        ca_params.distinguished_name.push(
            DnType::CommonName,
            "Trustwatch demo target CA (not for real use)",
        );
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        ca_params.not_before = now - Duration::days(800);
        ca_params.not_after = now + Duration::days(365);
        let ca_cert = ca_params.self_signed(&ca_key).map_err(gen_err)?;
        let ca = Issuer::new(ca_params, ca_key);

        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(gen_err)?;
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .map_err(gen_err)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, "expired.demo.trustwatch");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        // Valid for a year, expired 30 days ago.
        params.not_before = now - Duration::days(395);
        params.not_after = now - Duration::days(30);
        let leaf = params.signed_by(&key, &ca).map_err(gen_err)?;

        let ca_file = dir.join(TARGET_CA_FILE);
        write_public(&ca_file, ca_cert.pem().as_bytes())?;
        let config = ServerConfig::builder_with_provider(crate::tls::provider())
            .with_protocol_versions(&[&rustls::version::TLS12])
            .and_then(|b| {
                b.with_no_client_auth().with_single_cert(
                    vec![leaf.der().clone(), ca_cert.der().clone()],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
                )
            })
            .map_err(|e| Error::Tls {
                what: "demo target",
                reason: e.to_string(),
            })?;
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind {
                what: "demo target",
                addr,
                source,
            })?;
        Ok(DemoTarget {
            listener,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_file,
            not_after: params.not_after,
        })
    }

    pub fn addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(Error::io("read the address of", "the demo target listener"))
    }

    /// Serves until `stop` turns true.
    pub async fn serve(self, mut stop: watch::Receiver<bool>) {
        let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        loop {
            let permit = tokio::select! {
                () = crate::shutdown::stopped(&mut stop) => return,
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => return,
                },
            };
            let tcp = tokio::select! {
                () = crate::shutdown::stopped(&mut stop) => return,
                accepted = self.listener.accept() => match accepted {
                    Ok((tcp, _)) => tcp,
                    Err(_) => {
                        tokio::time::sleep(StdDuration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let acceptor = self.acceptor.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let _ = tokio::time::timeout(IO_TIMEOUT, answer(acceptor, tcp)).await;
            });
        }
    }
}

/// Completes the handshake and answers any request with a plain page.
async fn answer(acceptor: TlsAcceptor, tcp: TcpStream) -> std::io::Result<()> {
    let mut tls = acceptor.accept(tcp).await?;
    let mut buf = [0u8; 4096];
    let _ = tls.read(&mut buf).await?;
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    tls.write_all(response.as_bytes()).await?;
    tls.shutdown().await
}
