//! Reading a scan's report against the lab's manifest and the catalogue.

use std::collections::BTreeSet;

use serde_json::Value;
use trustwatch_e2e::svclab::lab::LabService;
use trustwatch_rules::evaluate::{Exposure, SERVICE_RULES};
use trustwatch_rules::observe::{ServiceObservation, Transport};
use trustwatch_rules::{Catalogue, Finding, Report, Status};

use super::runs::Runs;

pub fn catalogue() -> Catalogue {
    Catalogue::embedded().expect("embedded catalogue")
}

/// The report, one line a finding, for failure messages.
pub fn listing(report: &Report) -> String {
    report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {:?} {} {} {}",
                f.rule_id,
                f.status,
                f.severity.as_str(),
                f.target,
                f.summary
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn finding<'a>(report: &'a Report, rule: &str, target: &str) -> &'a Finding {
    let found: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule_id == rule && f.target == target)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {rule} finding for {target}:\n{}",
        listing(report)
    );
    found[0]
}

pub fn assert_status(report: &Report, rule: &str, target: &str, status: Status) {
    let f = finding(report, rule, target);
    assert_eq!(
        f.status,
        status,
        "{rule} on {target}: {} {:?}\n{}",
        f.summary,
        f.evidence,
        listing(report)
    );
}

pub fn service(report: &Report, port: u16, transport: Transport) -> &ServiceObservation {
    report
        .services
        .iter()
        .find(|s| s.port == port && s.transport == transport)
        .unwrap_or_else(|| {
            panic!(
                "{port}/{} not in the inventory: {:?}",
                transport.as_str(),
                report
                    .services
                    .iter()
                    .map(|s| format!("{}/{}", s.port, s.transport.as_str()))
                    .collect::<Vec<_>>()
            )
        })
}

pub fn transport(s: &LabService) -> Transport {
    match s.transport.as_str() {
        "udp" => Transport::Udp,
        _ => Transport::Tcp,
    }
}

pub fn lab<'a>(runs: &'a Runs, name: &str) -> &'a LabService {
    runs.manifest
        .services
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no lab service {name} in the manifest"))
}

/// The `ports` list of a host-level finding's evidence.
pub fn evidence_ports(f: &Finding) -> BTreeSet<u16> {
    f.evidence
        .get("ports")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_u64().and_then(|p| u16::try_from(p).ok()))
                .collect()
        })
        .unwrap_or_default()
}

/// The evidence entry for `port` in a host-level finding's `services`.
pub fn evidence_service(f: &Finding, port: u16) -> &Value {
    f.evidence
        .get("services")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|s| s["port"] == port))
        .unwrap_or_else(|| panic!("{} lists no service on {port}: {:?}", f.rule_id, f.evidence))
}

/// (rule, target) of every failed finding.
pub fn failures(report: &Report) -> BTreeSet<(String, String)> {
    report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| (f.rule_id.clone(), f.target.clone()))
        .collect()
}

/// Host-level rules target the address; per-service rules `host:port`.
pub fn target_of(rule: &str, ip: &str, port: u16) -> String {
    if rule.starts_with("SVC-") {
        ip.to_owned()
    } else {
        format!("{ip}:{port}")
    }
}

/// (rule, target) of every rule the manifest plants that runs at `exposure`.
pub fn planted(runs: &Runs, exposure: Exposure) -> BTreeSet<(String, String)> {
    let cat = catalogue();
    let ip = runs.ip();
    runs.manifest
        .services
        .iter()
        .flat_map(|s| s.planted.iter().map(move |r| (s, r)))
        .filter(|(_, rule)| {
            cat.rule(rule)
                .unwrap_or_else(|| panic!("planted rule {rule} is not in the catalogue"))
                .modes
                .contains(&exposure.mode())
        })
        .map(|(s, rule)| (rule.clone(), target_of(rule, &ip, s.port)))
        .collect()
}

/// The planted rules fail, and nothing else does; a host-level failure
/// lists every planted port; every severity is the catalogue's at this
/// exposure.
pub fn assert_exactly_the_planted_failures(runs: &Runs, scan: &str, exposure: Exposure) {
    let report = &runs.scan(scan).report;
    assert_eq!(
        failures(report),
        planted(runs, exposure),
        "{scan}: failures differ from the manifest's planted rules\n{}",
        listing(report)
    );
    let ip = runs.ip();
    for s in &runs.manifest.services {
        for rule in s.planted.iter().filter(|r| r.starts_with("SVC-")) {
            if let Some(f) = report
                .findings
                .iter()
                .find(|f| &f.rule_id == rule && f.target == ip)
            {
                assert!(
                    evidence_ports(f).contains(&s.port),
                    "{scan}: {rule} does not list {} ({}): {:?}",
                    s.port,
                    s.name,
                    f.evidence
                );
            }
        }
    }
    let cat = catalogue();
    for f in &report.findings {
        assert!(
            SERVICE_RULES.contains(&f.rule_id.as_str()),
            "{scan}: {} is not a discovery rule",
            f.rule_id
        );
        let rule = cat.rule(&f.rule_id).expect("a catalogue rule");
        assert!(
            rule.modes.contains(&exposure.mode()),
            "{scan}: {} does not run {exposure}ly",
            f.rule_id
        );
        assert_eq!(
            f.severity,
            exposure.severity(rule),
            "{scan}: {} on {} has the wrong severity",
            f.rule_id,
            f.target
        );
    }
}

/// Product names compared without case, either way round (`DCMTK` for
/// the manifest's `DCMTK storescp`, `VNC` for `TigerVNC`).
pub fn same_product(told: &str, truth: &str) -> bool {
    let (a, b) = (told.to_lowercase(), truth.to_lowercase());
    a.contains(&b) || b.contains(&a)
}
