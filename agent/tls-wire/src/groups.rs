//! The TLS Supported Groups registry: named curves and finite-field groups,
//! each with its strength in bits as the baseline judges it (the field size
//! of a curve, the prime size of a finite-field group).

use trustwatch_rules::observe::TlsVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NamedGroup {
    pub id: u16,
    pub name: &'static str,
    pub bits: u32,
}

const fn g(id: u16, name: &'static str, bits: u32) -> NamedGroup {
    NamedGroup { id, name, bits }
}

/// Every group a scanner offers, in code-point order. The hybrid
/// post-quantum groups count the bits of their classical half.
pub const GROUPS: &[NamedGroup] = &[
    g(1, "sect163k1", 163),
    g(2, "sect163r1", 163),
    g(3, "sect163r2", 163),
    g(4, "sect193r1", 193),
    g(5, "sect193r2", 193),
    g(6, "sect233k1", 233),
    g(7, "sect233r1", 233),
    g(8, "sect239k1", 239),
    g(9, "sect283k1", 283),
    g(10, "sect283r1", 283),
    g(11, "sect409k1", 409),
    g(12, "sect409r1", 409),
    g(13, "sect571k1", 571),
    g(14, "sect571r1", 571),
    g(15, "secp160k1", 160),
    g(16, "secp160r1", 160),
    g(17, "secp160r2", 160),
    g(18, "secp192k1", 192),
    g(19, "secp192r1", 192),
    g(20, "secp224k1", 224),
    g(21, "secp224r1", 224),
    g(22, "secp256k1", 256),
    g(23, "secp256r1", 256),
    g(24, "secp384r1", 384),
    g(25, "secp521r1", 521),
    g(26, "brainpoolP256r1", 256),
    g(27, "brainpoolP384r1", 384),
    g(28, "brainpoolP512r1", 512),
    g(29, "x25519", 255),
    g(30, "x448", 448),
    g(31, "brainpoolP256r1tls13", 256),
    g(32, "brainpoolP384r1tls13", 384),
    g(33, "brainpoolP512r1tls13", 512),
    g(256, "ffdhe2048", 2048),
    g(257, "ffdhe3072", 3072),
    g(258, "ffdhe4096", 4096),
    g(259, "ffdhe6144", 6144),
    g(260, "ffdhe8192", 8192),
    g(4587, "SecP256r1MLKEM768", 256),
    g(4588, "X25519MLKEM768", 255),
    g(4589, "SecP384r1MLKEM1024", 384),
];

impl NamedGroup {
    pub fn lookup(id: u16) -> Option<NamedGroup> {
        GROUPS.iter().copied().find(|g| g.id == id)
    }

    /// A finite-field (RFC 7919) group.
    pub fn is_ffdhe(&self) -> bool {
        (256..512).contains(&self.id)
    }

    /// Whether a ClientHello for `version` lists this group. TLS 1.2 and
    /// older list only curves: offering RFC 7919 groups there would stop a
    /// server that implements it from choosing DHE with its own (perhaps
    /// weak) parameters, which is exactly what must be measured.
    pub fn offered_at(&self, version: TlsVersion) -> bool {
        if version == TlsVersion::Tls13 {
            true
        } else {
            self.id <= 30
        }
    }

    /// The length of a key share that any server must accept as well
    /// formed when filled with random bytes (every 32-byte string is an
    /// X25519 public key, every 56-byte string an X448 one).
    pub fn random_share_len(&self) -> Option<usize> {
        match self.id {
            29 => Some(32),
            30 => Some(56),
            _ => None,
        }
    }
}

/// The ids of every group a ClientHello for `version` lists.
pub fn offered_at(version: TlsVersion) -> Vec<u16> {
    GROUPS
        .iter()
        .filter(|g| g.offered_at(version))
        .map(|g| g.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_unique_and_sized() {
        for pair in GROUPS.windows(2) {
            assert!(pair[0].id < pair[1].id);
        }
        assert_eq!(NamedGroup::lookup(29).unwrap().bits, 255);
        assert_eq!(NamedGroup::lookup(23).unwrap().name, "secp256r1");
        assert_eq!(NamedGroup::lookup(19).unwrap().bits, 192);
        assert_eq!(NamedGroup::lookup(256).unwrap().bits, 2048);
        assert!(NamedGroup::lookup(256).unwrap().is_ffdhe());
        assert!(!NamedGroup::lookup(24).unwrap().is_ffdhe());
        assert_eq!(NamedGroup::lookup(0x1234), None);
    }

    #[test]
    fn tls12_offers_curves_only() {
        let tls12 = offered_at(TlsVersion::Tls12);
        assert!(tls12.contains(&23) && tls12.contains(&29) && tls12.contains(&1));
        assert!(!tls12.contains(&256) && !tls12.contains(&4588) && !tls12.contains(&31));
        assert_eq!(offered_at(TlsVersion::Tls13).len(), GROUPS.len());
    }
}
