//! DNS-004, DNS-005 and the DNSKEY question of DNS-001: the domain's
//! authoritative name servers, found through the resolver, each asked
//! directly.
//!
//! Only the addresses the domain's own NS records give are ever sent to,
//! at most [`MAX_ADDRESSES`] of them, each probe within the timeout.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_proto::rr::RecordType as WireType;
use tokio::task::JoinSet;
use trustwatch_rules::observe::{
    DnssecObservation, NameServerObservation, NameServerOutcome, NameServerProbe, RecursionProbe,
    Validation,
};

use super::wire;
use crate::dns::{Record, RecordType, Resolve};

/// Name server addresses probed per domain at most.
pub const MAX_ADDRESSES: usize = 4;
/// NS names whose addresses are looked up at most.
const MAX_NS_NAMES: usize = 8;
/// The unrelated name the recursion probe asks for: a name no trust's
/// server is authoritative for, reserved for documentation (RFC 2606).
pub const RECURSION_PROBE_NAME: &str = "www.example.com";

/// How the name servers are reached.
#[derive(Debug, Clone, Copy)]
pub struct ServerConfig {
    /// The port for name servers at loopback addresses; 53 everywhere
    /// else (see [`ServerConfig::port_for`]).
    pub loopback_port: u16,
    /// Each connect and read.
    pub timeout: Duration,
}

impl ServerConfig {
    /// The port to ask `ip` on. A name server at a loopback address is a
    /// lab or a local test server sharing the resolver's port; every real
    /// name server listens on 53, so no configured port is ever used
    /// towards another host.
    pub fn port_for(&self, ip: IpAddr) -> u16 {
        if ip.is_loopback() {
            self.loopback_port
        } else {
            53
        }
    }
}

/// The domain's name server addresses: `(ns name, address)`, at most
/// [`MAX_ADDRESSES`].
pub async fn addresses<R: Resolve>(
    resolver: &R,
    domain: &str,
    config: &ServerConfig,
) -> (
    String,
    Result<(Vec<(String, SocketAddr)>, Vec<String>, usize), NameServerOutcome>,
) {
    let answer = resolver.lookup(domain, RecordType::Ns).await;
    let summary = answer.summary();
    let mut names: Vec<String> = match &answer.outcome {
        Ok(records) => records
            .iter()
            .filter_map(|r| match r {
                Record::Ns { name } if !name.is_empty() => Some(name.clone()),
                _ => None,
            })
            .collect(),
        Err(f) if f.is_empty_answer() => return (summary, Err(NameServerOutcome::NotApex)),
        Err(f) => {
            return (
                summary,
                Err(NameServerOutcome::LookupFailed {
                    reason: f.to_string(),
                }),
            )
        }
    };
    if names.is_empty() {
        return (summary, Err(NameServerOutcome::NotApex));
    }
    names.sort();
    names.dedup();
    names.truncate(MAX_NS_NAMES);
    let mut found = Vec::new();
    let mut unresolved = Vec::new();
    let mut skipped = 0;
    for name in names {
        let (a, aaaa) = tokio::join!(
            resolver.lookup(&name, RecordType::A),
            resolver.lookup(&name, RecordType::Aaaa)
        );
        let ips: Vec<IpAddr> = a
            .records()
            .iter()
            .chain(aaaa.records())
            .filter_map(|r| match r {
                Record::A { address } => Some(IpAddr::V4(*address)),
                Record::Aaaa { address } => Some(IpAddr::V6(*address)),
                _ => None,
            })
            .collect();
        if ips.is_empty() {
            unresolved.push(name);
            continue;
        }
        for ip in ips {
            let addr = SocketAddr::new(ip, config.port_for(ip));
            if found.iter().any(|(_, a)| *a == addr) {
                continue;
            }
            if found.len() < MAX_ADDRESSES {
                found.push((name.clone(), addr));
            } else {
                skipped += 1;
            }
        }
    }
    (summary, Ok((found, unresolved, skipped)))
}

/// Sends the recursion probe to `addr`.
pub async fn recursion(addr: SocketAddr, wait: Duration) -> RecursionProbe {
    let msg = match wire::query(RECURSION_PROBE_NAME, WireType::A, true) {
        Ok(m) => m,
        Err(reason) => return RecursionProbe::NoAnswer { reason },
    };
    match wire::udp(addr, &msg, wait).await {
        Ok(answer) => RecursionProbe::Answered {
            asked: RECURSION_PROBE_NAME.into(),
            rcode: wire::rcode_name(answer.metadata.response_code),
            recursion_available: answer.metadata.recursion_available,
            answers: answer.answers.len(),
        },
        Err(reason) => RecursionProbe::NoAnswer { reason },
    }
}

/// Asks `addr` for the apex DNSKEY set with the DO bit.
pub async fn dnssec(addr: SocketAddr, domain: &str, wait: Duration) -> DnssecObservation {
    let server = addr.to_string();
    let msg = match wire::query(domain, WireType::DNSKEY, false) {
        Ok(m) => wire::with_dnssec_ok(m),
        Err(reason) => return DnssecObservation::NoAnswer { server, reason },
    };
    match wire::exchange(addr, &msg, wait).await {
        Ok(answer) => {
            let count = |t: WireType| {
                answer
                    .answers
                    .iter()
                    .filter(|r| r.record_type() == t)
                    .count()
            };
            DnssecObservation::Answered {
                server,
                rcode: wire::rcode_name(answer.metadata.response_code),
                dnskeys: count(WireType::DNSKEY),
                rrsigs: count(WireType::RRSIG),
                // Filled in by the validating resolver, when there is
                // something to validate.
                validation: Validation::NotAttempted {
                    reason: "the zone publishes no DNSKEY".into(),
                },
            }
        }
        Err(reason) => DnssecObservation::NoAnswer { server, reason },
    }
}

/// Finds the name servers and probes each address (side by side), and
/// asks the first for the DNSKEY set.
pub async fn check<R: Resolve>(
    resolver: &R,
    domain: &str,
    config: &ServerConfig,
) -> (NameServerObservation, DnssecObservation) {
    let (answer, found) = addresses(resolver, domain, config).await;
    let (found, unresolved, skipped) = match found {
        Ok(f) => f,
        Err(outcome) => {
            let reason = match &outcome {
                NameServerOutcome::NotApex => format!("{domain} has no NS records"),
                NameServerOutcome::LookupFailed { reason } => {
                    format!("the NS lookup for {domain} failed: {reason}")
                }
                NameServerOutcome::Servers { .. } => String::new(),
            };
            return (
                NameServerObservation { answer, outcome },
                DnssecObservation::NotAsked { reason },
            );
        }
    };
    let wait = config.timeout;
    let mut tasks = JoinSet::new();
    for (i, (name, addr)) in found.iter().cloned().enumerate() {
        let zone = domain.to_owned();
        tasks.spawn(async move {
            let (recursion, axfr) =
                tokio::join!(recursion(addr, wait), wire::axfr(addr, &zone, wait));
            (
                i,
                NameServerProbe {
                    name,
                    address: addr.to_string(),
                    recursion,
                    axfr,
                },
            )
        });
    }
    let dnssec = match found.first() {
        Some((_, addr)) => dnssec(*addr, domain, wait).await,
        None => DnssecObservation::NotAsked {
            reason: format!("no address was found for any name server of {domain}"),
        },
    };
    let mut servers: Vec<(usize, NameServerProbe)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(done) => servers.push(done),
            Err(e) => tracing::error!(error = %e, "a name server probe crashed"),
        }
    }
    servers.sort_by_key(|(i, _)| *i);
    (
        NameServerObservation {
            answer,
            outcome: NameServerOutcome::Servers {
                servers: servers.into_iter().map(|(_, s)| s).collect(),
                unresolved,
                skipped,
            },
        },
        dnssec,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::Table;

    #[test]
    fn only_loopback_name_servers_get_the_configured_port() {
        let c = ServerConfig {
            loopback_port: 5300,
            timeout: Duration::from_secs(1),
        };
        assert_eq!(c.port_for([127, 0, 0, 1].into()), 5300);
        assert_eq!(c.port_for(std::net::Ipv6Addr::LOCALHOST.into()), 5300);
        assert_eq!(c.port_for([192, 0, 2, 1].into()), 53);
    }

    #[tokio::test]
    async fn addresses_are_bounded_and_missing_ones_listed() {
        let mut t = Table::new();
        for i in 0..6u8 {
            t = t.with(
                "d.test",
                Record::Ns {
                    name: format!("ns{i}.d.test"),
                },
            );
            if i > 0 {
                t = t.with(
                    &format!("ns{i}.d.test"),
                    Record::A {
                        address: [192, 0, 2, i].into(),
                    },
                );
            }
        }
        let c = ServerConfig {
            loopback_port: 5300,
            timeout: Duration::from_secs(1),
        };
        let (_, found) = addresses(&t, "d.test", &c).await;
        let (found, unresolved, skipped) = found.unwrap();
        assert_eq!(found.len(), MAX_ADDRESSES);
        assert!(found.iter().all(|(_, a)| a.port() == 53));
        assert_eq!(unresolved, ["ns0.d.test"]);
        assert_eq!(skipped, 1);
        let (_, none) = addresses(&t, "x.d.test", &c).await;
        assert_eq!(none.unwrap_err(), NameServerOutcome::NotApex);
        let t = t.failing("d.test", RecordType::Ns, crate::dns::Failure::ServFail);
        let (_, failed) = addresses(&t, "d.test", &c).await;
        assert!(matches!(
            failed,
            Err(NameServerOutcome::LookupFailed { .. })
        ));
    }
}
