//! The lab's PKI: a root CA, an intermediate under it, and the leaves the
//! endpoints serve. ECDSA leaves come from rcgen; leaves rcgen (on ring)
//! cannot make — RSA keys, a 1024-bit key, a SHA-1 signature — come from the
//! `openssl` command line, signed by the same intermediate.

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use super::openssl;

/// The name every lab certificate is issued for (and the SNI every target
/// sends), so peers that take a host name on the command line can be given
/// one that resolves.
pub const LAB_NAME: &str = "localhost";
/// The name on the `wrong-host` certificate.
pub const WRONG_NAME: &str = "intranet.wrong-host.test";

/// A certificate and its key as PEM files; `chain` is what the server sends
/// after the leaf (empty for a leaf served alone).
#[derive(Debug, Clone)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub chain: Option<PathBuf>,
    /// Leaf followed by the chain, for servers that take one file (nginx,
    /// OpenSMTPD, tlslite).
    pub fullchain: PathBuf,
}

/// Root → intermediate. Their validity spans every leaf's (CAs live long),
/// so only the dates of the leaf itself are ever at fault: a validator that
/// checks an expired leaf's chain at a time inside the leaf's life must
/// still find the CAs valid.
#[derive(Debug)]
pub struct LabPki {
    dir: PathBuf,
    pub root_pem: PathBuf,
    intermediate: Issuer<'static, KeyPair>,
    intermediate_cert: PathBuf,
    intermediate_key: PathBuf,
}

impl LabPki {
    pub fn new(dir: &Path) -> LabPki {
        let now = OffsetDateTime::now_utc();
        let root_key = KeyPair::generate().expect("root key");
        let root_params = ca_params("Trustwatch Lab Root CA", now, -3000, 4000);
        let root_cert = root_params.self_signed(&root_key).expect("self-sign root");
        let root = Issuer::new(root_params, root_key);

        let int_key = KeyPair::generate().expect("intermediate key");
        let int_params = ca_params("Trustwatch Lab Issuing CA", now, -2000, 3000);
        let int_cert = int_params
            .signed_by(&int_key, &root)
            .expect("sign intermediate");

        let root_pem = dir.join("root.pem");
        let intermediate_cert = dir.join("intermediate.pem");
        let intermediate_key = dir.join("intermediate.key");
        fs::write(&root_pem, root_cert.pem()).expect("write root");
        fs::write(&intermediate_cert, int_cert.pem()).expect("write intermediate");
        write_key(&intermediate_key, &int_key.serialize_pem());
        LabPki {
            dir: dir.to_owned(),
            root_pem,
            intermediate: Issuer::new(int_params, int_key),
            intermediate_cert,
            intermediate_key,
        }
    }

    /// An ECDSA P-256 leaf for `name`, valid `from_days..to_days` from now,
    /// issued by the intermediate.
    pub fn leaf(&self, stem: &str, name: &str, from_days: i64, to_days: i64) -> CertFiles {
        let now = OffsetDateTime::now_utc();
        let key = KeyPair::generate().expect("leaf key");
        let params = leaf_params(name, now, from_days, to_days);
        let cert = params
            .signed_by(&key, &self.intermediate)
            .expect("sign leaf");
        self.write_leaf(stem, &cert.pem(), &key.serialize_pem(), true)
    }

    /// A self-signed ECDSA leaf for `name`: no CA will vouch for it.
    pub fn self_signed(&self, stem: &str, name: &str) -> CertFiles {
        let now = OffsetDateTime::now_utc();
        let key = KeyPair::generate().expect("leaf key");
        let cert = leaf_params(name, now, -10, 80)
            .self_signed(&key)
            .expect("self-sign leaf");
        self.write_leaf(stem, &cert.pem(), &key.serialize_pem(), false)
    }

    /// A leaf with an RSA key of `bits`, signed by the intermediate with
    /// `digest` (`sha256`, `sha1`), by the openssl command line.
    pub fn openssl_leaf(&self, stem: &str, bits: u32, digest: &str) -> CertFiles {
        let key = self.dir.join(format!("{stem}.key"));
        let csr = self.dir.join(format!("{stem}.csr"));
        let ext = self.dir.join(format!("{stem}.ext"));
        let cert = self.dir.join(format!("{stem}.crt"));
        openssl::run(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &format!("rsa_keygen_bits:{bits}"),
            "-out",
            path(&key),
        ]);
        openssl::run(&[
            "req",
            "-new",
            "-key",
            path(&key),
            "-subj",
            &format!("/CN={LAB_NAME}"),
            "-out",
            path(&csr),
        ]);
        fs::write(
            &ext,
            format!(
                "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
                 extendedKeyUsage=serverAuth\nsubjectAltName=DNS:{LAB_NAME}\n\
                 subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
            ),
        )
        .expect("write extensions");
        openssl::run(&[
            "x509",
            "-req",
            "-in",
            path(&csr),
            "-CA",
            path(&self.intermediate_cert),
            "-CAkey",
            path(&self.intermediate_key),
            "-set_serial",
            &format!("0x{:016x}", serial_seed(stem)),
            "-days",
            "80",
            &format!("-{digest}"),
            "-extfile",
            path(&ext),
            "-out",
            path(&cert),
        ]);
        let cert_pem = fs::read_to_string(&cert).expect("read openssl leaf");
        let key_pem = fs::read_to_string(&key).expect("read openssl key");
        self.write_leaf(stem, &cert_pem, &key_pem, true)
    }

    /// Writes `stem.crt`, `stem.key` and `stem.fullchain.pem`; with
    /// `chained`, the intermediate follows the leaf.
    fn write_leaf(&self, stem: &str, cert_pem: &str, key_pem: &str, chained: bool) -> CertFiles {
        let cert = self.dir.join(format!("{stem}.crt"));
        let key = self.dir.join(format!("{stem}.key"));
        let fullchain = self.dir.join(format!("{stem}.fullchain.pem"));
        fs::write(&cert, cert_pem).expect("write leaf");
        write_key(&key, key_pem);
        let mut full = cert_pem.to_owned();
        if chained {
            full.push_str(&fs::read_to_string(&self.intermediate_cert).expect("read intermediate"));
        }
        fs::write(&fullchain, full).expect("write full chain");
        CertFiles {
            cert,
            key,
            chain: chained.then(|| self.intermediate_cert.clone()),
            fullchain,
        }
    }
}

fn ca_params(name: &str, now: OffsetDateTime, from: i64, to: i64) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Trustwatch TLS lab");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    // RFC 5280 §4.2.1.1: strict validators (sslyze's) refuse a chain whose
    // certificates lack the Authority Key Identifier.
    params.use_authority_key_identifier_extension = true;
    params.not_before = now + Duration::days(from);
    params.not_after = now + Duration::days(to);
    params
}

fn leaf_params(name: &str, now: OffsetDateTime, from: i64, to: i64) -> CertificateParams {
    let mut params = CertificateParams::new(vec![name.to_owned()]).expect("leaf params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now + Duration::days(from);
    params.not_after = now + Duration::days(to);
    params
}

/// Private keys readable by their owner only: OpenSMTPD refuses others.
fn write_key(path: &Path, pem: &str) {
    use std::os::unix::fs::PermissionsExt;
    fs::write(path, pem).expect("write key");
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).expect("chmod key");
}

/// Distinct serials per leaf without a random-number dependency.
fn serial_seed(stem: &str) -> u64 {
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos() as u64;
    stem.bytes()
        .fold(nanos, |acc, b| acc.rotate_left(7) ^ u64::from(b))
        & 0x7fff_ffff_ffff_ffff
}

fn path(p: &Path) -> &str {
    p.to_str().expect("lab paths are UTF-8")
}
