//! The TLS lab: one real server per planted weakness (and a few good ones),
//! each on its own loopback address `127.a.b.N` so that a scanner's per-host
//! limit applies to each endpoint separately. Used by the detection test
//! (`tests/tls_lab.rs`) and, through the `trustwatch-tls-lab` runner, by the
//! benchmark against sslyze and testssl.sh (`bench/tls.sh`).
//!
//! Servers: `openssl s_server` for most endpoints, tlslite-ng for SSL 3.0 /
//! RC4 / 3DES, Dovecot submission for SMTP STARTTLS, nginx for HTTPS with
//! and without HSTS. Every server is stopped when the lab is dropped.

pub mod catalogue;
pub mod certs;
pub mod launch;
pub mod legacy;
pub mod mail;
pub mod manifest;
pub mod matrix;
pub mod openssl;
pub mod scan;
pub mod web;

use std::collections::HashMap;
use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use catalogue::{CertKind, EndpointSpec, ServerKind, ENDPOINTS};
use certs::{CertFiles, LabPki, LAB_NAME, WRONG_NAME};
use launch::{pick_port, AddressPlan, Server};
use manifest::{EndpointEntry, Manifest};
use openssl::{SServer, MODERN_RSA_LEVEL0};

/// The port of the endpoints that are not web servers: not 443 or 8443,
/// where the agent would run its HTTP rules on its own against
/// `s_server -www`'s status page. Web endpoints prefer 443 and 80, the SMTP
/// one 587 (any free port when those cannot be bound).
const TLS_PORT: u16 = 4433;

/// A running endpoint.
#[derive(Debug)]
pub struct Endpoint {
    pub spec: &'static EndpointSpec,
    pub host: Ipv4Addr,
    pub port: u16,
    pub http_port: Option<u16>,
    pub server: Server,
}

/// Fields drop in order: the servers stop before their folder is removed.
#[derive(Debug)]
pub struct TlsLab {
    pub endpoints: Vec<Endpoint>,
    pub dir: PathBuf,
    pub ca_pem: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl TlsLab {
    /// Starts every endpoint in a temporary folder removed on drop.
    pub fn start() -> TlsLab {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut lab = TlsLab::start_in(tmp.path());
        lab._tmp = Some(tmp);
        lab
    }

    /// Starts every endpoint with its files under `dir` (kept).
    pub fn start_in(dir: &Path) -> TlsLab {
        fs::create_dir_all(dir).expect("lab folder");
        let pki = LabPki::new(dir);
        let plan = AddressPlan::next();
        let mut certs = CertCache::default();
        let endpoints = ENDPOINTS
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let host = plan.host(10 + i as u8);
                start_endpoint(spec, host, &pki, &mut certs, dir)
            })
            .collect();
        TlsLab {
            endpoints,
            dir: dir.to_owned(),
            ca_pem: pki.root_pem.clone(),
            _tmp: None,
        }
    }

    /// The manifest of the running lab.
    pub fn manifest(&self) -> Manifest {
        let endpoints = self
            .endpoints
            .iter()
            .map(|e| EndpointEntry {
                name: e.spec.name.to_owned(),
                description: e.spec.description.to_owned(),
                host: e.host.to_string(),
                port: e.port,
                address: format!("{}:{}", e.host, e.port),
                sni: LAB_NAME.to_owned(),
                starttls: e.spec.starttls().map(str::to_owned),
                http: e.spec.http(),
                http_port: e.http_port,
                server: program(e.spec.server).to_owned(),
                pid: e.server.pid,
                planted: e.spec.planted.iter().map(|s| s.to_string()).collect(),
                also: e.spec.also.iter().map(|s| s.to_string()).collect(),
                clean: e.spec.clean(),
            })
            .collect();
        Manifest {
            ca: self.ca_pem.clone(),
            targets_file: self.dir.join("targets.txt"),
            dir: self.dir.clone(),
            endpoints,
        }
    }

    /// Writes `manifest.json` and `targets.txt` into the lab folder and
    /// returns the manifest.
    pub fn write_files(&self) -> (PathBuf, Manifest) {
        let manifest = self.manifest();
        fs::write(&manifest.targets_file, manifest.targets_text()).expect("write targets file");
        let path = self.dir.join("manifest.json");
        let json = serde_json::to_string_pretty(&manifest).expect("manifest JSON");
        fs::write(&path, json + "\n").expect("write manifest");
        (path, manifest)
    }
}

fn program(kind: ServerKind) -> &'static str {
    match kind {
        ServerKind::Legacy => "tlslite-ng",
        ServerKind::SmtpStarttls => "dovecot",
        ServerKind::Nginx(_) => "nginx",
        _ => "openssl s_server",
    }
}

/// Leaves made once and shared by endpoints that serve the same kind.
#[derive(Debug, Default)]
struct CertCache(HashMap<CertKind, CertFiles>);

impl CertCache {
    fn get(&mut self, pki: &LabPki, kind: CertKind) -> CertFiles {
        self.0
            .entry(kind)
            .or_insert_with(|| match kind {
                CertKind::Good => pki.leaf("good", LAB_NAME, -10, 80),
                CertKind::Expired => pki.leaf("expired", LAB_NAME, -400, -5),
                CertKind::NearExpiry => pki.leaf("near-expiry", LAB_NAME, -80, 10),
                CertKind::LongValidity => pki.leaf("long-validity", LAB_NAME, -10, 5 * 365),
                CertKind::WrongHost => pki.leaf("wrong-host", WRONG_NAME, -10, 80),
                CertKind::SelfSigned => pki.self_signed("self-signed", LAB_NAME),
                CertKind::Rsa2048 => pki.openssl_leaf("rsa2048", 2048, "sha256"),
                CertKind::Sha1 => pki.openssl_leaf("sha1", 2048, "sha1"),
                CertKind::Rsa1024 => pki.openssl_leaf("rsa1024", 1024, "sha256"),
            })
            .clone()
    }
}

fn start_endpoint(
    spec: &'static EndpointSpec,
    host: Ipv4Addr,
    pki: &LabPki,
    certs: &mut CertCache,
    dir: &Path,
) -> Endpoint {
    let h = host.to_string();
    let name = spec.name;
    let mut http_port = None;
    let (port, server) = match spec.server {
        ServerKind::Legacy => {
            let port = pick_port(host, TLS_PORT);
            let cert = certs.get(pki, CertKind::Rsa2048);
            (port, legacy::start(name, &h, port, &cert, dir))
        }
        ServerKind::SmtpStarttls => {
            let port = pick_port(host, 587);
            let cert = certs.get(pki, CertKind::Good);
            (port, mail::start(name, &h, port, &cert, dir))
        }
        ServerKind::Nginx(style) => {
            let port = pick_port(host, 443);
            let plain = pick_port(host, 80);
            http_port = Some(plain);
            let cert = certs.get(pki, CertKind::Good);
            (port, web::start(name, style, &h, port, plain, &cert, dir))
        }
        kind => {
            let port = pick_port(host, TLS_PORT);
            let (config, cert) = s_server_config(kind, pki, certs, dir);
            (port, config.start(name, &h, port, &cert, dir))
        }
    };
    Endpoint {
        spec,
        host,
        port,
        http_port,
        server,
    }
}

/// The `openssl s_server` configuration and certificate for each kind it
/// plays.
fn s_server_config(
    kind: ServerKind,
    pki: &LabPki,
    certs: &mut CertCache,
    dir: &Path,
) -> (SServer, CertFiles) {
    let modern = SServer::modern();
    match kind {
        ServerKind::Modern { cert, chain } => {
            let rsa = matches!(cert, CertKind::Sha1 | CertKind::Rsa1024);
            let config = SServer {
                // OpenSSL's default security level refuses to serve a SHA-1
                // signed or 1024-bit certificate at all.
                cipher: if rsa { MODERN_RSA_LEVEL0 } else { modern.cipher },
                send_chain: chain,
                ..modern
            };
            (config, certs.get(pki, cert))
        }
        ServerKind::Tls10 => (
            SServer {
                min_protocol: "TLSv1",
                cipher: "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0",
                ..modern
            },
            certs.get(pki, CertKind::Good),
        ),
        ServerKind::StaticRsaCbc => (
            SServer {
                max_protocol: "TLSv1.2",
                cipher: "AES128-SHA:AES256-SHA",
                ..modern
            },
            certs.get(pki, CertKind::Rsa2048),
        ),
        ServerKind::Dhe1024 => {
            let dh = dir.join("dh1024.pem");
            openssl::dhparam(&dh, 1024);
            (
                SServer {
                    cipher: "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0",
                    dhparam: Some(dh),
                    ..modern
                },
                certs.get(pki, CertKind::Rsa2048),
            )
        }
        ServerKind::NullAnon => {
            let dh = dir.join("dh2048.pem");
            openssl::dhparam(&dh, 2048);
            (
                SServer {
                    cipher: "ECDHE-ECDSA-NULL-SHA:AECDH-NULL-SHA:AECDH-AES128-SHA:ADH-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0",
                    dhparam: Some(dh),
                    ..modern
                },
                certs.get(pki, CertKind::Good),
            )
        }
        other => unreachable!("{other:?} is not an openssl s_server endpoint"),
    }
}
