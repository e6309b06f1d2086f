//! Certificates for component tests, made with rcgen into a temp folder.

#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use time::{Duration, OffsetDateTime};

/// A certificate and key written as PEM files.
#[derive(Debug, Clone)]
pub struct Pair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A test CA plus leaves, all in one temp folder.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca_cert: PathBuf,
    ca: std::sync::Arc<Issuer<'static, KeyPair>>,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki")
            .field("dir", &self.dir.path())
            .finish()
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "Trustwatch Test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.not_before = now() - Duration::days(1);
        params.not_after = now() + Duration::days(3650);
        let cert = params.self_signed(&key).unwrap();
        let ca_cert = dir.path().join("ca.pem");
        std::fs::write(&ca_cert, cert.pem()).unwrap();
        Pki {
            dir,
            ca_cert,
            ca: std::sync::Arc::new(Issuer::new(params, key)),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn params(
        names: &[&str],
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> CertificateParams {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.not_before = not_before;
        params.not_after = not_after;
        params
    }

    fn write(&self, name: &str, cert_pem: String, key: &KeyPair) -> Pair {
        let pair = Pair {
            cert: self.path(&format!("{name}.pem")),
            key: self.path(&format!("{name}.key")),
        };
        std::fs::write(&pair.cert, cert_pem).unwrap();
        std::fs::write(&pair.key, key.serialize_pem()).unwrap();
        pair
    }

    /// A leaf for `localhost` and 127.0.0.1 issued by the CA, valid from
    /// yesterday for 90 days.
    pub fn good_leaf(&self) -> Pair {
        self.leaf(
            "good",
            now() - Duration::days(1),
            now() + Duration::days(90),
        )
    }

    /// A CA-issued leaf that expired ten days ago.
    pub fn expired_leaf(&self) -> Pair {
        self.leaf(
            "expired",
            now() - Duration::days(100),
            now() - Duration::days(10),
        )
    }

    pub fn leaf(&self, name: &str, not_before: OffsetDateTime, not_after: OffsetDateTime) -> Pair {
        let key = KeyPair::generate().unwrap();
        let params = Self::params(&["localhost", "127.0.0.1"], not_before, not_after);
        let cert = params.signed_by(&key, &*self.ca).unwrap();
        self.write(name, cert.pem(), &key)
    }

    /// A self-signed leaf for `localhost`, valid now.
    pub fn self_signed_leaf(&self) -> Pair {
        let key = KeyPair::generate().unwrap();
        let params = Self::params(
            &["localhost", "127.0.0.1"],
            now() - Duration::days(1),
            now() + Duration::days(90),
        );
        let cert = params.self_signed(&key).unwrap();
        self.write("selfsigned", cert.pem(), &key)
    }

    /// A client certificate issued by the CA (for the agent's mutual TLS).
    pub fn client(&self, name: &str) -> Pair {
        let key = KeyPair::generate().unwrap();
        let mut params = Self::params(
            &[name],
            now() - Duration::days(1),
            now() + Duration::days(90),
        );
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.signed_by(&key, &*self.ca).unwrap();
        self.write(name, cert.pem(), &key)
    }
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

impl Pki {
    /// A client certificate for `name` (CN) valid from `not_before` to
    /// `not_after`, written as `agent.pem`/`agent.key`.
    pub fn client_valid(
        &self,
        name: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Pair {
        let key = KeyPair::generate().unwrap();
        let mut params = Self::params(&[name], not_before, not_after);
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.signed_by(&key, &*self.ca).unwrap();
        self.write("agent", cert.pem(), &key)
    }

    /// A function answering renewals as the collector does, with this CA.
    pub fn sign_request_fn(&self) -> impl Fn(&str) -> String + Send + Sync + 'static {
        let ca_pem = self.ca_pem();
        let issuer = self.ca.clone();
        move |csr| {
            let mut req = rcgen::CertificateSigningRequestParams::from_pem(csr).unwrap();
            req.params.not_before = now() - Duration::hours(1);
            req.params.not_after = now() + Duration::days(7);
            let cert = req.signed_by(&*issuer).unwrap();
            serde_json::json!({
                "certificate": cert.pem(), "ca": ca_pem, "agent": "agent", "site": "north",
                "not_after": "2030-01-01T00:00:00Z",
            })
            .to_string()
        }
    }

    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(&self.ca_cert).unwrap()
    }
}
