//! Scan scope: which addresses a discovery scan may touch.
//!
//! Hospital networks carry fragile medical devices and sit on the HSCN next
//! to other organisations, so scope is an allow-list checked before any
//! socket opens: only addresses inside an included network, never one inside
//! an exclusion (exclusions always win), no public address space and nothing
//! larger than a configured size unless the operator says so explicitly.
//! Pure logic; the port scanner (issue 4) takes a validated [`Scope`].

use std::net::IpAddr;

use ipnet::IpNet;

/// Addresses a scope may hold unless explicitly allowed more: a /16.
pub const DEFAULT_MAX_ADDRESSES: u128 = 65_536;

/// What an operator allows beyond the safe defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeLimits {
    pub max_addresses: u128,
    /// Allow addresses outside private, loopback and link-local space.
    pub allow_public: bool,
}

impl Default for ScopeLimits {
    fn default() -> Self {
        ScopeLimits {
            max_addresses: DEFAULT_MAX_ADDRESSES,
            allow_public: false,
        }
    }
}

/// Why a scope was refused; each names the entry at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("scope entry {entry:?} is not an IP address or CIDR network")]
    BadEntry { entry: String },
    #[error("the scope is empty: give at least one network or address to scan")]
    Empty,
    #[error("scope entry {entry} includes public address space; scanning it needs an explicit allow (--allow-public, or allow_public = true in a [[discovery]] table)")]
    Public { entry: IpNet },
    #[error("the scope holds {count} addresses after exclusions, more than the limit of {limit}; narrow it or raise the limit explicitly (--max-addresses, or max_addresses in a [[discovery]] table)")]
    TooLarge { count: u128, limit: u128 },
}

/// A validated scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    include: Vec<IpNet>,
    exclude: Vec<IpNet>,
}

impl Scope {
    /// Parses and validates `include` and `exclude` entries (`10.1.0.0/16`,
    /// `192.168.4.7`, `fd00::/64`).
    pub fn new(
        include: &[&str],
        exclude: &[&str],
        limits: ScopeLimits,
    ) -> Result<Scope, ScopeError> {
        let include = parse_all(include)?;
        let exclude = parse_all(exclude)?;
        if include.is_empty() {
            return Err(ScopeError::Empty);
        }
        if !limits.allow_public {
            if let Some(net) = include.iter().find(|n| !is_non_public(n)) {
                return Err(ScopeError::Public { entry: *net });
            }
        }
        let scope = Scope { include, exclude };
        let count = scope.size();
        if count == 0 {
            return Err(ScopeError::Empty);
        }
        if count > limits.max_addresses {
            return Err(ScopeError::TooLarge {
                count,
                limit: limits.max_addresses,
            });
        }
        Ok(scope)
    }

    /// True when `ip` may be touched: inside an inclusion and no exclusion.
    pub fn contains(&self, ip: IpAddr) -> bool {
        !self.exclude.iter().any(|n| n.contains(&ip))
            && self.include.iter().any(|n| n.contains(&ip))
    }

    /// Every address in scope, inclusions in order, each once.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.include
            .iter()
            .enumerate()
            .flat_map(move |(i, net)| {
                net.hosts()
                    // An address also covered by an earlier inclusion was
                    // already listed there.
                    .filter(move |ip| !self.include[..i].iter().any(|n| lists(n, ip)))
            })
            .filter(move |ip| !self.exclude.iter().any(|n| n.contains(ip)))
    }

    /// How many addresses `addresses()` yields: counted exactly up to
    /// [`MAX_COUNTED`]; beyond that, estimated as inclusions less exclusions
    /// (exact when neither overlaps itself), enough to refuse a huge scope.
    fn size(&self) -> u128 {
        let upper: u128 = self.include.iter().map(host_count).sum();
        if upper > MAX_COUNTED {
            let excluded: u128 = self.exclude.iter().map(host_count).sum();
            return upper.saturating_sub(excluded);
        }
        self.addresses().count() as u128
    }
}

/// The largest scope whose addresses are listed to count them exactly
/// (a /8 lists in well under a second).
const MAX_COUNTED: u128 = 1 << 24;

/// True when `net.hosts()` yields `ip` (an IPv4 network of /30 or wider
/// leaves out its network and broadcast addresses).
fn lists(net: &IpNet, ip: &IpAddr) -> bool {
    net.contains(ip)
        && match net {
            IpNet::V4(v4) if v4.prefix_len() <= 30 => {
                *ip != IpAddr::V4(v4.network()) && *ip != IpAddr::V4(v4.broadcast())
            }
            _ => true,
        }
}

fn parse_all(entries: &[&str]) -> Result<Vec<IpNet>, ScopeError> {
    entries.iter().map(|e| parse_entry(e)).collect()
}

fn parse_entry(entry: &str) -> Result<IpNet, ScopeError> {
    let text = entry.trim();
    text.parse::<IpNet>()
        .map(|n| n.trunc())
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| ScopeError::BadEntry {
            entry: entry.to_owned(),
        })
}

/// Addresses `hosts()` yields for a network (IPv4 /0–/30 drop network and
/// broadcast; /31 and /32 keep both).
fn host_count(net: &IpNet) -> u128 {
    let bits = u32::from(net.max_prefix_len() - net.prefix_len());
    let total = 1u128.checked_shl(bits).unwrap_or(u128::MAX);
    match net {
        IpNet::V4(_) if bits >= 2 => total - 2,
        _ => total,
    }
}

/// Private, loopback, link-local, shared (CGNAT) or unique-local space.
fn is_non_public(net: &IpNet) -> bool {
    const V4: &[&str] = &[
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
    ];
    const V6: &[&str] = &["fc00::/7", "fe80::/10", "::1/128"];
    V4.iter()
        .chain(V6)
        .filter_map(|s| s.parse::<IpNet>().ok())
        .any(|space| space.contains(net))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn exclusions_always_win() {
        let s = Scope::new(
            &["10.1.0.0/24"],
            &["10.1.0.128/25", "10.1.0.7"],
            ScopeLimits::default(),
        )
        .unwrap();
        assert!(s.contains(ip("10.1.0.6")));
        assert!(!s.contains(ip("10.1.0.7")));
        assert!(!s.contains(ip("10.1.0.200")));
        assert!(!s.contains(ip("10.2.0.1")));
        let all: Vec<IpAddr> = s.addresses().collect();
        // .1–.254, less .128–.255 and .7.
        assert_eq!(all.len(), 127 - 1);
        assert!(all.iter().all(|a| s.contains(*a)));
    }

    #[test]
    fn public_space_needs_an_explicit_allow() {
        let err = Scope::new(
            &["10.0.0.0/24", "81.2.69.0/28"],
            &[],
            ScopeLimits::default(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            ScopeError::Public {
                entry: "81.2.69.0/28".parse().unwrap()
            }
        );
        assert!(err.to_string().contains("81.2.69.0/28"));
        let allowed = ScopeLimits {
            allow_public: true,
            ..ScopeLimits::default()
        };
        assert!(Scope::new(&["81.2.69.0/28"], &[], allowed).is_ok());
        // A network that straddles private and public space is public.
        assert!(matches!(
            Scope::new(&["10.0.0.0/7"], &[], ScopeLimits::default()),
            Err(ScopeError::Public { .. })
        ));
        assert!(Scope::new(
            &["::1", "fd12::/120", "127.0.0.1"],
            &[],
            ScopeLimits::default()
        )
        .is_ok());
    }

    #[test]
    fn over_broad_and_empty_scopes_are_refused() {
        let err = Scope::new(&["10.0.0.0/8"], &[], ScopeLimits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                ScopeError::TooLarge {
                    limit: DEFAULT_MAX_ADDRESSES,
                    ..
                }
            ),
            "{err}"
        );
        let wide = ScopeLimits {
            max_addresses: 1 << 24,
            ..ScopeLimits::default()
        };
        assert!(Scope::new(&["10.0.0.0/8"], &[], wide).is_ok());
        assert_eq!(
            Scope::new(&[], &[], ScopeLimits::default()),
            Err(ScopeError::Empty)
        );
        assert_eq!(
            Scope::new(&["10.0.0.1"], &["10.0.0.0/24"], ScopeLimits::default()),
            Err(ScopeError::Empty)
        );
        assert_eq!(
            Scope::new(&["10.0.0.0/33"], &[], ScopeLimits::default()),
            Err(ScopeError::BadEntry {
                entry: "10.0.0.0/33".into()
            })
        );
    }

    #[test]
    fn overlapping_inclusions_list_each_address_once() {
        let s = Scope::new(
            &["192.168.1.0/30", "192.168.1.1", "192.168.1.0/29"],
            &[],
            ScopeLimits::default(),
        )
        .unwrap();
        let all: Vec<IpAddr> = s.addresses().collect();
        let mut dedup = all.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(all.len(), dedup.len());
        assert_eq!(all.len(), 6);
    }

    proptest! {
        #[test]
        fn every_listed_address_is_in_scope(a in 0u8..=255, b in 0u8..=255, prefix in 24u8..=32, ex in 0u8..=255, exp in 26u8..=32) {
            let inc = format!("10.{a}.{b}.0/{prefix}");
            let exc = format!("10.{a}.{b}.{ex}/{exp}");
            if let Ok(s) = Scope::new(&[&inc], &[&exc], ScopeLimits::default()) {
                let excl: IpNet = exc.parse::<IpNet>().unwrap().trunc();
                for ip in s.addresses() {
                    prop_assert!(s.contains(ip));
                    prop_assert!(!excl.contains(&ip));
                }
            }
        }

        #[test]
        fn parsing_never_panics(text in ".{0,40}") {
            let _ = Scope::new(&[&text], &[&text], ScopeLimits::default());
        }
    }
}
