//! The key-exchange messages the probe reads and writes: KEXINIT (RFC 4253
//! §7.1), the ECDH init and reply (RFC 5656 §4, RFC 8731) and the public
//! host key blob in the reply (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709).

use trustwatch_rules::observe::SshHostKey;

use super::wire::{mpint_bits, Reader, WireError, Writer};

pub(crate) const MSG_DISCONNECT: u8 = 1;
pub(crate) const MSG_IGNORE: u8 = 2;
pub(crate) const MSG_UNIMPLEMENTED: u8 = 3;
pub(crate) const MSG_DEBUG: u8 = 4;
pub(crate) const MSG_KEXINIT: u8 = 20;
pub(crate) const MSG_KEX_ECDH_INIT: u8 = 30;
pub(crate) const MSG_KEX_ECDH_REPLY: u8 = 31;

/// The name-lists of a KEXINIT, in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct KexInit {
    pub kex: Vec<String>,
    pub host_key: Vec<String>,
    pub ciphers_c2s: Vec<String>,
    pub ciphers_s2c: Vec<String>,
    pub macs_c2s: Vec<String>,
    pub macs_s2c: Vec<String>,
    pub compression_c2s: Vec<String>,
    pub compression_s2c: Vec<String>,
}

/// Parses a KEXINIT payload (message number included).
pub(crate) fn parse_kexinit(payload: &[u8]) -> Result<KexInit, WireError> {
    let mut r = Reader::new(payload, "KEXINIT");
    let msg = r.byte()?;
    if msg != MSG_KEXINIT {
        return Err(WireError::Unexpected {
            expected: MSG_KEXINIT,
            found: msg,
        });
    }
    r.bytes(16)?; // cookie
    let kex = KexInit {
        kex: r.name_list()?,
        host_key: r.name_list()?,
        ciphers_c2s: r.name_list()?,
        ciphers_s2c: r.name_list()?,
        macs_c2s: r.name_list()?,
        macs_s2c: r.name_list()?,
        compression_c2s: r.name_list()?,
        compression_s2c: r.name_list()?,
    };
    // Languages both ways, first_kex_packet_follows and reserved: read
    // only to check the message is whole.
    r.name_list()?;
    r.name_list()?;
    r.byte()?;
    r.u32()?;
    Ok(kex)
}

/// The ECDH methods the probe can run, preferred first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    X25519,
    P256,
}

/// Picks the key exchange: curve25519 first, then NIST P-256.
pub(crate) fn choose_kex(server: &[String]) -> Option<(&'static str, Curve)> {
    const OURS: [(&str, Curve); 3] = [
        ("curve25519-sha256", Curve::X25519),
        ("curve25519-sha256@libssh.org", Curve::X25519),
        ("ecdh-sha2-nistp256", Curve::P256),
    ];
    OURS.into_iter()
        .find(|(name, _)| server.iter().any(|s| s == name))
}

/// Picks the host-key algorithm whose key is most worth seeing: RSA first
/// (its modulus size is what SSH-003 judges), then DSA (its presence alone
/// is a finding), then ECDSA, then Ed25519.
pub(crate) fn choose_host_key(server: &[String]) -> Option<&'static str> {
    const OURS: [&str; 9] = [
        "rsa-sha2-512",
        "rsa-sha2-256",
        "ssh-rsa",
        "ssh-dss",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "ssh-ed25519",
        "ssh-ed448",
    ];
    OURS.into_iter()
        .find(|ours| server.iter().any(|s| s == ours))
}

/// Our KEXINIT: the one kex method and host-key algorithm we chose, and the
/// server's own cipher, MAC and compression lists echoed back, so that
/// negotiation cannot fail on algorithms we will never use (the connection
/// is closed before NEWKEYS).
pub(crate) fn build_kexinit(
    cookie: [u8; 16],
    kex: &str,
    host_key: &str,
    server: &KexInit,
) -> Vec<u8> {
    let mut w = Writer::default();
    w.byte(MSG_KEXINIT)
        .raw(&cookie)
        .name_list(&[kex])
        .name_list(&[host_key])
        .name_list(&server.ciphers_c2s)
        .name_list(&server.ciphers_s2c)
        .name_list(&server.macs_c2s)
        .name_list(&server.macs_s2c)
        .name_list(&non_empty_or_none(&server.compression_c2s))
        .name_list(&non_empty_or_none(&server.compression_s2c))
        .name_list::<&str>(&[])
        .name_list::<&str>(&[])
        .byte(0) // first_kex_packet_follows
        .u32(0);
    w.0
}

fn non_empty_or_none(list: &[String]) -> Vec<String> {
    if list.is_empty() {
        vec!["none".to_owned()]
    } else {
        list.to_vec()
    }
}

/// SSH_MSG_KEX_ECDH_INIT carrying our ephemeral public key.
pub(crate) fn ecdh_init(public: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    w.byte(MSG_KEX_ECDH_INIT).string(public);
    w.0
}

/// The host key blob (K_S) of a KEX_ECDH_REPLY payload.
pub(crate) fn ecdh_reply_host_key(payload: &[u8]) -> Result<&[u8], WireError> {
    let mut r = Reader::new(payload, "KEX_ECDH_REPLY");
    let msg = r.byte()?;
    if msg != MSG_KEX_ECDH_REPLY {
        return Err(WireError::Unexpected {
            expected: MSG_KEX_ECDH_REPLY,
            found: msg,
        });
    }
    let blob = r.string()?;
    // Q_S and the signature: present in a whole reply; not verified (the
    // probe only reports the key).
    r.string()?;
    r.string()?;
    Ok(blob)
}

/// A host key blob's type and size; `Ok(None)` for a well-formed blob of
/// a type we do not size (a certificate, an unknown algorithm).
pub(crate) fn parse_host_key(blob: &[u8]) -> Result<Option<SshHostKey>, WireError> {
    let mut r = Reader::new(blob, "host key");
    let key_type = r.string()?;
    let key_type = String::from_utf8_lossy(key_type).into_owned();
    let bits = match key_type.as_str() {
        "ssh-rsa" => {
            r.string()?; // e
            mpint_bits(r.string()?)
        }
        "ssh-dss" => mpint_bits(r.string()?), // p (then q, g, y)
        t if t.starts_with("ecdsa-sha2-") => {
            let curve = r.string()?;
            r.string()?; // Q
            match curve {
                b"nistp256" => 256,
                b"nistp384" => 384,
                b"nistp521" => 521,
                _ => return Ok(None),
            }
        }
        "ssh-ed25519" => {
            r.string()?;
            256
        }
        "ssh-ed448" => {
            r.string()?;
            456
        }
        _ => return Ok(None),
    };
    Ok(Some(SshHostKey { key_type, bits }))
}

/// The reason text of an SSH_MSG_DISCONNECT, for a note.
pub(crate) fn disconnect_reason(payload: &[u8]) -> String {
    let mut r = Reader::new(payload, "DISCONNECT");
    let text = (|| {
        r.byte()?;
        let code = r.u32()?;
        let text = r.string()?;
        Ok::<_, WireError>(format!(
            "{code}: {}",
            crate::discover::identify::printable_line(text).unwrap_or_default()
        ))
    })();
    text.unwrap_or_else(|_| "no reason given".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    /// A KEXINIT as OpenSSH 9.2 sends it (lists shortened), written out
    /// byte by byte from RFC 4253 §7.1.
    fn openssh_kexinit() -> Vec<u8> {
        let mut p = vec![20];
        p.extend([0x11; 16]);
        for list in [
            "curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group1-sha1,kex-strict-s-v00@openssh.com",
            "rsa-sha2-512,rsa-sha2-256,ssh-ed25519",
            "chacha20-poly1305@openssh.com,aes128-ctr,3des-cbc",
            "chacha20-poly1305@openssh.com,aes128-ctr,3des-cbc",
            "hmac-sha2-256-etm@openssh.com,hmac-md5",
            "hmac-sha2-256-etm@openssh.com,hmac-md5",
            "none,zlib@openssh.com",
            "none,zlib@openssh.com",
            "",
            "",
        ] {
            p.extend((list.len() as u32).to_be_bytes());
            p.extend(list.as_bytes());
        }
        p.push(0);
        p.extend([0, 0, 0, 0]);
        p
    }

    #[test]
    fn parses_a_server_kexinit() {
        let k = parse_kexinit(&openssh_kexinit()).unwrap();
        assert_eq!(k.kex.len(), 4);
        assert_eq!(k.kex[2], "diffie-hellman-group1-sha1");
        assert_eq!(
            k.host_key,
            names(&["rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519"])
        );
        assert_eq!(k.ciphers_s2c[2], "3des-cbc");
        assert_eq!(k.macs_s2c[1], "hmac-md5");
        assert_eq!(k.compression_s2c, names(&["none", "zlib@openssh.com"]));
    }

    #[test]
    fn truncated_kexinits_are_errors_not_panics() {
        let whole = openssh_kexinit();
        for cut in 0..whole.len() {
            assert!(parse_kexinit(&whole[..cut]).is_err(), "cut at {cut}");
        }
        let mut wrong = whole.clone();
        wrong[0] = 21;
        assert_eq!(
            parse_kexinit(&wrong),
            Err(WireError::Unexpected {
                expected: 20,
                found: 21
            })
        );
    }

    #[test]
    fn our_kexinit_parses_back_with_our_choices() {
        let server = parse_kexinit(&openssh_kexinit()).unwrap();
        let ours = build_kexinit([7; 16], "curve25519-sha256", "rsa-sha2-512", &server);
        let back = parse_kexinit(&ours).unwrap();
        assert_eq!(back.kex, names(&["curve25519-sha256"]));
        assert_eq!(back.host_key, names(&["rsa-sha2-512"]));
        assert_eq!(back.ciphers_c2s, server.ciphers_c2s);
        assert_eq!(back.macs_s2c, server.macs_s2c);
    }

    #[test]
    fn choices_follow_our_preferences() {
        let kex = names(&[
            "diffie-hellman-group14-sha256",
            "ecdh-sha2-nistp256",
            "curve25519-sha256@libssh.org",
        ]);
        assert_eq!(
            choose_kex(&kex),
            Some(("curve25519-sha256@libssh.org", Curve::X25519))
        );
        assert_eq!(
            choose_kex(&names(&["ecdh-sha2-nistp256"])),
            Some(("ecdh-sha2-nistp256", Curve::P256))
        );
        assert_eq!(choose_kex(&names(&["diffie-hellman-group1-sha1"])), None);
        let hk = names(&[
            "ssh-ed25519",
            "ecdsa-sha2-nistp256",
            "ssh-dss",
            "rsa-sha2-256",
        ]);
        assert_eq!(choose_host_key(&hk), Some("rsa-sha2-256"));
        assert_eq!(choose_host_key(&hk[..3]), Some("ssh-dss"));
        assert_eq!(choose_host_key(&hk[..1]), Some("ssh-ed25519"));
        assert_eq!(
            choose_host_key(&names(&["ssh-rsa-cert-v01@openssh.com"])),
            None
        );
    }

    fn blob(parts: &[&[u8]]) -> Vec<u8> {
        let mut w = Writer::default();
        for part in parts {
            w.string(part);
        }
        w.0
    }

    #[test]
    fn sizes_host_keys() {
        let mut n = vec![0x00, 0xc5];
        n.extend([0x42; 255]); // 2048 bits
        let rsa = blob(&[b"ssh-rsa", &[1, 0, 1], &n]);
        assert_eq!(
            parse_host_key(&rsa).unwrap(),
            Some(SshHostKey {
                key_type: "ssh-rsa".into(),
                bits: 2048
            })
        );
        let mut p = vec![0x00, 0x80];
        p.extend([1; 127]); // 1024 bits
        let dsa = blob(&[b"ssh-dss", &p, &[1; 20], &[2; 128], &[3; 128]]);
        assert_eq!(parse_host_key(&dsa).unwrap().unwrap().bits, 1024);
        let ec = blob(&[b"ecdsa-sha2-nistp384", b"nistp384", &[4; 97]]);
        assert_eq!(parse_host_key(&ec).unwrap().unwrap().bits, 384);
        let ed = blob(&[b"ssh-ed25519", &[9; 32]]);
        assert_eq!(
            parse_host_key(&ed).unwrap(),
            Some(SshHostKey {
                key_type: "ssh-ed25519".into(),
                bits: 256
            })
        );
        let cert = blob(&[b"ssh-rsa-cert-v01@openssh.com", b"nonce"]);
        assert_eq!(parse_host_key(&cert).unwrap(), None);
        assert!(parse_host_key(&rsa[..rsa.len() - 1]).is_err());
        assert!(parse_host_key(&[0, 0, 0]).is_err());
    }

    #[test]
    fn reads_the_host_key_from_an_ecdh_reply() {
        let key = blob(&[b"ssh-ed25519", &[9; 32]]);
        let mut w = Writer::default();
        w.byte(MSG_KEX_ECDH_REPLY)
            .string(&key)
            .string(&[5; 32])
            .string(b"sig");
        assert_eq!(ecdh_reply_host_key(&w.0).unwrap(), key.as_slice());
        assert!(ecdh_reply_host_key(&w.0[..w.0.len() - 1]).is_err());
        assert_eq!(ecdh_init(&[1, 2]), [MSG_KEX_ECDH_INIT, 0, 0, 0, 2, 1, 2]);
    }

    #[test]
    fn disconnect_reasons() {
        let mut w = Writer::default();
        w.byte(MSG_DISCONNECT)
            .u32(3)
            .string(b"no matching host key type found\r\n")
            .string(b"");
        assert_eq!(
            disconnect_reason(&w.0),
            "3: no matching host key type found"
        );
        assert_eq!(disconnect_reason(&[1]), "no reason given");
    }
}
