//! The TLS probe: which of TLS 1.2 and 1.3 an endpoint accepts, and the
//! certificate chain it serves, judged by rules TLS-003, TLS-004 and
//! CERT-001…006.
//!
//! Two separate handshakes are made, each offering only one version, one
//! after the other (never two connections at once to the same device).

mod classify;
mod handshake;
pub mod summary;
pub mod trust;
mod verifier;

use rustls_pki_types::{CertificateDer, DnsName, ServerName};
use time::OffsetDateTime;
use tokio::time::Instant;
use trustwatch_rules::observe::{
    AttemptOutcome, ChainObservation, ProtocolAttempt, TlsObservation, TlsVersion,
};
use trustwatch_rules::{evaluate, Finding};

use self::handshake::AttemptSpec;
pub use self::trust::Anchors;
use super::{BoxFuture, Probe, ProbeContext};
use crate::target::Target;

/// Versions tried, in order: 1.3 first so its chain is the one reported.
const VERSIONS: [TlsVersion; 2] = [TlsVersion::Tls13, TlsVersion::Tls12];

/// What a TLS probe is configured with; builds the probe.
#[derive(Debug, Clone)]
pub struct TlsProbeConfig {
    pub target: Target,
    /// SNI to send instead of the target's host name (and the name the
    /// certificate is checked against).
    pub sni: Option<DnsName<'static>>,
    /// A trust's own CAs, in addition to the public roots.
    pub anchors: Anchors,
}

impl TlsProbeConfig {
    pub fn build(self) -> TlsProbe {
        TlsProbe { config: self }
    }
}

#[derive(Debug, Clone)]
pub struct TlsProbe {
    config: TlsProbeConfig,
}

impl Probe for TlsProbe {
    fn name(&self) -> &'static str {
        "tls"
    }

    fn target(&self) -> &str {
        self.config.target.as_str()
    }

    fn rules(&self) -> &'static [&'static str] {
        evaluate::TLS_PROBE_RULES
    }

    fn host(&self) -> String {
        self.config.target.host().to_string()
    }

    fn run<'a>(&'a self, ctx: &'a ProbeContext) -> BoxFuture<'a, Vec<Finding>> {
        Box::pin(async move {
            let obs = self.observe(ctx).await;
            evaluate::tls(&ctx.catalogue, &obs, ctx.now)
        })
    }
}

impl TlsProbe {
    /// Gathers the observation; never fails (unreachable is data).
    pub async fn observe(&self, ctx: &ProbeContext) -> TlsObservation {
        let target = &self.config.target;
        // SNI: --sni if given, else the host if it is a name; an IP sends none.
        let server_name: ServerName<'static> = match &self.config.sni {
            Some(name) => ServerName::DnsName(name.clone()),
            None => target.host().server_name(),
        };
        let sni = match &server_name {
            ServerName::DnsName(name) => Some(name.as_ref().to_owned()),
            _ => None,
        };
        let mut obs = TlsObservation {
            target: target.as_str().to_owned(),
            sni,
            starttls: None,
            cipher_suites: Vec::new(),
            features: Default::default(),
            attempts: Vec::new(),
            chain: None,
            chain_error: None,
        };

        let deadline = Instant::now() + ctx.limits.timeout;
        let addrs = match ctx.resolver.resolve(target.host(), deadline).await {
            Ok(addrs) => addrs,
            Err(u) => {
                obs.attempts = VERSIONS.iter().map(|&v| failed(v, &u.reason)).collect();
                return obs;
            }
        };
        let spec = AttemptSpec {
            addrs: &addrs,
            port: target.port(),
            server_name: &server_name,
            limits: ctx.limits,
        };

        let mut served: Option<Vec<CertificateDer<'static>>> = None;
        let mut unreachable: Option<String> = None;
        for version in VERSIONS {
            // If nothing answered the first attempt (refused, or silent until
            // the timeout), do not knock again on what may be a fragile
            // device: the probe then also stays within one timeout.
            if let Some(reason) = &unreachable {
                obs.attempts.push(failed(version, reason));
                continue;
            }
            let attempt = handshake::attempt(version, &spec).await;
            tracing::debug!(target = %target, version = %version, outcome = ?attempt.outcome, "TLS attempt");
            match &attempt.outcome {
                AttemptOutcome::Accepted { .. } if served.is_none() => served = attempt.chain,
                AttemptOutcome::Failed { reason } if attempt.give_up => {
                    unreachable = Some(reason.clone())
                }
                _ => {}
            }
            obs.attempts.push(ProtocolAttempt {
                version,
                outcome: attempt.outcome,
            });
        }

        if let Some(chain) = served {
            self.judge_chain(&mut obs, &chain, &server_name, ctx.now);
        }
        obs
    }

    fn judge_chain(
        &self,
        obs: &mut TlsObservation,
        chain: &[CertificateDer<'static>],
        server_name: &ServerName<'static>,
        now: OffsetDateTime,
    ) {
        let certificates = match summary::summarise_chain(chain) {
            Ok(c) => c,
            Err(bad) => {
                obs.chain_error = Some(bad.to_string());
                return;
            }
        };
        let Some(leaf) = certificates.first() else {
            return;
        };
        let trust = trust::verdict(chain, &self.config.anchors, now, leaf);
        let checked_name = match server_name {
            ServerName::DnsName(name) => name.as_ref().to_owned(),
            ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
            other => format!("{other:?}"),
        };
        obs.chain = Some(ChainObservation {
            name_matches: trust::name_matches(&chain[0], server_name),
            checked_name,
            trust,
            certificates,
        });
    }
}

fn failed(version: TlsVersion, reason: &str) -> ProtocolAttempt {
    ProtocolAttempt {
        version,
        outcome: AttemptOutcome::Failed {
            reason: reason.to_owned(),
        },
    }
}
