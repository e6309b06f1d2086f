//! Network targets: `HOST:PORT`, where HOST is an IPv4 address, a bracketed
//! IPv6 address (`[::1]:443`) or a DNS name.
//!
//! The text as given is kept verbatim because findings report the target
//! exactly as the user wrote it (design.md, "Contracts").
//!
//! A file of targets (`scan --targets FILE`) is parsed in [`list`].

pub mod list;

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use rustls_pki_types::{DnsName, ServerName};

use crate::error::{Error, Result};

/// The host part of a target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// An IP literal: never resolved, and no SNI is sent for it.
    Ip(IpAddr),
    /// A DNS name, lower-cased: resolved at scan time and sent as SNI.
    Name(DnsName<'static>),
}

impl Host {
    /// Parses a bare host (no port, no brackets), e.g. a `--sni` value or a
    /// URL's host.
    pub fn parse(text: &str) -> Option<Host> {
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Some(Host::Ip(ip));
        }
        dns_name(text).map(Host::Name)
    }

    /// The name a certificate is checked against for this host.
    pub fn server_name(&self) -> ServerName<'static> {
        match self {
            Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
            Host::Name(name) => ServerName::DnsName(name.clone()),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Name(name) => f.write_str(name.as_ref()),
        }
    }
}

/// A parsed `HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    raw: String,
    host: Host,
    port: u16,
}

impl Target {
    pub fn parse(input: &str) -> Result<Target> {
        let fail = |reason: &str| Error::Target {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        if input.is_empty() || input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail("expected HOST:PORT with no spaces"));
        }
        let (host, port) = if let Some(rest) = input.strip_prefix('[') {
            let (inside, after) = rest
                .split_once(']')
                .ok_or_else(|| fail("IPv6 address has no closing `]`"))?;
            let ip: Ipv6Addr = inside
                .parse()
                .map_err(|_| fail("the text in brackets is not an IPv6 address"))?;
            let port = after
                .strip_prefix(':')
                .ok_or_else(|| fail("expected HOST:PORT (no port after the IPv6 address)"))?;
            (Host::Ip(IpAddr::V6(ip)), port)
        } else {
            let (host, port) = input
                .rsplit_once(':')
                .ok_or_else(|| fail("expected HOST:PORT"))?;
            if host.contains(':') {
                return Err(fail(
                    "an IPv6 address must be written in brackets, e.g. [::1]:443",
                ));
            }
            if host.is_empty() {
                return Err(fail("expected HOST:PORT (the host is empty)"));
            }
            let host = if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
                Host::Ip(IpAddr::V4(ip))
            } else {
                Host::Name(dns_name(host).ok_or_else(|| {
                    fail("the host is neither an IP address nor a valid DNS name")
                })?)
            };
            (host, port)
        };
        let port =
            parse_port(port).ok_or_else(|| fail("the port must be a number from 1 to 65535"))?;
        Ok(Target {
            raw: input.to_owned(),
            host,
            port,
        })
    }

    /// The target exactly as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn host(&self) -> &Host {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl std::str::FromStr for Target {
    type Err = Error;

    fn from_str(s: &str) -> Result<Target> {
        Target::parse(s)
    }
}

fn parse_port(text: &str) -> Option<u16> {
    // `u16::from_str` accepts a leading `+`; a port is digits only.
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u16>().ok().filter(|&p| p != 0)
}

/// A name to send as SNI (and check the certificate against): a DNS name,
/// lower-cased; an IP address is refused because SNI cannot carry one.
pub fn sni_name(text: &str) -> std::result::Result<DnsName<'static>, &'static str> {
    if text.parse::<IpAddr>().is_ok() {
        return Err("SNI carries a DNS name, not an IP address");
    }
    DnsName::try_from(text.to_ascii_lowercase()).map_err(|_| "is not a valid DNS name")
}

/// A syntactically valid DNS name, lower-cased so that the same host always
/// shares one per-host connection limit. A trailing dot is not accepted.
fn dns_name(text: &str) -> Option<DnsName<'static>> {
    if text.ends_with('.') || text.parse::<IpAddr>().is_ok() {
        return None;
    }
    DnsName::try_from(text.to_ascii_lowercase()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(input: &str) -> String {
        match Target::parse(input) {
            Err(Error::Target { reason, .. }) => reason,
            other => panic!("expected a target error for {input:?}, got {other:?}"),
        }
    }

    #[test]
    fn parses_ipv4_ipv6_and_names() {
        let t = Target::parse("127.0.0.1:8443").unwrap();
        assert_eq!(t.host(), &Host::Ip("127.0.0.1".parse().unwrap()));
        assert_eq!(t.port(), 8443);

        let t = Target::parse("[::1]:443").unwrap();
        assert_eq!(t.host(), &Host::Ip("::1".parse().unwrap()));
        assert_eq!(t.as_str(), "[::1]:443");

        let t = Target::parse("Intranet.Example.NHS.uk:443").unwrap();
        assert_eq!(t.host().to_string(), "intranet.example.nhs.uk");
        assert_eq!(t.as_str(), "Intranet.Example.NHS.uk:443", "kept as given");
    }

    #[test]
    fn rejects_with_a_precise_reason() {
        assert_eq!(reason("foo"), "expected HOST:PORT");
        assert_eq!(reason(":443"), "expected HOST:PORT (the host is empty)");
        assert!(reason("::1:443").contains("brackets"));
        assert!(reason("[::1]").contains("no port"));
        assert!(reason("[::1:443").contains("closing"));
        assert!(reason("[10.0.0.1]:443").contains("not an IPv6"));
        for port in ["0", "65536", "+1", "", "-1", "44x", "000000443"] {
            assert!(
                reason(&format!("a.example:{port}")).contains("1 to 65535"),
                "port {port:?}"
            );
        }
        assert!(reason("bad_host!:443").contains("DNS name"));
        assert!(reason("host .example:443").contains("spaces"));
        assert!(reason("example.org.:443").contains("DNS name"));
    }

    #[test]
    fn error_message_names_the_input() {
        let err = Target::parse("foo").unwrap_err();
        assert_eq!(err.to_string(), r#"target "foo": expected HOST:PORT"#);
    }

    #[test]
    fn server_name_for_ip_and_name() {
        let ip = Target::parse("10.1.2.3:443").unwrap();
        assert!(matches!(ip.host().server_name(), ServerName::IpAddress(_)));
        let name = Target::parse("a.example:443").unwrap();
        assert!(matches!(name.host().server_name(), ServerName::DnsName(_)));
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        fn label() -> impl Strategy<Value = String> {
            "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?"
        }

        fn host() -> impl Strategy<Value = Host> {
            prop_oneof![
                any::<[u8; 4]>().prop_map(|b| Host::Ip(IpAddr::from(b))),
                any::<[u16; 8]>().prop_map(|s| Host::Ip(IpAddr::from(s))),
                (proptest::collection::vec(label(), 1..4), "[a-z]{2,6}").prop_filter_map(
                    "valid DNS name",
                    |(labels, tld)| {
                        dns_name(&format!("{}.{tld}", labels.join("."))).map(Host::Name)
                    }
                ),
            ]
        }

        proptest! {
            #[test]
            fn never_panics(s in "\\PC{0,40}") {
                let _ = Target::parse(&s);
            }

            #[test]
            fn never_panics_on_near_misses(s in "[\\[\\]:0-9a-f.]{0,30}") {
                let _ = Target::parse(&s);
            }

            #[test]
            fn round_trips(host in host(), port in 1u16..) {
                let text = format!("{host}:{port}");
                let t = Target::parse(&text).unwrap();
                prop_assert_eq!(t.host(), &host);
                prop_assert_eq!(t.port(), port);
                prop_assert_eq!(t.to_string(), text);
            }
        }
    }
}
