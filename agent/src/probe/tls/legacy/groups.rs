//! Key-exchange group enumeration: offer groups, note the one chosen, take
//! it out, repeat until the server refuses.
//!
//! At TLS 1.3 the chosen group is in the ServerHello's key share or the
//! HelloRetryRequest, so no key is ever computed (the only share sent is
//! random X25519 bytes). Without TLS 1.3, the newest version with an ECDHE
//! suite is asked, and the curve is read from the ServerKeyExchange.

use trustwatch_rules::observe::{KeyExchangeGroup, TlsVersion, VersionSuites};
use trustwatch_tls_wire::{NamedGroup, ServerKeyExchange, SuiteInfo};

use super::hellos::{groups_without, Offer};
use super::verdict::negotiated;
use super::Scanner;

pub(super) async fn enumerate(
    s: &mut Scanner<'_>,
    accepted: &[VersionSuites],
) -> Vec<KeyExchangeGroup> {
    let ecdhe = |vs: &&VersionSuites| {
        vs.accepted.iter().any(|c| {
            u16::try_from(c.id)
                .ok()
                .and_then(SuiteInfo::lookup)
                .is_some_and(|i| i.key_exchange().is_ecdhe() || i.is_tls13())
        })
    };
    // Newest first: TLS 1.3 if accepted, else the newest version with ECDHE.
    let Some(vs) = accepted.iter().find(ecdhe) else {
        return Vec::new();
    };
    let version = vs.version;
    let suites: Vec<u16> = vs
        .accepted
        .iter()
        .filter_map(|c| u16::try_from(c.id).ok())
        .filter(|&id| {
            SuiteInfo::lookup(id).is_some_and(|i| i.key_exchange().is_ecdhe() || i.is_tls13())
        })
        .collect();

    let mut found: Vec<u16> = Vec::new();
    let offered = groups_without(version, &[]).len();
    for _ in 0..offered {
        let remaining = groups_without(version, &found);
        if remaining.is_empty() {
            break;
        }
        let mut offer = Offer::suites(version, suites.clone());
        offer.groups = Some(remaining.clone());
        let ex = s.send(&offer).await;
        let Some(flight) = negotiated(version, &ex) else {
            break;
        };
        let chosen = if version == TlsVersion::Tls13 {
            flight.hello.key_share_group()
        } else {
            match flight.key_exchange {
                Some(ServerKeyExchange::Ecdh { group }) => Some(group),
                _ => None,
            }
        };
        // A group we did not offer (or none) ends the enumeration rather
        // than looping.
        match chosen {
            Some(g) if remaining.contains(&g) => found.push(g),
            _ => break,
        }
    }
    found.into_iter().map(group).collect()
}

fn group(id: u16) -> KeyExchangeGroup {
    match NamedGroup::lookup(id) {
        Some(g) => KeyExchangeGroup {
            name: g.name.to_owned(),
            bits: g.bits,
        },
        // Only offered groups are recorded, and we offer only known ones.
        None => KeyExchangeGroup {
            name: format!("0x{id:04X}"),
            bits: 0,
        },
    }
}
