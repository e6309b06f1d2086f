//! Cipher-suite enumeration for one accepted version, sslyze-style: offer
//! every suite still in question, note the one chosen, take it out, repeat
//! until the server refuses. Then one more hello, offering what was found in
//! reverse order, tells whether the server picks by its own preference.

use trustwatch_rules::observe::{TlsVersion, VersionSuites};
use trustwatch_tls_wire::{suites, Ssl2ServerHello};

use super::hellos::Offer;
use super::verdict::{self, negotiated};
use super::Scanner;

/// Every suite `version` accepts, `first` (from the version probe)
/// included.
pub(super) async fn suites(s: &mut Scanner<'_>, version: TlsVersion, first: u16) -> VersionSuites {
    let offered = suites::offered_at(version);
    let mut accepted = vec![first];
    let mut remaining: Vec<u16> = offered.iter().copied().filter(|&id| id != first).collect();
    // Each round removes one suite, so this ends; the bound is a backstop.
    for _ in 0..offered.len() {
        if remaining.is_empty() {
            break;
        }
        let ex = s.send(&Offer::suites(version, remaining.clone())).await;
        let Some(flight) = negotiated(version, &ex) else {
            break;
        };
        let chosen = flight.hello.cipher_suite;
        // A server that picks a suite we did not offer is broken; stop
        // rather than loop.
        let Some(i) = remaining.iter().position(|&id| id == chosen) else {
            break;
        };
        remaining.remove(i);
        accepted.push(chosen);
        s.facts.flight(version, flight);
    }
    let server_preference = if accepted.len() >= 2 {
        preference(s, version, &accepted).await
    } else {
        None
    };
    VersionSuites {
        version,
        accepted: accepted.into_iter().map(verdict::suite).collect(),
        server_preference,
    }
}

/// Offers the accepted suites in reverse order of discovery. A server that
/// follows the client picks the first offered (the last found); one with
/// its own order picks its favourite again (the first found).
async fn preference(s: &mut Scanner<'_>, version: TlsVersion, found: &[u16]) -> Option<bool> {
    let reversed: Vec<u16> = found.iter().rev().copied().collect();
    let ex = s.send(&Offer::suites(version, reversed)).await;
    let chosen = negotiated(version, &ex)?.hello.cipher_suite;
    if Some(&chosen) == found.first() {
        Some(true)
    } else if Some(&chosen) == found.last() {
        Some(false)
    } else {
        None
    }
}

/// SSL 2.0 needs no enumeration: the SERVER-HELLO lists every cipher kind
/// the server shares with the (all-kinds) CLIENT-HELLO.
pub(super) fn ssl2(hello: &Ssl2ServerHello) -> VersionSuites {
    VersionSuites {
        version: TlsVersion::Ssl2,
        accepted: hello
            .cipher_kinds
            .iter()
            .map(|&k| verdict::ssl2_kind(k))
            .collect(),
        server_preference: None,
    }
}
