//! SNMP over UDP: a GetRequest of sysDescr.0 with each configured community
//! (`public` by default), as v2c and as v1.
//!
//! SNMP has no banner, so gentle mode sends nothing and learns nothing.
//! Otherwise each (community, version) is one datagram on its own socket,
//! with no retry; all are sent together and each waits at most
//! [`MAX_WAIT`] (or the io timeout, if shorter). Only a Response whose
//! request-id matches the request counts, so a stray or spoofed datagram
//! cannot make a community look accepted. A GetRequest of sysDescr.0 reads
//! one string: it changes nothing on the agent.

mod ber;
mod message;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::task::JoinSet;
use trustwatch_rules::observe::{
    IdentifiedBy, ServiceDetail, ServiceObservation, SnmpAnswer, SnmpDetail, Transport,
};

use self::message::{Version, SYS_DESCR};
use super::IdentifyOptions;

/// The longest wait for one answer: agents answer in milliseconds, and
/// UDP silence would otherwise cost a full io timeout per attempt.
const MAX_WAIT: Duration = Duration::from_secs(2);
/// The largest datagram read.
const MAX_DATAGRAM: usize = 4096;

/// Asks UDP `addr` for sysDescr.0 with each configured community (v2c,
/// then v1); `None` when nothing answers (UDP gives no "closed" for sure).
pub async fn identify_udp(addr: SocketAddr, opts: &IdentifyOptions) -> Option<ServiceObservation> {
    if opts.gentle {
        return None;
    }
    let wait = opts.io_timeout.min(MAX_WAIT);
    let mut attempts = JoinSet::new();
    let mut order = 0usize;
    for community in &opts.snmp_communities {
        for version in [Version::V2c, Version::V1] {
            let community = community.clone();
            attempts.spawn(async move {
                let answer = ask(addr, version, community.as_bytes(), wait).await;
                (order, version, community, answer)
            });
            order += 1;
        }
    }
    let mut answered = Vec::new();
    while let Some(joined) = attempts.join_next().await {
        if let Ok((order, version, community, Some(descr))) = joined {
            answered.push((
                order,
                SnmpAnswer {
                    version: version.name().to_owned(),
                    community,
                    sys_descr: descr,
                },
            ));
        }
    }
    if answered.is_empty() {
        return None;
    }
    // Report in the order asked (v2c before v1, communities as configured).
    answered.sort_by_key(|(order, _)| *order);
    let answered: Vec<SnmpAnswer> = answered.into_iter().map(|(_, a)| a).collect();
    let mut obs = ServiceObservation::open(addr.ip().to_string(), addr.port(), Transport::Udp);
    obs.service = Some("snmp".into());
    obs.identified_by = IdentifiedBy::Probe;
    if let Some(descr) = answered.iter().find_map(|a| a.sys_descr.as_deref()) {
        obs.banner = Some(descr.chars().take(200).collect());
        let (product, version) = product_version(descr);
        obs.product = product;
        obs.version = version;
    }
    obs.detail = ServiceDetail::Snmp(SnmpDetail { answered });
    Some(obs)
}

/// One GetRequest; `Some(sysDescr or None)` when a matching Response came.
async fn ask(
    addr: SocketAddr,
    version: Version,
    community: &[u8],
    wait: Duration,
) -> Option<Option<String>> {
    let local: SocketAddr = match addr.ip() {
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).await.ok()?;
    // A connected socket only receives datagrams from `addr`.
    socket.connect(addr).await.ok()?;
    let id = request_id();
    let request = message::get_request(version, community, id, &SYS_DESCR);
    socket.send(&request).await.ok()?;
    let deadline = tokio::time::Instant::now() + wait;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let n = match tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
            Ok(Ok(n)) => n,
            // ICMP port unreachable surfaces as an error: nothing there.
            Ok(Err(_)) | Err(_) => return None,
        };
        if let Ok(resp) = message::parse_response(&buf[..n]) {
            if resp.request_id == i64::from(id) && resp.community == community {
                return Some(resp.text.filter(|_| resp.error_status == 0));
            }
        }
    }
}

/// A positive request-id that differs between attempts.
fn request_id() -> i32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    (nanos.wrapping_mul(2_654_435_761).wrapping_add(n) & 0x7fff_ffff) as i32
}

/// Product and version when sysDescr states them plainly: Cisco IOS
/// (`… Version 15.2(4)E10, …`) and Windows (`… Software: Windows Version
/// 6.3 …`). A Linux kernel line names no product, so it stays in sysDescr.
fn product_version(descr: &str) -> (Option<String>, Option<String>) {
    let version_after = |marker: &str| {
        descr.split_once(marker).and_then(|(_, rest)| {
            rest.split([',', ' '])
                .next()
                .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
                .map(str::to_owned)
        })
    };
    if descr.starts_with("Cisco IOS") {
        let product = if descr.contains("IOS-XE") || descr.contains("IOS XE") {
            "Cisco IOS XE"
        } else {
            "Cisco IOS"
        };
        return (Some(product.into()), version_after("Version "));
    }
    if descr.contains("Software: Windows") {
        return (Some("Windows".into()), version_after("Windows Version "));
    }
    (None, None)
}

/// For [`super::parse`] (fuzzing and tests): whether `bytes` read as a
/// GetResponse, its sysDescr taken apart as identification does.
pub(super) fn parse_message(bytes: &[u8]) -> bool {
    let Ok(resp) = message::parse_response(bytes) else {
        return false;
    };
    if let Some(descr) = &resp.text {
        product_version(descr);
    }
    true
}

/// For [`super::parse`]: whether `bytes` start with a BER TLV, its value
/// read as an INTEGER and as an OBJECT IDENTIFIER.
pub(super) fn parse_ber(bytes: &[u8]) -> bool {
    let Ok((_, value, _)) = ber::read_tlv(bytes) else {
        return false;
    };
    let _ = ber::integer(value);
    let _ = ber::oid(value);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_from_sys_descr() {
        assert_eq!(
            product_version(
                "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 12.2(55)SE7, RELEASE SOFTWARE (fc1)"
            ),
            (Some("Cisco IOS".into()), Some("12.2(55)SE7".into()))
        );
        assert_eq!(
            product_version(
                "Hardware: Intel64 Family 6 Model 85 - Software: Windows Version 6.3 (Build 17763 Multiprocessor Free)"
            ),
            (Some("Windows".into()), Some("6.3".into()))
        );
        assert_eq!(
            product_version("Linux lab 6.1.0-25-amd64 #1 SMP PREEMPT_DYNAMIC x86_64"),
            (None, None)
        );
    }

    #[test]
    fn request_ids_are_positive_and_vary() {
        let a = request_id();
        let b = request_id();
        assert!(a >= 0 && b >= 0);
        assert_ne!(a, b);
    }
}
