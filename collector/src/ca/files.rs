//! Writing keys and certificates safely: private keys are created 0600 from
//! the first byte (never chmod-ed after the fact), and every file is written
//! to a temporary name and renamed, so a crash never leaves half a PEM.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Writes a private key (or anything secret): mode 0600.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomic(path, contents, 0o600)
}

/// Writes a certificate: mode 0644.
pub fn write_public(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomic(path, contents, 0o644)
}

fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(Error::io("create", &tmp))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(Error::io("write", &tmp))?;
    // The umask may have narrowed the mode; a key must be exactly 0600 and a
    // certificate readable by the agent's service user.
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))
        .map_err(Error::io("set permissions on", &tmp))?;
    fs::rename(&tmp, path).map_err(Error::io("replace", path))
}

/// Creates a folder (and its parents) for secrets: 0700 when we create it.
pub(crate) fn create_private_dir(path: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(Error::io("create the folder", path))
}

pub(crate) fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(Error::io("read", path))
}

/// The first certificate of a PEM file.
pub(crate) fn first_certificate(path: &Path, pem: &str) -> Result<CertificateDer<'static>> {
    match CertificateDer::pem_slice_iter(pem.as_bytes()).next() {
        Some(Ok(der)) => Ok(der),
        Some(Err(e)) => Err(Error::BadPem {
            path: path.to_owned(),
            what: "certificate",
            reason: e.to_string(),
        }),
        None => Err(Error::BadPem {
            path: path.to_owned(),
            what: "certificate",
            reason: "it holds no CERTIFICATE block".into(),
        }),
    }
}

/// SHA-256 of a certificate's DER, lowercase hex: how operators and the
/// store name a certificate.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}
