//! The DNS hygiene checks of a domain (DNS-001…DNS-005): the CAA tree
//! walk, dangling CNAME chains, and what the domain's own name servers do
//! with a recursive query, a zone transfer request and a DNSSEC question.
//!
//! Lookups go through the [`Resolve`] seam; the probes of the name
//! servers are sent straight to the addresses the domain's NS records
//! give (built with hickory-proto in [`wire`]), because a resolver cannot
//! send a recursive query to a chosen server or ask for a transfer.
//!
//! DNSSEC: the agent asks an authoritative server for the apex DNSKEY set
//! with the DO bit; when the zone is signed, a validating hickory-resolver
//! ([`validate::Validator`], anchored at the root's keys unless the caller
//! gives others) proves the apex SOA and DNSKEY sets and `www`'s address.

pub mod caa;
pub mod dangling;
pub mod servers;
pub mod validate;
pub mod wire;

use trustwatch_rules::observe::{DnsHealthObservation, DnssecObservation};

pub use servers::ServerConfig;
pub use validate::Validator;

use crate::dns::answer::normalise;
use crate::dns::Resolve;

/// Observes `domain`: CAA, dangling names (the domain, `www`, the given
/// MX hosts and `extra` names, and the common labels), and the name
/// servers, side by side; then, for a signed zone, DNSSEC validation
/// through `validator`.
pub async fn observe<R: Resolve>(
    resolver: &R,
    domain: &str,
    mx_hosts: &[String],
    extra: &[String],
    config: &ServerConfig,
    validator: &Validator,
) -> DnsHealthObservation {
    let domain = normalise(domain);
    let (caa, dangling, (servers, mut dnssec)) = tokio::join!(
        caa::check(resolver, &domain),
        dangling::check(resolver, &domain, mx_hosts, extra),
        servers::check(resolver, &domain, config),
    );
    if let DnssecObservation::Answered {
        dnskeys,
        rrsigs,
        validation,
        ..
    } = &mut dnssec
    {
        if *dnskeys > 0 && *rrsigs > 0 {
            *validation = validator.validate(&domain).await;
        }
    }
    DnsHealthObservation {
        domain,
        resolver: resolver.describe(),
        dnssec,
        caa,
        dangling,
        servers,
    }
}
