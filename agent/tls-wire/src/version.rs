//! Protocol versions as they appear on the wire.

use trustwatch_rules::observe::TlsVersion;

/// The two-byte wire value of a version (SSL 2.0's is `0x0002`).
pub fn wire(version: TlsVersion) -> u16 {
    match version {
        TlsVersion::Ssl2 => 0x0002,
        TlsVersion::Ssl3 => 0x0300,
        TlsVersion::Tls10 => 0x0301,
        TlsVersion::Tls11 => 0x0302,
        TlsVersion::Tls12 => 0x0303,
        TlsVersion::Tls13 => 0x0304,
    }
}

/// The version a wire value names, if it is one we know.
pub fn from_wire(value: u16) -> Option<TlsVersion> {
    Some(match value {
        0x0002 => TlsVersion::Ssl2,
        0x0300 => TlsVersion::Ssl3,
        0x0301 => TlsVersion::Tls10,
        0x0302 => TlsVersion::Tls11,
        0x0303 => TlsVersion::Tls12,
        0x0304 => TlsVersion::Tls13,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        for v in TlsVersion::ALL {
            assert_eq!(from_wire(wire(v)), Some(v));
        }
        assert_eq!(from_wire(0x7f1c), None);
    }
}
