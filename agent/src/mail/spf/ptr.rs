//! Forward-confirmed reverse DNS (FCrDNS) of the sending addresses an SPF
//! policy lists, for MAIL-012: the PTR names of the address, then the A
//! or AAAA records of those names must contain the address.
//!
//! Only single addresses (`/32`, `/128`) are checked. Which addresses of a
//! wider network actually send cannot be told from SPF, and a /24 alone
//! would take 256 PTR lookups; wide networks are usually a provider's,
//! whose reverse DNS is the provider's to keep. The rule lists them as not
//! checkable. At most [`MAX_PTR_CHECKS`] addresses are checked, and at
//! most [`MAX_PTR_NAMES`] PTR names of each are followed forward (RFC
//! 7208 section 4.6.4's bound for `ptr`), stopping at the first that
//! confirms: at most 16 × 11 queries, each bounded by the resolver.

use std::net::IpAddr;

use trustwatch_rules::observe::{PtrCheck, SpfNetwork};

use crate::dns::answer::normalise;
use crate::dns::{Record, RecordType, Resolve};

/// Single addresses checked per domain.
pub const MAX_PTR_CHECKS: usize = 16;
/// PTR names followed forward per address.
pub const MAX_PTR_NAMES: usize = 10;

/// The name a PTR lookup asks: `10.0.0.127.in-addr.arpa`, or the nibbles of
/// an IPv6 address under `ip6.arpa`.
pub fn reverse_name(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(v6) => {
            let mut name = String::with_capacity(72);
            for byte in v6.octets().iter().rev() {
                name.push_str(&format!("{:x}.{:x}.", byte & 0x0f, byte >> 4));
            }
            name.push_str("ip6.arpa");
            name
        }
    }
}

/// Checks the single addresses among `networks`, the first
/// [`MAX_PTR_CHECKS`] of them, each once.
pub async fn check_ptrs<R: Resolve>(resolver: &R, networks: &[SpfNetwork]) -> Vec<PtrCheck> {
    let mut addresses: Vec<IpAddr> = Vec::new();
    for network in networks.iter().filter(|n| n.is_single_address()) {
        if !addresses.contains(&network.address) {
            addresses.push(network.address);
        }
    }
    let mut out = Vec::new();
    for address in addresses.into_iter().take(MAX_PTR_CHECKS) {
        out.push(check_one(resolver, address).await);
    }
    out
}

async fn check_one<R: Resolve>(resolver: &R, address: IpAddr) -> PtrCheck {
    let mut check = PtrCheck {
        address,
        ptr_names: Vec::new(),
        forward_confirmed: false,
        lookup_error: None,
        answers: Vec::new(),
    };
    let ptr = resolver
        .lookup(&reverse_name(address), RecordType::Ptr)
        .await;
    check.answers.push(ptr.summary());
    if let Err(failure) = &ptr.outcome {
        if !failure.is_empty_answer() {
            check.lookup_error = Some(ptr.summary());
        }
        return check;
    }
    check.ptr_names = ptr
        .records()
        .iter()
        .filter_map(|r| match r {
            Record::Ptr { name } => Some(normalise(name)),
            _ => None,
        })
        .collect();
    let rtype = match address {
        IpAddr::V4(_) => RecordType::A,
        IpAddr::V6(_) => RecordType::Aaaa,
    };
    let mut forward_error = None;
    for name in check.ptr_names.iter().take(MAX_PTR_NAMES) {
        let forward = resolver.lookup(name, rtype).await;
        check.answers.push(forward.summary());
        let back = forward.records().iter().any(|r| match r {
            Record::A { address: a } => IpAddr::V4(*a) == address,
            Record::Aaaa { address: a } => IpAddr::V6(*a) == address,
            _ => false,
        });
        if back {
            check.forward_confirmed = true;
            return check;
        }
        if let Err(failure) = &forward.outcome {
            if !failure.is_empty_answer() && forward_error.is_none() {
                forward_error = Some(forward.summary());
            }
        }
    }
    // A name that could not be asked might have confirmed the address.
    check.lookup_error = forward_error;
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("127.0.0.10".parse().unwrap()),
            "10.0.0.127.in-addr.arpa"
        );
        assert_eq!(
            reverse_name("2001:db8::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
    }
}
