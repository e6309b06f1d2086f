//! The agent's identity as its client certificate states it: the name it
//! was enrolled as (the subject's CN), its site (OU) and the certificate's
//! lifetime, which decides when to renew.

use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

/// What the agent needs to know about its own certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub common_name: Option<String>,
    pub site: Option<String>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl CertInfo {
    /// Reads a DER certificate; `None` if it does not parse.
    pub fn of(der: &CertificateDer<'_>) -> Option<CertInfo> {
        let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
        let text = |attr: Option<&x509_parser::x509::AttributeTypeAndValue<'_>>| {
            attr.and_then(|a| a.as_str().ok()).map(str::to_owned)
        };
        let subject = cert.subject();
        let common_name = text(subject.iter_common_name().next());
        let site = text(subject.iter_organizational_unit().next());
        Some(CertInfo {
            common_name,
            site,
            not_before: OffsetDateTime::from_unix_timestamp(cert.validity().not_before.timestamp())
                .ok()?,
            not_after: OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp())
                .ok()?,
        })
    }

    /// The whole validity period.
    pub fn lifetime(&self) -> Duration {
        self.not_after - self.not_before
    }

    /// True once less than a third of the lifetime remains at `now`: the
    /// agent renews then, leaving two more thirds' worth of cycles to
    /// retry in if the collector is away (a 7-day certificate renews with
    /// about 2 days 8 hours to go).
    pub fn renewal_due(&self, now: OffsetDateTime) -> bool {
        self.not_after - now < self.lifetime() / 3
    }
}

/// Agent names and sites: 1 to 64 of `[A-Za-z0-9._-]` (the contract's
/// rule; the collector checks it too).
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(
        cn: &str,
        ou: &str,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        p.distinguished_name
            .push(rcgen::DnType::OrganizationalUnitName, ou);
        p.not_before = from;
        p.not_after = to;
        p.self_signed(&key).unwrap().der().clone()
    }

    #[test]
    fn reads_name_site_and_lifetime() {
        let from = time::macros::datetime!(2025-03-01 00:00 UTC);
        let info = CertInfo::of(&cert("ward-7", "north", from, from + Duration::days(7))).unwrap();
        assert_eq!(info.common_name.as_deref(), Some("ward-7"));
        assert_eq!(info.site.as_deref(), Some("north"));
        assert_eq!(info.lifetime(), Duration::days(7));
        assert_eq!(CertInfo::of(&CertificateDer::from(vec![1, 2, 3])), None);
    }

    #[test]
    fn renewal_is_due_in_the_last_third() {
        let from = time::macros::datetime!(2025-03-01 00:00 UTC);
        let info = CertInfo::of(&cert("a", "s", from, from + Duration::days(6))).unwrap();
        assert!(!info.renewal_due(from + Duration::days(1)));
        assert!(!info.renewal_due(from + Duration::days(4) - Duration::minutes(1)));
        assert!(info.renewal_due(from + Duration::days(4) + Duration::minutes(1)));
        // Expired: certainly due.
        assert!(info.renewal_due(from + Duration::days(10)));
    }

    #[test]
    fn names_follow_the_contract() {
        assert!(valid_name("ward-7.north_A"));
        assert!(!valid_name(""));
        assert!(!valid_name("has space"));
        assert!(!valid_name(&"a".repeat(65)));
        assert!(valid_name(&"a".repeat(64)));
        assert!(!valid_name("ünï"));
    }
}
