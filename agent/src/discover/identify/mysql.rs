//! MySQL and MariaDB: the server speaks first with its handshake packet
//! (protocol 10), or with an error packet when the client's host may not
//! connect. Nothing is sent: the greeting names the server.

use trustwatch_rules::observe::IdentifiedBy;

use super::Session;

/// What the first packet said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Greeting {
    /// A v10 handshake with its server version string.
    Handshake {
        server_version: String,
        product: Option<String>,
        version: Option<String>,
    },
    /// An ERR packet (0xff): code and message.
    Refused {
        code: u16,
        message: String,
        product: Option<String>,
    },
}

/// The payload of the first MySQL packet in `bytes`, if whole.
fn first_packet(bytes: &[u8]) -> Option<&[u8]> {
    let header = bytes.get(..4)?;
    let len = usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
    bytes.get(4..4 + len)
}

/// Parses a server greeting; `None` when it is not one.
pub(crate) fn parse_greeting(bytes: &[u8]) -> Option<Greeting> {
    let payload = first_packet(bytes)?;
    match payload.first()? {
        10 => {
            let rest = &payload[1..];
            let end = rest.iter().position(|&b| b == 0)?;
            let server_version = printable(&rest[..end]);
            let (product, version) = product_version(&server_version);
            Some(Greeting::Handshake {
                server_version,
                product,
                version,
            })
        }
        0xff => {
            let code = u16::from_le_bytes([*payload.get(1)?, *payload.get(2)?]);
            let mut message = &payload[3..];
            // A `#` and a five-character SQL state may precede the text.
            if message.first() == Some(&b'#') && message.len() >= 6 {
                message = &message[6..];
            }
            let message = printable(message);
            let product = if message.contains("MariaDB") {
                Some("MariaDB".to_owned())
            } else if message.contains("MySQL") {
                Some("MySQL".to_owned())
            } else {
                None
            };
            Some(Greeting::Refused {
                code,
                message,
                product,
            })
        }
        _ => None,
    }
}

fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(200)
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

/// `10.11.6-MariaDB-0+deb12u1` (or MariaDB 10's replication-friendly
/// `5.5.5-10.11.6-MariaDB-…`) → MariaDB 10.11.6; `8.0.36-0ubuntu0.22.04.1`
/// → MySQL 8.0.36.
pub(crate) fn product_version(server_version: &str) -> (Option<String>, Option<String>) {
    if server_version.is_empty() {
        return (None, None);
    }
    if server_version.contains("MariaDB") {
        let v = server_version
            .strip_prefix("5.5.5-")
            .unwrap_or(server_version);
        let version = v.split('-').next().filter(|v| starts_with_digit(v));
        return (Some("MariaDB".to_owned()), version.map(str::to_owned));
    }
    let version = server_version
        .split('-')
        .next()
        .filter(|v| starts_with_digit(v))
        .map(str::to_owned);
    (Some("MySQL".to_owned()), version)
}

fn starts_with_digit(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
}

pub(super) async fn identify(s: &mut Session<'_>) {
    let mut greeting = s.banner.clone();
    if !greeting.is_empty() && first_packet(&greeting).is_none() {
        // The handshake came in pieces: read the rest of the one packet.
        let prev = greeting.clone();
        let more = s
            .read_until(s.opts.io_timeout, |b| {
                first_packet(&[prev.as_slice(), b].concat()).is_some()
            })
            .await
            .unwrap_or_default();
        greeting.extend_from_slice(&more);
    }
    match parse_greeting(&greeting) {
        Some(Greeting::Handshake {
            server_version,
            product,
            version,
        }) => {
            s.found("mysql", IdentifiedBy::Banner);
            s.obs.banner = Some(server_version);
            s.obs.product = product;
            s.obs.version = version;
        }
        Some(Greeting::Refused {
            code,
            message,
            product,
        }) => {
            s.found("mysql", IdentifiedBy::Banner);
            s.obs.banner = Some(message.clone());
            s.obs.product = product;
            s.note(format!(
                "mysql: connection refused by the server: {code} {message}"
            ));
        }
        None if greeting.is_empty() => {
            s.found("mysql", IdentifiedBy::Port);
            s.note("mysql: no greeting");
        }
        None => s.note("mysql: not a MySQL greeting"),
    }
    s.stream = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(payload: &[u8]) -> Vec<u8> {
        let len = payload.len() as u32;
        let mut p = len.to_le_bytes()[..3].to_vec();
        p.push(0);
        p.extend_from_slice(payload);
        p
    }

    /// A v10 handshake as MariaDB 10.11 sends it, written from the
    /// protocol documentation (Protocol::HandshakeV10).
    fn handshake(version: &str) -> Vec<u8> {
        let mut p = vec![10];
        p.extend(version.as_bytes());
        p.push(0);
        p.extend(7u32.to_le_bytes()); // connection id
        p.extend(b"abcdefgh\0"); // auth-plugin-data part 1, filler
        p.extend([0xfe, 0xf7, 0x2d, 0x02, 0, 0xff, 0x81, 0x15]);
        p.extend([0; 10]);
        p.extend(b"ijklmnopqrst\0mysql_native_password\0");
        packet(&p)
    }

    #[test]
    fn mariadb_handshake() {
        let g = parse_greeting(&handshake("5.5.5-10.11.6-MariaDB-0+deb12u1")).unwrap();
        assert_eq!(
            g,
            Greeting::Handshake {
                server_version: "5.5.5-10.11.6-MariaDB-0+deb12u1".into(),
                product: Some("MariaDB".into()),
                version: Some("10.11.6".into()),
            }
        );
        assert_eq!(
            product_version("10.11.6-MariaDB-0+deb12u1"),
            (Some("MariaDB".into()), Some("10.11.6".into()))
        );
    }

    #[test]
    fn mysql_handshake() {
        let Some(Greeting::Handshake {
            product, version, ..
        }) = parse_greeting(&handshake("8.0.36-0ubuntu0.22.04.1"))
        else {
            panic!("not a handshake");
        };
        assert_eq!(product.as_deref(), Some("MySQL"));
        assert_eq!(version.as_deref(), Some("8.0.36"));
    }

    #[test]
    fn host_not_allowed() {
        let mut p = vec![0xff];
        p.extend(1130u16.to_le_bytes());
        p.extend(b"Host '10.0.0.9' is not allowed to connect to this MariaDB server");
        let g = parse_greeting(&packet(&p)).unwrap();
        assert_eq!(
            g,
            Greeting::Refused {
                code: 1130,
                message: "Host '10.0.0.9' is not allowed to connect to this MariaDB server".into(),
                product: Some("MariaDB".into()),
            }
        );
    }

    #[test]
    fn partial_and_foreign_bytes() {
        let whole = handshake("8.0.36");
        for cut in 0..whole.len() {
            assert_eq!(parse_greeting(&whole[..cut]), None, "cut at {cut}");
        }
        assert_eq!(parse_greeting(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(parse_greeting(&packet(&[10, b'x'])), None, "no NUL");
        assert_eq!(parse_greeting(&packet(&[0xff, 1])), None);
    }
}
