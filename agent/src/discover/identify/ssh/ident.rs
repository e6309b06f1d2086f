//! The identification string (RFC 4253 §4.2):
//! `SSH-protoversion-softwareversion SP comments CR LF`, possibly preceded
//! by other lines of text that the client must skip.

/// An identification string, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ident {
    /// `2.0`, `1.99` (both protocols) or `1.5` (protocol 1 only).
    pub protocol: String,
    /// Everything after the protocol version, comments included, e.g.
    /// `OpenSSH_9.2p1 Debian-2+deb12u3`.
    pub software: String,
    pub product: Option<String>,
    pub version: Option<String>,
}

impl Ident {
    /// The server speaks protocol 2 (`2.0`, or `1.99` for both).
    pub fn speaks_v2(&self) -> bool {
        self.protocol.starts_with('2') || self.protocol == "1.99"
    }
}

/// The longest identification line RFC 4253 allows (255 bytes with CR LF).
const MAX_LINE: usize = 255;

/// Finds the `SSH-` line among the lines the server sent first. Returns
/// the ident and the span of its line, line end included (the binary
/// packets start just past it), or `None` if no complete `SSH-` line is
/// there yet.
pub(crate) fn find_ident(bytes: &[u8]) -> Option<(Ident, std::ops::Range<usize>)> {
    let mut start = 0;
    while start < bytes.len() {
        let rest = &bytes[start..];
        let end = rest.iter().position(|&b| b == b'\n')?;
        let line = &rest[..end];
        if line.starts_with(b"SSH-") {
            return Some((parse_ident(line)?, start..start + end + 1));
        }
        start += end + 1;
    }
    None
}

/// Whether the bytes so far hold a whole `SSH-` line: what to wait for
/// when the greeting started with other text.
pub(crate) fn has_ident_line(bytes: &[u8]) -> bool {
    bytes
        .split(|&b| b == b'\n')
        .rev()
        .skip(1) // the part after the last line end is incomplete
        .any(|line| line.starts_with(b"SSH-"))
}

/// Parses one `SSH-…` line (without its LF; a trailing CR is dropped).
pub(crate) fn parse_ident(line: &[u8]) -> Option<Ident> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = &line[..line.len().min(MAX_LINE)];
    let text: String = line
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '?'
            }
        })
        .collect();
    let rest = text.strip_prefix("SSH-")?;
    let (protocol, software) = rest.split_once('-')?;
    if protocol.is_empty() || !protocol.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let (product, version) = product_version(software);
    Some(Ident {
        protocol: protocol.to_owned(),
        software: software.to_owned(),
        product,
        version,
    })
}

/// The product and version in the software token (the part before the
/// first space): `OpenSSH_9.2p1` → (`OpenSSH`, `9.2p1`), `dropbear_2022.83`
/// → (`Dropbear`, `2022.83`), `libssh-0.10.4`, `Cisco-1.25`, `ROSSSH` →
/// (`ROSSSH`, none).
pub(crate) fn product_version(software: &str) -> (Option<String>, Option<String>) {
    let token = software.split(' ').next().unwrap_or("");
    if token.is_empty() {
        return (None, None);
    }
    // The version starts after the last `_` or `-` that is followed by a
    // digit: `OpenSSH_for_Windows_8.1` → `OpenSSH_for_Windows` + `8.1`.
    let split = token
        .char_indices()
        .filter(|&(i, c)| {
            (c == '_' || c == '-')
                && token[i + 1..]
                    .chars()
                    .next()
                    .is_some_and(|n| n.is_ascii_digit())
        })
        .map(|(i, _)| i)
        .next_back();
    let (name, version) = match split {
        Some(i) => (&token[..i], Some(token[i + 1..].to_owned())),
        None => (token, None),
    };
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return (None, None);
    }
    (Some(canonical_product(name)), version)
}

/// Well-known names as they are usually written.
fn canonical_product(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "openssh" => "OpenSSH".to_owned(),
        "dropbear" => "Dropbear".to_owned(),
        "libssh" => "libssh".to_owned(),
        "cisco" => "Cisco SSH".to_owned(),
        _ => name.replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pv(s: &str) -> (Option<String>, Option<String>) {
        product_version(s)
    }

    fn some(p: Option<&str>, v: Option<&str>) -> (Option<String>, Option<String>) {
        (p.map(str::to_owned), v.map(str::to_owned))
    }

    #[test]
    fn parses_openssh_debian() {
        let ident = parse_ident(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r").unwrap();
        assert_eq!(ident.protocol, "2.0");
        assert_eq!(ident.software, "OpenSSH_9.2p1 Debian-2+deb12u3");
        assert_eq!(ident.product.as_deref(), Some("OpenSSH"));
        assert_eq!(ident.version.as_deref(), Some("9.2p1"));
        assert!(ident.speaks_v2());
    }

    #[test]
    fn protocol_versions() {
        assert!(parse_ident(b"SSH-1.99-OpenSSH_3.9p1").unwrap().speaks_v2());
        let v1 = parse_ident(b"SSH-1.5-Cisco-1.25").unwrap();
        assert!(!v1.speaks_v2());
        assert_eq!(v1.protocol, "1.5");
        assert_eq!(v1.product.as_deref(), Some("Cisco SSH"));
        assert_eq!(v1.version.as_deref(), Some("1.25"));
        assert_eq!(parse_ident(b"SSH-x-foo"), None);
        assert_eq!(parse_ident(b"SSH-2.0"), None);
        assert_eq!(parse_ident(b"HTTP/1.1 200"), None);
    }

    #[test]
    fn products_of_common_servers() {
        assert_eq!(
            pv("dropbear_2022.83"),
            some(Some("Dropbear"), Some("2022.83"))
        );
        assert_eq!(pv("dropbear"), some(Some("Dropbear"), None));
        assert_eq!(pv("libssh_0.10.4"), some(Some("libssh"), Some("0.10.4")));
        assert_eq!(pv("libssh-0.6.3"), some(Some("libssh"), Some("0.6.3")));
        assert_eq!(pv("ROSSSH"), some(Some("ROSSSH"), None));
        assert_eq!(
            pv("OpenSSH_for_Windows_8.1"),
            some(Some("OpenSSH for Windows"), Some("8.1"))
        );
        assert_eq!(pv("paramiko_3.1.0"), some(Some("paramiko"), Some("3.1.0")));
        assert_eq!(pv(""), some(None, None));
        assert_eq!(pv("1.82 sshlib"), some(None, None));
    }

    #[test]
    fn finds_the_ident_after_other_lines() {
        let bytes = b"Welcome\r\nto the box\r\nSSH-2.0-dropbear\r\n\x00\x00\x01";
        let (ident, line) = find_ident(bytes).unwrap();
        assert_eq!(ident.product.as_deref(), Some("Dropbear"));
        assert_eq!(&bytes[line.clone()], b"SSH-2.0-dropbear\r\n");
        assert_eq!(&bytes[line.end..], b"\x00\x00\x01");
        assert!(has_ident_line(bytes));
        assert!(!has_ident_line(b"Welcome\r\nSSH-2.0-drop"));
        assert_eq!(find_ident(b"Welcome\r\nSSH-2.0-drop"), None);
    }

    #[test]
    fn odd_bytes_do_not_panic() {
        let ident = parse_ident(b"SSH-2.0-\xff\xfe\x00x").unwrap();
        assert_eq!(ident.software, "???x");
        let long = [b"SSH-2.0-".as_slice(), &[b'a'; 1000]].concat();
        assert_eq!(parse_ident(&long).unwrap().software.len(), MAX_LINE - 8);
    }
}
