//! SSH-001…SSH-003, per SSH service: the identification string, the
//! algorithms of the server's KEXINIT, and its host keys.

use serde_json::json;

use super::host::{service_evidence, Ctx};
use crate::finding::{Finding, Status};
use crate::observe::{ServiceDetail, ServiceObservation, SshDetail};

/// Smallest acceptable RSA host key (SSH-003).
pub const MIN_RSA_BITS: u32 = 2048;

fn ssh_services<'a>(ctx: &Ctx<'a>) -> Vec<&'a ServiceObservation> {
    ctx.services_where(|s| s.is("ssh") || matches!(s.detail, ServiceDetail::Ssh(_)))
}

fn detail(obs: &ServiceObservation) -> Option<&SshDetail> {
    match &obs.detail {
        ServiceDetail::Ssh(d) => Some(d),
        _ => None,
    }
}

/// The protocol version of the identification string, from the detail or
/// else from the banner (`SSH-1.99-OpenSSH_3.9` → `1.99`).
fn protocol(obs: &ServiceObservation) -> Option<String> {
    if let Some(d) = detail(obs).filter(|d| !d.protocol.is_empty()) {
        return Some(d.protocol.clone());
    }
    let rest = obs.banner.as_deref()?.strip_prefix("SSH-")?;
    rest.split_once('-').map(|(p, _)| p.to_owned())
}

pub(super) fn protocol_1(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for obs in ssh_services(ctx) {
        let Some(version) = protocol(obs) else {
            out.push(ctx.unassessed(obs, "identification string"));
            continue;
        };
        let mut ev = service_evidence(obs).with("protocol", version.as_str());
        if let Some(d) = detail(obs) {
            ev.insert("software", d.software.as_str());
        }
        let (status, summary) = if version == "2.0" {
            (Status::Pass, "identifies as SSH-2.0".to_owned())
        } else if version == "1.99" {
            (
                Status::Fail,
                "identifies as SSH-1.99: protocol 1 is still accepted".to_owned(),
            )
        } else if version.starts_with("1.") {
            (
                Status::Fail,
                format!("identifies as SSH-{version}: protocol 1 only"),
            )
        } else {
            ev.insert("error", "unrecognised protocol version");
            (
                Status::Error,
                format!("could not assess: unrecognised protocol version `{version}`"),
            )
        };
        out.push(ctx.service_finding(obs, status, summary, ev));
    }
    out
}

/// Key exchanges baseline.md names (and their GSS-API forms, same groups).
pub fn weak_kex(name: &str) -> bool {
    matches!(
        name,
        "diffie-hellman-group1-sha1" | "diffie-hellman-group-exchange-sha1"
    ) || name.starts_with("gss-group1-sha1-")
        || name.starts_with("gss-gex-sha1-")
}

/// `none`, any CBC mode, and 3DES, DES, arcfour, Blowfish, CAST or IDEA in
/// any mode.
pub fn weak_cipher(name: &str) -> bool {
    const FAMILIES: &[&str] = &[
        "3des", "des", "arcfour", "blowfish", "cast128", "idea", "rc4",
    ];
    let base = name.split('@').next().unwrap_or(name);
    name == "none" || base.contains("-cbc") || FAMILIES.iter().any(|f| base.starts_with(f))
}

/// `none`, MD5-based, or truncated to 96 bits.
pub fn weak_mac(name: &str) -> bool {
    let base = name.split('@').next().unwrap_or(name);
    name == "none" || base.contains("md5") || base.ends_with("-96") || base.contains("-96-")
}

pub(super) fn weak_algorithms(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for obs in ssh_services(ctx) {
        let Some(d) = detail(obs).filter(|d| {
            !(d.kex_algorithms.is_empty() && d.ciphers.is_empty() && d.macs.is_empty())
        }) else {
            out.push(ctx.unassessed(obs, "KEXINIT"));
            continue;
        };
        let pick = |list: &[String], weak: fn(&str) -> bool| -> Vec<String> {
            list.iter().filter(|a| weak(a)).cloned().collect()
        };
        let kex = pick(&d.kex_algorithms, weak_kex);
        let ciphers = pick(&d.ciphers, weak_cipher);
        let macs = pick(&d.macs, weak_mac);
        let mut offered: Vec<String> = Vec::new();
        offered.extend(kex.iter().cloned());
        offered.extend(ciphers.iter().cloned());
        offered.extend(macs.iter().cloned());
        let ev = service_evidence(obs)
            .with("weak_kex", kex)
            .with("weak_ciphers", ciphers)
            .with("weak_macs", macs)
            .with("kex_algorithms", d.kex_algorithms.clone())
            .with("ciphers", d.ciphers.clone())
            .with("macs", d.macs.clone());
        let (status, summary) = if offered.is_empty() {
            (
                Status::Pass,
                "no weak key exchange, cipher or MAC offered".to_owned(),
            )
        } else {
            (
                Status::Fail,
                format!("weak algorithms offered: {}", offered.join(", ")),
            )
        };
        out.push(ctx.service_finding(obs, status, summary, ev));
    }
    out
}

fn is_rsa(alg: &str) -> bool {
    alg.starts_with("ssh-rsa") || alg.starts_with("rsa-sha2-") || alg.starts_with("x509v3-ssh-rsa")
}

fn is_dss(alg: &str) -> bool {
    alg.starts_with("ssh-dss") || alg.starts_with("x509v3-ssh-dss")
}

pub(super) fn weak_host_key(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for obs in ssh_services(ctx) {
        let Some(d) = detail(obs).filter(|d| !d.host_key_algorithms.is_empty()) else {
            out.push(ctx.unassessed(obs, "KEXINIT"));
            continue;
        };
        let mut problems: Vec<String> = d
            .host_key_algorithms
            .iter()
            .filter(|a| is_dss(a))
            .map(|a| format!("{a} offered"))
            .collect();
        let key = d.host_key.as_ref();
        let rsa_key = key.filter(|k| is_rsa(&k.key_type));
        if let Some(k) = key.filter(|k| is_dss(&k.key_type)) {
            if problems.is_empty() {
                problems.push(format!("{} host key", k.key_type));
            }
        }
        if let Some(k) = rsa_key.filter(|k| k.bits < MIN_RSA_BITS) {
            problems.push(format!("RSA host key of {} bits", k.bits));
        }
        let rsa_offered = d.host_key_algorithms.iter().any(|a| is_rsa(a));
        let mut ev = service_evidence(obs)
            .with("host_key_algorithms", d.host_key_algorithms.clone())
            .with("min_rsa_bits", MIN_RSA_BITS);
        if let Some(k) = key {
            ev.insert("host_key", json!({"key_type": k.key_type, "bits": k.bits}));
        }
        let (status, summary) = if !problems.is_empty() {
            ev.insert("problems", problems.clone());
            (
                Status::Fail,
                format!("weak host key: {}", problems.join(", ")),
            )
        } else if rsa_offered && rsa_key.is_none() {
            let seen = match key {
                Some(k) => format!("the key exchange proved a {} key", k.key_type),
                None => "the key exchange was not completed".to_owned(),
            };
            let reason = format!("an RSA host key is offered but its size was not seen ({seen})");
            ev.insert("error", reason.as_str());
            (Status::Error, format!("could not assess: {reason}"))
        } else {
            let summary = match rsa_key {
                Some(k) => format!("no DSA host key; RSA host key of {} bits", k.bits),
                None => "no DSA or RSA host key offered".to_owned(),
            };
            (Status::Pass, summary)
        };
        out.push(ctx.service_finding(obs, status, summary, ev));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_algorithm_names() {
        for k in [
            "diffie-hellman-group1-sha1",
            "diffie-hellman-group-exchange-sha1",
            "gss-group1-sha1-toWM5Slw5Ew8Mqkay+al2g==",
        ] {
            assert!(weak_kex(k), "{k}");
        }
        for k in [
            "diffie-hellman-group14-sha1",
            "diffie-hellman-group14-sha256",
            "curve25519-sha256",
            "diffie-hellman-group-exchange-sha256",
        ] {
            assert!(!weak_kex(k), "{k}");
        }
        for c in [
            "3des-cbc",
            "aes128-cbc",
            "aes256-cbc",
            "rijndael-cbc@lysator.liu.se",
            "arcfour",
            "arcfour256",
            "blowfish-cbc",
            "blowfish-ctr",
            "cast128-cbc",
            "des-cbc@ssh.com",
            "3des-ctr",
            "none",
        ] {
            assert!(weak_cipher(c), "{c}");
        }
        for c in [
            "aes128-ctr",
            "aes256-gcm@openssh.com",
            "chacha20-poly1305@openssh.com",
        ] {
            assert!(!weak_cipher(c), "{c}");
        }
        for m in [
            "hmac-md5",
            "hmac-md5-96",
            "hmac-sha1-96",
            "hmac-md5-etm@openssh.com",
            "hmac-sha1-96-etm@openssh.com",
            "none",
        ] {
            assert!(weak_mac(m), "{m}");
        }
        for m in [
            "hmac-sha2-256",
            "hmac-sha1",
            "umac-64-etm@openssh.com",
            "hmac-sha2-512-etm@openssh.com",
        ] {
            assert!(!weak_mac(m), "{m}");
        }
    }

    #[test]
    fn protocol_comes_from_the_detail_or_the_banner() {
        let mut obs = ServiceObservation::open("10.0.0.1", 22, crate::observe::Transport::Tcp);
        assert_eq!(protocol(&obs), None);
        obs.banner = Some("SSH-1.99-OpenSSH_3.9p1".into());
        assert_eq!(protocol(&obs).as_deref(), Some("1.99"));
        obs.detail = ServiceDetail::Ssh(SshDetail {
            protocol: "2.0".into(),
            ..SshDetail::default()
        });
        assert_eq!(protocol(&obs).as_deref(), Some("2.0"));
        obs.banner = Some("SSH-".into());
        obs.detail = ServiceDetail::None;
        assert_eq!(protocol(&obs), None);
    }
}
