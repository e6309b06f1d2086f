//! What a running lab writes for the tools that scan it: a JSON manifest
//! (for the benchmark and for people) and a Trustwatch targets file.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::matrix::Expectation;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// The test root CA every lab chain ends at (give it to `--ca`).
    pub ca: PathBuf,
    /// The Trustwatch targets file for the whole lab.
    pub targets_file: PathBuf,
    /// The folder holding certificates, configs and server logs.
    pub dir: PathBuf,
    pub endpoints: Vec<EndpointEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndpointEntry {
    pub name: String,
    pub description: String,
    /// The endpoint's own loopback address.
    pub host: String,
    pub port: u16,
    /// `host:port`, as scanners are given it.
    pub address: String,
    pub sni: String,
    pub starttls: Option<String>,
    /// Whether the HTTP rules apply (an HTTPS endpoint with a web server).
    pub http: bool,
    /// The plain-HTTP port on the same host, for HTTP-001.
    pub http_port: Option<u16>,
    /// The server program playing it (`openssl`, `python3`, `nginx`, …).
    pub server: String,
    pub pid: u32,
    /// Rule ids that must fail here.
    pub planted: Vec<String>,
    /// Rule ids that may also fail here.
    pub also: Vec<String>,
    /// Built to show no failure at all.
    pub clean: bool,
}

impl EndpointEntry {
    /// One line of a Trustwatch targets file:
    /// `HOST:PORT sni=NAME [starttls=PROTO] [http=PLAIN_PORT]`. The web
    /// endpoints say `http=PORT` explicitly, so their HTTP rules run (and
    /// HTTP-001 finds the plain listener) whatever ports they got.
    pub fn target_line(&self) -> String {
        let mut line = format!("{} sni={}", self.address, self.sni);
        if let Some(proto) = &self.starttls {
            let _ = write!(line, " starttls={proto}");
        }
        match (self.http, self.http_port) {
            (true, Some(port)) => {
                let _ = write!(line, " http={port}");
            }
            (true, None) => line.push_str(" http"),
            _ => {}
        }
        line
    }

    pub fn expectation(&self) -> Expectation {
        Expectation {
            name: self.name.clone(),
            host: self.host.clone(),
            planted: self.planted.clone(),
            also: self.also.clone(),
        }
    }
}

impl Manifest {
    /// The whole targets file, one endpoint a line.
    pub fn targets_text(&self) -> String {
        self.endpoints
            .iter()
            .map(|e| e.target_line() + "\n")
            .collect()
    }

    pub fn expectations(&self) -> Vec<Expectation> {
        self.endpoints
            .iter()
            .map(EndpointEntry::expectation)
            .collect()
    }
}
