//! Reading PEM files: trust anchors (`--ca`, the collector's CA), the
//! agent's client certificate and its private key.

use std::io::Read;
use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, TrustAnchor};

use crate::error::{Error, Result};

/// PEM files here hold a handful of certificates; anything bigger is not
/// what the user meant to point at, and is not read into memory.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

fn read(path: &Path) -> Result<Vec<u8>> {
    let problem = |problem: String| Error::Pem {
        path: path.to_owned(),
        problem,
    };
    let file = std::fs::File::open(path).map_err(|e| problem(format!("cannot be read: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| problem(format!("cannot be read: {e}")))?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(problem(
            "is larger than 1 MiB, which is not a PEM certificate or key file".into(),
        ));
    }
    Ok(bytes)
}

/// Every certificate in a PEM file; at least one.
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let bytes = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Pem {
            path: path.to_owned(),
            problem: format!("is not valid PEM ({e})"),
        })?;
    if certs.is_empty() {
        return Err(Error::Pem {
            path: path.to_owned(),
            problem: "no PEM certificate found in the file".into(),
        });
    }
    Ok(certs)
}

/// The certificates of a PEM file as trust anchors.
pub fn anchors(path: &Path) -> Result<Vec<TrustAnchor<'static>>> {
    certificates(path)?
        .iter()
        .enumerate()
        .map(|(i, der)| {
            webpki::anchor_from_trusted_cert(der)
                .map(|a| a.to_owned())
                .map_err(|e| Error::Pem {
                    path: path.to_owned(),
                    problem: format!(
                        "certificate {} cannot be used as a trust anchor ({e})",
                        i + 1
                    ),
                })
        })
        .collect()
}

/// The one private key in a PEM file (PKCS#8, or PKCS#1/SEC1).
pub fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    let bytes = read(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| Error::Pem {
        path: path.to_owned(),
        problem: match e {
            rustls_pki_types::pem::Error::NoItemsFound => {
                "no PEM private key found in the file".into()
            }
            e => format!("is not a valid PEM private key ({e})"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_what_is_wrong_with_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "hello\n").unwrap();
        let err = certificates(&empty).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("{}: no PEM certificate found in the file", empty.display())
        );

        let missing = dir.path().join("missing.pem");
        assert!(certificates(&missing)
            .unwrap_err()
            .to_string()
            .contains("cannot be read"));
        assert!(private_key(&empty)
            .unwrap_err()
            .to_string()
            .contains("no PEM private key"));

        let bad = dir.path().join("bad.pem");
        std::fs::write(
            &bad,
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(certificates(&bad)
            .unwrap_err()
            .to_string()
            .contains("not valid PEM"));
    }

    #[test]
    fn reads_anchors_and_keys_made_by_rcgen() {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).unwrap();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca.pem()).unwrap();
        assert_eq!(anchors(&ca_path).unwrap().len(), 1);
        let key_path = dir.path().join("key.pem");
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        assert!(matches!(
            private_key(&key_path).unwrap(),
            PrivateKeyDer::Pkcs8(_)
        ));
    }
}
