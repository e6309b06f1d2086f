//! SNMP through the real agent: `scan --ports U:PORT` alone (no TCP port
//! swept) still asks every address in scope, and finds net-snmp's snmpd
//! answering the `public` community, failing SNMP-001 and SNMP-002.

use std::net::Ipv4Addr;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use trustwatch_e2e::process::{binary, run_bounded};
use trustwatch_e2e::svclab::snmpd;

#[test]
fn a_udp_only_port_list_finds_snmp_with_the_public_community() {
    let dir = tempfile::tempdir().unwrap();
    // A free UDP port on loopback.
    let port = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _snmpd = snmpd::start(
        dir.path(),
        Ipv4Addr::LOCALHOST,
        port,
        snmpd::Access::PublicCommunity,
    );
    let out = run_bounded(
        Command::new(binary("trustwatch-agent")).args([
            "scan",
            "--hosts",
            "127.0.0.1",
            "--ports",
            &format!("U:{port}"),
            "--format",
            "json",
        ]),
        Duration::from_secs(30),
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let services = report["services"].as_array().expect("services");
    assert_eq!(services.len(), 1, "{report:#}");
    assert_eq!(services[0]["transport"], "udp");
    assert_eq!(services[0]["service"], "snmp");
    for rule in ["SNMP-001", "SNMP-002"] {
        let f = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == rule)
            .unwrap_or_else(|| panic!("no {rule} finding: {report:#}"));
        assert_eq!(f["status"], "fail", "{f:#}");
    }
}
