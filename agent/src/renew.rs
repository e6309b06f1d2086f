//! Renewal of the agent's certificate, over mutual TLS with the identity
//! that is about to expire, at the start of a cycle once less than a third
//! of its lifetime remains ([`crate::identity::CertInfo::renewal_due`]).
//!
//! The key and certificate are two files that must change together. Each
//! is first written whole beside its target as `<name>.next` (atomically),
//! then the key is renamed into place, then the certificate. A crash can
//! stop this anywhere; [`finish_pending`], run before the config reads the
//! identity, completes the swap when the `.next` files it finds belong
//! together (and to the key in place), and otherwise removes them. The pair
//! in use is therefore always a matching pair.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper::{Method, StatusCode};

use crate::config::IdentityFiles;
use crate::enrol::{self, csr, EnrolError, Issued};
use crate::fsio;
use crate::identity::CertInfo;
use crate::net::Resolver;
use crate::upload::Collector;

pub const RENEW_PATH: &str = "/api/v1/renew";
pub const RENEW_TIMEOUT: Duration = Duration::from_secs(30);

fn next(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{name}.next"))
}

/// Replaces the key and certificate at `key_path` and `cert_path` as a
/// pair; on failure says which file.
pub fn install(
    cert_path: &Path,
    key_path: &Path,
    cert_pem: &str,
    key_pem: &str,
) -> Result<(), (PathBuf, std::io::Error)> {
    let (key_next, cert_next) = (next(key_path), next(cert_path));
    let at = |p: &Path| {
        let p = p.to_owned();
        move |e| (p, e)
    };
    fsio::write_atomic(&key_next, key_pem.as_bytes(), Some(0o600)).map_err(at(&key_next))?;
    fsio::write_atomic(&cert_next, cert_pem.as_bytes(), Some(0o644)).map_err(at(&cert_next))?;
    std::fs::rename(&key_next, key_path).map_err(at(key_path))?;
    std::fs::rename(&cert_next, cert_path).map_err(at(cert_path))?;
    for path in [key_path, cert_path] {
        let dir = path.parent().unwrap_or(Path::new("."));
        fsio::sync_dir(dir).map_err(at(dir))?;
    }
    Ok(())
}

fn pair_matches(cert: &Path, key: &Path) -> bool {
    let (Ok(cert), Ok(key)) = (crate::pem::certificates(cert), crate::pem::private_key(key)) else {
        return false;
    };
    csr::matches(&cert, &key)
}

/// Completes or undoes a renewal a crash interrupted (see the module doc).
/// Runs before any socket opens; never fails: whatever it cannot fix, the
/// config's own checks of the identity then report.
pub fn finish_pending(cert_path: &Path, key_path: &Path) {
    let (key_next, cert_next) = (next(key_path), next(cert_path));
    for tmp in [fsio::tmp_path(&key_next), fsio::tmp_path(&cert_next)] {
        let _ = std::fs::remove_file(tmp);
    }
    let rename = |from: &Path, to: &Path| {
        if let Err(e) = std::fs::rename(from, to) {
            tracing::error!(from = %from.display(), to = %to.display(), error = %e,
                "cannot finish an interrupted renewal");
        }
    };
    match (key_next.exists(), cert_next.exists()) {
        (true, true) if pair_matches(&cert_next, &key_next) => {
            rename(&key_next, key_path);
            rename(&cert_next, cert_path);
            tracing::info!(cert = %cert_path.display(), "finished a renewal a restart interrupted");
        }
        // The key is in place already; its certificate is the one waiting.
        (false, true) if pair_matches(&cert_next, key_path) => {
            rename(&cert_next, cert_path);
            tracing::info!(cert = %cert_path.display(), "finished a renewal a restart interrupted");
        }
        (false, false) => return,
        _ => {
            let _ = std::fs::remove_file(&key_next);
            let _ = std::fs::remove_file(&cert_next);
            tracing::warn!(cert = %cert_path.display(),
                "removed the files of a renewal that was interrupted before they were complete; the current certificate stays");
        }
    }
    if let Some(dir) = cert_path.parent() {
        let _ = fsio::sync_dir(dir);
    }
}

/// Asks the collector for a new certificate for `name` with a new key,
/// writes both, and switches `collector` to them. Returns the new
/// certificate's facts.
pub async fn renew(
    collector: &Collector,
    files: &IdentityFiles,
    name: &str,
    resolver: &Resolver,
    timeout: Duration,
) -> Result<CertInfo, EnrolError> {
    let request = csr::make(name)?;
    let body = serde_json::json!({ "csr": request.csr_pem });
    let response = collector
        .call(
            Method::POST,
            RENEW_PATH,
            Some(body.to_string().into_bytes()),
            resolver,
            timeout,
        )
        .await
        .map_err(|u| EnrolError::Unreachable {
            url: collector.endpoint().url(RENEW_PATH),
            reason: u.reason,
        })?;
    if response.status != StatusCode::OK {
        return Err(enrol::refusal(&response));
    }
    let issued: Issued = serde_json::from_slice(&response.body)
        .map_err(|e| EnrolError::Answer(format!("it is not a renewal answer ({e})")))?;
    let info = enrol::check_issued(&issued, &request.key_pem, None)?;
    // The TLS settings are built before anything is written, so a pair the
    // TLS library refuses never reaches the disk.
    let tls = collector
        .prepare_identity(
            csr::certificates(&issued.certificate, "certificate")?,
            csr::private_key(&request.key_pem)?,
        )
        .map_err(|e| EnrolError::Answer(e.to_string()))?;
    install(
        &files.cert,
        &files.key,
        &issued.certificate,
        &request.key_pem,
    )
    .map_err(|(path, source)| EnrolError::Write { path, source })?;
    collector.use_identity(tls);
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }

    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("agent.crt"), dir.path().join("agent.key"));
        let (c, k) = pair("old");
        install(&cert, &key, &c, &k).unwrap();
        (dir, cert, key)
    }

    fn read(p: &Path) -> String {
        std::fs::read_to_string(p).unwrap()
    }

    #[test]
    fn install_replaces_the_pair_and_leaves_nothing_behind() {
        let (dir, cert, key) = setup();
        let (c, k) = pair("new");
        install(&cert, &key, &c, &k).unwrap();
        assert_eq!((read(&cert), read(&key)), (c, k));
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["agent.crt", "agent.key"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn a_crash_before_any_rename_is_rolled_forward() {
        let (_dir, cert, key) = setup();
        let (c, k) = pair("new");
        std::fs::write(next(&key), &k).unwrap();
        std::fs::write(next(&cert), &c).unwrap();
        finish_pending(&cert, &key);
        assert_eq!((read(&cert), read(&key)), (c, k));
        assert!(!next(&key).exists() && !next(&cert).exists());
    }

    #[test]
    fn a_crash_between_the_renames_is_rolled_forward() {
        let (_dir, cert, key) = setup();
        let (c, k) = pair("new");
        std::fs::write(&key, &k).unwrap();
        std::fs::write(next(&cert), &c).unwrap();
        finish_pending(&cert, &key);
        assert_eq!((read(&cert), read(&key)), (c, k));
        assert!(pair_matches(&cert, &key));
    }

    #[test]
    fn incomplete_or_mismatched_leftovers_are_removed() {
        let (_dir, cert, key) = setup();
        let before = (read(&cert), read(&key));
        // Key written, certificate not yet.
        let (_, k) = pair("new");
        std::fs::write(next(&key), &k).unwrap();
        finish_pending(&cert, &key);
        assert_eq!((read(&cert), read(&key)), before);
        assert!(!next(&key).exists());
        // A certificate for another key.
        let (c, _) = pair("other");
        std::fs::write(next(&cert), &c).unwrap();
        finish_pending(&cert, &key);
        assert_eq!((read(&cert), read(&key)), before);
        assert!(!next(&cert).exists());
        // A torn pair.
        std::fs::write(next(&key), b"-----BEGIN PRIV").unwrap();
        std::fs::write(next(&cert), &c).unwrap();
        finish_pending(&cert, &key);
        assert_eq!((read(&cert), read(&key)), before);
        // Nothing pending: nothing happens.
        finish_pending(&cert, &key);
        assert_eq!((read(&cert), read(&key)), before);
    }
}
