//! The legacy protocol and cipher-suite scanner: crafted ClientHellos
//! (`trustwatch-tls-wire`) that find which versions, suites, groups and
//! features an endpoint accepts, including the ones rustls refuses to speak.
//!
//! Each hello goes on a fresh connection, one at a time (never two at once
//! to one device), and only the server's first flight is read: no
//! handshake is ever completed, so no key is ever computed. Work that cannot
//! matter is skipped: versions the server refused are not enumerated, and
//! every hello offers all the suites still in question, so enumerating n
//! accepted suites costs n + 1 hellos.

mod enumerate;
mod exchange;
mod features;
mod groups;
mod hellos;
pub(crate) mod merge;
mod verdict;

use trustwatch_rules::observe::{
    AttemptOutcome, ProtocolAttempt, TlsFeatures, TlsVersion, VersionSuites,
};
use trustwatch_tls_wire::Response;

use self::exchange::{Exchange, Failure};
use self::features::Facts;
use self::hellos::{Hellos, Offer};
use crate::net::Endpoint;
use crate::probe::Limits;

/// Versions in the order they are tried: the likeliest first, so that an
/// endpoint that is not TLS at all shows it on the first attempt.
const PROBE_ORDER: [TlsVersion; 6] = [
    TlsVersion::Tls13,
    TlsVersion::Tls12,
    TlsVersion::Tls11,
    TlsVersion::Tls10,
    TlsVersion::Ssl3,
    TlsVersion::Ssl2,
];

/// Everything the crafted hellos found.
#[derive(Debug, Default)]
pub(crate) struct LegacyScan {
    /// One per version, SSL 2.0 first.
    pub attempts: Vec<ProtocolAttempt>,
    /// Per accepted version, newest first.
    pub cipher_suites: Vec<VersionSuites>,
    pub features: TlsFeatures,
    /// The chain (DER, leaf first) of the newest TLS ≤ 1.2 (or SSL 2.0)
    /// version accepted: the only chain there is when rustls can speak to
    /// none of the versions the server accepts.
    pub chain: Option<Vec<Vec<u8>>>,
    /// Hellos sent (connections that got as far as the hello).
    pub handshakes: u32,
    /// Set when the endpoint answered nothing at all like TLS: the caller
    /// must not knock again.
    pub gave_up: Option<String>,
}

/// Runs the whole scan against one endpoint.
pub(crate) async fn scan(endpoint: &Endpoint, sni: Option<String>, limits: Limits) -> LegacyScan {
    let mut s = Scanner {
        endpoint,
        limits,
        hellos: Hellos::new(sni),
        handshakes: 0,
        broken: None,
        facts: Facts::default(),
    };
    let mut out = LegacyScan::default();
    let mut first_suite = Vec::new();
    for version in PROBE_ORDER {
        let ex = s.send(&Offer::all(version)).await;
        let outcome = verdict::outcome(version, &ex);
        if let (AttemptOutcome::Failed { reason }, None) = (&outcome, &out.gave_up) {
            if out.attempts.is_empty() {
                out.gave_up = Some(reason.clone());
            }
        }
        if let Some(flight) = verdict::negotiated(version, &ex) {
            first_suite.push((version, flight.hello.cipher_suite));
            s.facts.flight(version, flight);
            // Renegotiation is judged at the newest version that has it.
            if version < TlsVersion::Tls13 && out.features.secure_renegotiation.is_none() {
                out.features.secure_renegotiation = Some(flight.hello.secure_renegotiation());
            }
            if out.chain.is_none() && !flight.certificates.is_empty() {
                out.chain = Some(flight.certificates.clone());
            }
        }
        if let (TlsVersion::Ssl2, Exchange::Answer(Response::Ssl2Hello(hello))) = (version, &ex) {
            out.cipher_suites.push(enumerate::ssl2(hello));
            if out.chain.is_none() && !hello.certificate.is_empty() {
                out.chain = Some(vec![hello.certificate.clone()]);
            }
        }
        out.attempts.push(ProtocolAttempt { version, outcome });
    }
    out.attempts.reverse();
    if out.gave_up.is_some() {
        out.handshakes = s.handshakes;
        return out;
    }

    for &(version, first) in &first_suite {
        let suites = enumerate::suites(&mut s, version, first).await;
        out.cipher_suites.push(suites);
    }
    out.cipher_suites
        .sort_by_key(|s| std::cmp::Reverse(s.version));
    out.features.groups = groups::enumerate(&mut s, &out.cipher_suites).await;
    let accepted: Vec<TlsVersion> = first_suite.iter().map(|(v, _)| *v).collect();
    out.features.fallback_scsv = features::fallback_scsv(&mut s, &accepted).await;
    s.facts.fill(&mut out.features);
    out.handshakes = s.handshakes;
    out
}

/// Sends hellos one after another and remembers what their answers said.
#[derive(Debug)]
struct Scanner<'a> {
    endpoint: &'a Endpoint,
    limits: Limits,
    hellos: Hellos,
    handshakes: u32,
    /// The first failure. Once the endpoint has stopped answering (or never
    /// did), nothing more is sent: every further attempt would cost a full
    /// timeout on a device that is not talking to us.
    broken: Option<String>,
    facts: Facts,
}

impl Scanner<'_> {
    async fn send(&mut self, offer: &Offer) -> Exchange {
        if let Some(reason) = &self.broken {
            return Exchange::Failed(Failure {
                reason: reason.clone(),
                before_hello: true,
            });
        }
        let hello = self.hellos.build(offer);
        let ex = exchange::exchange(self.endpoint, &hello, self.limits).await;
        match &ex {
            Exchange::Failed(f) => {
                if !f.before_hello {
                    self.handshakes += 1;
                }
                self.broken = Some(f.reason.clone());
            }
            _ => self.handshakes += 1,
        }
        tracing::trace!(version = %offer.version, answer = ?ex, "crafted hello");
        ex
    }
}
