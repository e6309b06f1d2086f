//! DNS-001's validation: hickory-resolver with DNSSEC validation on,
//! against the scan's resolver, anchored at the root's keys or at keys the
//! caller gives (a lab's, a trust's internal zone).
//!
//! The names validated are the apex SOA and DNSKEY sets and
//! `www.<domain>`'s address: a zone whose apex validates but whose other
//! records carry broken signatures is bogus all the same, and `www` is the
//! record most likely to be changed by hand.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::dnssec::{Proof, TrustAnchors};
use hickory_resolver::proto::rr::{Name, RecordType};
use hickory_resolver::TokioResolver;
use trustwatch_rules::observe::{Validation, ValidationStep};

/// A validating resolver. Build one per scan and share it.
pub struct Validator {
    resolver: Result<TokioResolver, String>,
    deadline: Duration,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Validator")
    }
}

impl Validator {
    /// Validates through `server` (the system's resolver when `None`),
    /// trusting `anchors` (DNSKEY records in zone-file form, e.g.
    /// `signed.test. 3600 IN DNSKEY 257 3 13 …`) or, when `None`, the
    /// root zone's published keys.
    pub fn new(server: Option<SocketAddr>, timeout: Duration, anchors: Option<&str>) -> Validator {
        let resolver = build(server, timeout, anchors);
        Validator {
            resolver,
            deadline: timeout.saturating_mul(4),
        }
    }

    /// Why this validator cannot validate (unreadable anchors, no system
    /// DNS configuration), if it cannot.
    pub fn problem(&self) -> Option<&str> {
        self.resolver.as_ref().err().map(String::as_str)
    }

    /// Validates the domain's apex SOA and DNSKEY and `www`'s address.
    pub async fn validate(&self, domain: &str) -> Validation {
        let resolver = match &self.resolver {
            Ok(r) => r,
            Err(why) => {
                return Validation::NotAttempted {
                    reason: why.clone(),
                }
            }
        };
        let www = format!("www.{domain}");
        let questions = [
            (domain, RecordType::SOA),
            (domain, RecordType::DNSKEY),
            (www.as_str(), RecordType::A),
        ];
        let mut steps = Vec::new();
        for (name, rtype) in questions {
            steps.push(self.step(resolver, name, rtype).await);
        }
        Validation::from_steps(steps)
    }

    async fn step(
        &self,
        resolver: &TokioResolver,
        name: &str,
        rtype: RecordType,
    ) -> ValidationStep {
        let asked = format!("{rtype} {name}");
        let fqdn = match Name::from_ascii(format!("{name}.")) {
            Ok(n) => n,
            Err(e) => {
                return ValidationStep {
                    asked,
                    proof: "error".into(),
                    detail: e.to_string(),
                }
            }
        };
        let (proof, detail) =
            match tokio::time::timeout(self.deadline, resolver.lookup(fqdn, rtype)).await {
                Err(_) => ("error", "timed out".to_owned()),
                Ok(Ok(lookup)) => {
                    let proofs: Vec<Proof> = lookup
                        .answers()
                        .iter()
                        .filter(|r| r.record_type() == rtype)
                        .map(|r| r.proof)
                        .collect();
                    // The weakest proof of the set asked for.
                    let worst = proofs.iter().min().copied();
                    (proof_name(worst), format!("{} record(s)", proofs.len()))
                }
                // A name with no such records: proven absent, or not.
                Ok(Err(NetError::Dns(DnsError::NoRecordsFound(NoRecords {
                    response_code,
                    ..
                })))) => ("absent", format!("no records ({response_code})")),
                // A signature that does not verify.
                Ok(Err(NetError::Dns(DnsError::DnssecBogus))) => {
                    ("bogus", "DNSSEC validation failed".to_owned())
                }
                // An absence with its NSEC proof, judged by that proof.
                Ok(Err(NetError::Dns(DnsError::Nsec { proof, .. }))) => (
                    proof_name(Some(proof)),
                    format!("absent, NSEC proof {proof}"),
                ),
                Ok(Err(e)) => ("error", e.to_string()),
            };
        ValidationStep {
            asked,
            proof: proof.into(),
            detail,
        }
    }
}

fn proof_name(proof: Option<Proof>) -> &'static str {
    match proof {
        Some(Proof::Secure) => "secure",
        Some(Proof::Insecure) => "insecure",
        Some(Proof::Bogus) => "bogus",
        Some(_) => "indeterminate",
        None => "absent",
    }
}

fn build(
    server: Option<SocketAddr>,
    timeout: Duration,
    anchors: Option<&str>,
) -> Result<TokioResolver, String> {
    let anchors = match anchors {
        Some(text) => TrustAnchors::from_str(text)
            .map_err(|e| format!("the trust anchors could not be read ({e})"))?,
        None => TrustAnchors::default(),
    };
    let mut opts = ResolverOpts::default();
    opts.timeout = timeout;
    opts.attempts = 1;
    opts.validate = true;
    opts.use_hosts_file = ResolveHosts::Never;
    opts.ndots = 0;
    let builder = match server {
        Some(addr) => {
            let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                .into_iter()
                .map(|mut c| {
                    c.port = addr.port();
                    c
                })
                .collect();
            let ns = NameServerConfig::new(addr.ip(), true, connections);
            let config = ResolverConfig::from_parts(None, Vec::new(), vec![ns]);
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
        }
        None => TokioResolver::builder_tokio()
            .map_err(|e| format!("the system DNS configuration could not be read ({e})"))?,
    };
    builder
        .with_options(opts)
        .with_trust_anchor(Arc::new(anchors))
        .build()
        .map_err(|e| format!("the validating resolver could not be built ({e})"))
}
