//! The TLS probe: which protocol versions (SSL 2.0 to TLS 1.3), cipher
//! suites, key-exchange groups and features an endpoint accepts, and the
//! certificate chain it serves, judged by rules TLS-001…008 and
//! CERT-001…006.
//!
//! Two passes, one connection at a time (never two at once to the same
//! device): crafted hellos (`legacy`) for everything rustls cannot or will
//! not speak, then real rustls handshakes at TLS 1.3 and 1.2 for the chain
//! and as a cross-check.

mod classify;
mod handshake;
mod legacy;
pub mod summary;
pub mod trust;
pub(crate) mod verifier;

use rustls_pki_types::{CertificateDer, DnsName, ServerName};
use time::OffsetDateTime;
use tokio::time::Instant;
use trustwatch_rules::observe::{
    AttemptOutcome, ChainObservation, ProtocolAttempt, TlsObservation, TlsVersion,
};
use trustwatch_rules::{evaluate, Finding};

use self::handshake::AttemptSpec;
use self::legacy::merge;
pub use self::trust::Anchors;
use super::http::{self, HttpCheck, HttpTarget};
use super::{BoxFuture, Probe, ProbeContext};
use crate::net::Endpoint;
use crate::starttls::Starttls;
use crate::target::Target;

/// What one probe run cost, for benchmarks and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProbeStats {
    /// Connections that got as far as sending a ClientHello.
    pub handshakes: u32,
}

/// What a TLS probe is configured with; builds the probe.
#[derive(Debug, Clone)]
pub struct TlsProbeConfig {
    pub target: Target,
    /// SNI to send instead of the target's host name (and the name the
    /// certificate is checked against).
    pub sni: Option<DnsName<'static>>,
    /// A trust's own CAs, in addition to the public roots.
    pub anchors: Anchors,
    /// The plaintext protocol to upgrade with STARTTLS before each
    /// handshake, if any.
    pub starttls: Option<Starttls>,
    /// Check the web server behind the endpoint (HTTP-001…005) after the
    /// TLS handshakes; `None` for endpoints that are not HTTPS.
    pub http: Option<HttpCheck>,
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
        match self.config.http {
            Some(_) => evaluate::TLS_HTTP_PROBE_RULES,
            None => evaluate::TLS_PROBE_RULES,
        }
    }

    fn host(&self) -> String {
        self.config.target.host().to_string()
    }

    fn run<'a>(&'a self, ctx: &'a ProbeContext) -> BoxFuture<'a, Vec<Finding>> {
        Box::pin(async move {
            let (obs, endpoint) = self.observe_at(ctx).await;
            let mut findings = evaluate::tls(&ctx.catalogue, &obs, ctx.now);
            if let Some(check) = self.config.http {
                findings.extend(
                    self.http_findings(ctx, &obs, endpoint.as_ref(), check)
                        .await,
                );
            }
            findings
        })
    }
}

impl TlsProbe {
    /// Gathers the observation; never fails (unreachable is data).
    pub async fn observe(&self, ctx: &ProbeContext) -> TlsObservation {
        self.observe_counted(ctx).await.0
    }

    /// The observation, and how many handshakes it took.
    pub async fn observe_counted(&self, ctx: &ProbeContext) -> (TlsObservation, ProbeStats) {
        let (obs, stats, _) = self.observe_full(ctx).await;
        (obs, stats)
    }

    /// The observation and the resolved endpoint (absent when the name did
    /// not resolve), for the HTTP step that follows.
    async fn observe_at(&self, ctx: &ProbeContext) -> (TlsObservation, Option<Endpoint>) {
        let (obs, _, endpoint) = self.observe_full(ctx).await;
        (obs, endpoint)
    }

    /// The HTTP rules for an HTTPS endpoint: `error` without another
    /// connection when the endpoint did not answer TLS at all.
    async fn http_findings(
        &self,
        ctx: &ProbeContext,
        obs: &TlsObservation,
        endpoint: Option<&Endpoint>,
        check: HttpCheck,
    ) -> Vec<Finding> {
        let target = self.config.target.as_str();
        let endpoint = match (obs.unreachable_reason(), endpoint) {
            (None, Some(endpoint)) => endpoint,
            (reason, _) => {
                let reason = reason.unwrap_or("the endpoint could not be reached");
                return evaluate::unreachable(
                    &ctx.catalogue,
                    evaluate::HTTP_PROBE_RULES,
                    target,
                    reason,
                );
            }
        };
        let server_name = self.server_name();
        let host = match &self.config.sni {
            Some(name) => name.as_ref().to_owned(),
            None => self.config.target.host().to_string(),
        };
        let to = HttpTarget {
            target,
            endpoint,
            server_name: &server_name,
            host: &host,
        };
        let seen = http::observe(to, check, ctx.limits).await;
        evaluate::http(&ctx.catalogue, &seen)
    }

    async fn observe_full(
        &self,
        ctx: &ProbeContext,
    ) -> (TlsObservation, ProbeStats, Option<Endpoint>) {
        let target = &self.config.target;
        let server_name = self.server_name();
        let mut obs = TlsObservation {
            target: target.as_str().to_owned(),
            sni: match &server_name {
                ServerName::DnsName(name) => Some(name.as_ref().to_owned()),
                _ => None,
            },
            starttls: self.config.starttls.map(|p| p.as_str().to_owned()),
            cipher_suites: Vec::new(),
            features: Default::default(),
            attempts: Vec::new(),
            chain: None,
            chain_error: None,
        };
        let deadline = Instant::now() + ctx.limits.timeout;
        let endpoint = match ctx.resolver.resolve(target.host(), deadline).await {
            Ok(addrs) => Endpoint {
                addrs,
                port: target.port(),
                starttls: self.config.starttls,
            },
            Err(u) => {
                obs.attempts = TlsVersion::ALL
                    .iter()
                    .map(|&v| failed(v, &u.reason))
                    .collect();
                return (obs, ProbeStats::default(), None);
            }
        };

        // 1. Crafted hellos: versions, suites, groups, features.
        let crafted = legacy::scan(&endpoint, obs.sni.clone(), ctx.limits).await;
        // 2. Real handshakes for the chain, unless the first crafted hello
        //    showed that nothing there speaks TLS: knocking again on what
        //    may be a fragile device would only double the wait.
        let real = match &crafted.gave_up {
            Some(_) => Default::default(),
            None => {
                let spec = AttemptSpec {
                    endpoint: &endpoint,
                    server_name: &server_name,
                    limits: ctx.limits,
                };
                handshake::real_handshakes(&spec).await
            }
        };
        let stats = ProbeStats {
            handshakes: crafted.handshakes + real.handshakes,
        };
        tracing::debug!(target = %target, handshakes = stats.handshakes, "TLS probe done");

        obs.attempts = merge::attempts(&crafted.attempts, &real.attempts);
        obs.cipher_suites = crafted.cipher_suites;
        obs.features = crafted.features;
        obs.features.ocsp_stapling =
            merge::ocsp(obs.features.ocsp_stapling, real.ocsp_stapled_tls13);
        // rustls's chain where it could speak to the server, else the one
        // read from a legacy version's Certificate message.
        let chain = real.chain.or_else(|| {
            crafted
                .chain
                .map(|c| c.into_iter().map(CertificateDer::from).collect())
        });
        if let Some(chain) = chain {
            self.judge_chain(&mut obs, &chain, &server_name, ctx.now);
        }
        (obs, stats, Some(endpoint))
    }

    /// SNI: --sni if given, else the host if it is a name; an IP sends none.
    fn server_name(&self) -> ServerName<'static> {
        match &self.config.sni {
            Some(name) => ServerName::DnsName(name.clone()),
            None => self.config.target.host().server_name(),
        }
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
