//! snmp: placeholder until its module lands (issue 4, in progress).

use std::net::SocketAddr;

use trustwatch_rules::observe::ServiceObservation;

use super::IdentifyOptions;

/// Asks UDP `addr` for sysDescr.0 with each configured community (v2c,
/// then v1); `None` when nothing answers (UDP gives no "closed" for sure).
pub async fn identify_udp(addr: SocketAddr, opts: &IdentifyOptions) -> Option<ServiceObservation> {
    let _ = (addr, opts);
    None
}
