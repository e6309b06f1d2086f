//! The real `trustwatch-agent scan --hosts` against the real service lab
//! (`trustwatch-service-lab --layout well-known`: about twenty Debian
//! daemons and two silent ports on their usual ports), both inside one
//! network namespace this test creates (`unshare -n`, as root, `lo` only).
//!
//! The lab is started once for the whole file: one bash script starts it,
//! runs every scan (internal, external, two approved-services registers,
//! gentle) and stops it; the tests then judge the saved JSON reports
//! against the lab's manifest, which names the service on each port, the
//! real product and version, and the rules each service is planted to
//! fail. tcpdump records every client packet that carries bytes to a lab
//! port (or a datagram to SNMP) during the script, so the gentle scan can
//! be shown to send nothing.

#[path = "discovery_lab/judge.rs"]
mod judge;
#[path = "discovery_lab/runs.rs"]
mod runs;

use std::collections::BTreeSet;

use serde_json::Value;
use trustwatch_rules::evaluate::Exposure;
use trustwatch_rules::observe::{IdentifiedBy, ServiceDetail, Transport};
use trustwatch_rules::{Severity, Status};

use self::judge::{
    assert_exactly_the_planted_failures, assert_status, catalogue, evidence_ports,
    evidence_service, finding, lab, listing, same_product, service, transport,
};
use self::runs::runs;

/// Lab services whose product and installed version the agent must tell.
const VERSION_TOLD: &[&str] = &[
    "ssh",
    "ssh-weak",
    "ftp",
    "smtp",
    "http",
    "https",
    "http-admin",
    "dicom",
    "mysql",
    "redis",
    "memcached",
];
/// Lab services whose product the agent must name, but not the exact
/// version: Dovecot and slapd do not tell it, PostgreSQL only after a login
/// (the agent gives a release range), and VNC and HL7 only tell their
/// protocol's version (RFB 3.8, HL7 2.5), which is not the server's.
const PRODUCT_TOLD: &[&str] = &["pop3", "imap", "ldap", "postgresql", "hl7", "vnc"];
/// Lab services that speak first: gentle mode still names them by their
/// greeting. The others wait for the client and are named by port.
const SPEAKS_FIRST: &[&str] = &[
    "ssh", "ssh-weak", "ftp", "telnet", "smtp", "pop3", "imap", "mysql", "vnc",
];

#[test]
fn internal_scan_names_every_lab_service_with_product_and_version() {
    let runs = runs();
    let scan = runs.scan("internal");
    let report = &scan.report;
    assert_eq!(
        report.services.len(),
        runs.manifest.services.len(),
        "one inventory entry per lab port: {:#?}",
        report.services
    );
    for s in &runs.manifest.services {
        let obs = service(report, s.port, transport(s));
        assert_eq!(obs.host, runs.ip());
        assert_eq!(
            obs.service, s.service,
            "{} on {}: named {:?} ({:?}, {:?})",
            s.name, s.port, obs.service, obs.identified_by, obs.note
        );
        let Some(truth) = &s.service else {
            // A silent port: open, listed, nothing claimed about it.
            assert_eq!(obs.identified_by, IdentifiedBy::Unknown, "{obs:?}");
            assert_eq!((&obs.product, &obs.version), (&None, &None), "{obs:?}");
            continue;
        };
        assert_ne!(
            obs.identified_by,
            IdentifiedBy::Port,
            "{truth} on {} was only guessed from its port: {obs:?}",
            s.port
        );
        if let (Some(told), Some(real)) = (&obs.product, &s.product) {
            assert!(
                same_product(told, real),
                "{}: product {told:?}, but {real:?} answers",
                s.name
            );
        }
        let name = s.name.as_str();
        if VERSION_TOLD.contains(&name) || PRODUCT_TOLD.contains(&name) {
            assert!(obs.product.is_some(), "{name}: no product: {obs:?}");
        }
        if VERSION_TOLD.contains(&name) {
            assert!(s.version.is_some(), "the manifest has no version of {name}");
            assert_eq!(obs.version, s.version, "{name}: {obs:?}");
        }
    }
    // The facts the rules judge came from the wire.
    let smb = service(report, lab(runs, "smb").port, Transport::Tcp);
    let ServiceDetail::Smb(d) = &smb.detail else {
        panic!("no SMB detail: {smb:?}")
    };
    assert_eq!(
        (d.smb1_accepted, d.signing_required),
        (Some(true), Some(false)),
        "{d:?}"
    );
    let rdp = service(report, lab(runs, "rdp").port, Transport::Tcp);
    let ServiceDetail::Rdp(d) = &rdp.detail else {
        panic!("no RDP detail: {rdp:?}")
    };
    assert_eq!(
        (d.standard_security_accepted, d.nla_required),
        (Some(true), Some(false)),
        "{d:?}"
    );
    let dicom = service(report, lab(runs, "dicom").port, Transport::Tcp);
    let ServiceDetail::Dicom(d) = &dicom.detail else {
        panic!("no DICOM detail: {dicom:?}")
    };
    assert!(
        d.association == "accepted" && d.verification_accepted,
        "{d:?}"
    );
    let snmp = service(report, lab(runs, "snmp").port, Transport::Udp);
    let ServiceDetail::Snmp(d) = &snmp.detail else {
        panic!("no SNMP detail: {snmp:?}")
    };
    assert!(d.answered.iter().any(|a| a.community == "public"), "{d:?}");
}

#[test]
fn internal_scan_fails_the_planted_rules_at_internal_severity() {
    let runs = runs();
    let scan = runs.scan("internal");
    let report = &scan.report;
    // SVC-001 fails at high internally: the default --fail-on trips.
    assert_eq!(scan.exit, 1, "{}", listing(report));
    assert_exactly_the_planted_failures(runs, "internal", Exposure::Internal);

    let ip = runs.ip();
    let at = |name: &str| format!("{ip}:{}", lab(runs, name).port);
    let telnet = finding(report, "SVC-001", &ip);
    assert_eq!(telnet.severity, Severity::High);
    assert!(
        evidence_ports(telnet).contains(&23),
        "{:?}",
        telnet.evidence
    );

    // The lab's vsftpd has no TLS: no AUTH TLS in FEAT, so SVC-002 fails
    // on it (as on Dovecot without STLS/STARTTLS and slapd without StartTLS).
    let ftp = lab(runs, "ftp");
    assert!(ftp.planted.iter().any(|r| r == "SVC-002"), "{ftp:?}");
    let cleartext = finding(report, "SVC-002", &ip);
    let entry = evidence_service(cleartext, ftp.port);
    assert_eq!(entry["starttls_offered"], false, "{entry}");
    assert_eq!(entry["verdict"], "AUTH TLS not offered", "{entry}");

    assert!(evidence_ports(finding(report, "SVC-006", &ip)).contains(&lab(runs, "vnc").port));

    // SSH: the weak sshd fails on the algorithms it offers and its key.
    assert_status(report, "SSH-001", &at("ssh"), Status::Pass);
    assert_status(report, "SSH-002", &at("ssh"), Status::Pass);
    assert_status(report, "SSH-003", &at("ssh"), Status::Pass);
    let weak = finding(report, "SSH-002", &at("ssh-weak"));
    assert_eq!(weak.status, Status::Fail);
    for (key, algorithm) in [
        ("weak_kex", "diffie-hellman-group1-sha1"),
        ("weak_ciphers", "3des-cbc"),
        ("weak_ciphers", "aes128-cbc"),
        ("weak_macs", "hmac-md5"),
    ] {
        let listed = weak.evidence.get(key).and_then(Value::as_array);
        assert!(
            listed.is_some_and(|l| l.iter().any(|a| a == algorithm)),
            "SSH-002 {key} lacks {algorithm}: {:?}",
            weak.evidence
        );
    }
    let key = finding(report, "SSH-003", &at("ssh-weak"));
    assert_eq!(key.status, Status::Fail);
    assert_eq!(
        key.evidence.get("host_key").map(|k| &k["bits"]),
        Some(&Value::from(1024))
    );

    for (rule, name) in [
        ("SMB-001", "smb"),
        ("SMB-002", "smb"),
        ("RDP-001", "rdp"),
        ("RDP-002", "rdp"),
        ("SNMP-001", "snmp"),
        ("SNMP-002", "snmp"),
        ("HTTP-006", "http"),
    ] {
        assert_status(report, rule, &at(name), Status::Fail);
    }
    // Not a default page: the admin fixture (HTTP-007 is external only).
    assert_status(report, "HTTP-006", &at("http-admin"), Status::Pass);
    // Internet-facing rules do not run from inside, nor SVC-009 without a
    // register.
    for rule in [
        "SVC-003", "SVC-004", "SVC-005", "SVC-007", "SVC-008", "SVC-009", "HTTP-007",
    ] {
        assert!(
            report.findings.iter().all(|f| f.rule_id != rule),
            "{rule} in an internal scan:\n{}",
            listing(report)
        );
    }
}

#[test]
fn external_scan_fails_the_internet_facing_rules_at_external_severity() {
    let runs = runs();
    let scan = runs.scan("external");
    let report = &scan.report;
    assert_eq!(scan.exit, 1, "{}", listing(report));
    assert_exactly_the_planted_failures(runs, "external", Exposure::External);

    let ip = runs.ip();
    let ports_of =
        |names: &[&str]| -> BTreeSet<u16> { names.iter().map(|n| lab(runs, n).port).collect() };
    for (rule, names) in [
        ("SVC-003", &["rdp"][..]),
        ("SVC-004", &["smb"][..]),
        (
            "SVC-005",
            &["postgresql", "mysql", "redis", "memcached"][..],
        ),
        ("SVC-008", &["dicom", "hl7"][..]),
    ] {
        let f = finding(report, rule, &ip);
        assert_eq!(f.status, Status::Fail, "{rule}: {}", f.summary);
        assert_eq!(f.severity, Severity::Critical, "{rule}");
        assert_eq!(
            evidence_ports(f),
            ports_of(names),
            "{rule}: {:?}",
            f.evidence
        );
    }
    // The DICOM association is in SVC-008's evidence.
    let clinical = finding(report, "SVC-008", &ip);
    let dicom = evidence_service(clinical, lab(runs, "dicom").port);
    assert_eq!(dicom["association"], "accepted", "{dicom}");
    assert_eq!(dicom["verification_accepted"], true, "{dicom}");

    // Telnet is critical from outside, high from inside.
    assert_eq!(finding(report, "SVC-001", &ip).severity, Severity::Critical);
    assert_eq!(finding(report, "SVC-002", &ip).severity, Severity::High);
    assert_status(report, "SVC-007", &ip, Status::Pass);

    let admin = finding(
        report,
        "HTTP-007",
        &format!("{ip}:{}", lab(runs, "http-admin").port),
    );
    assert_eq!(admin.status, Status::Fail, "{}", admin.summary);
    assert_eq!(
        admin.evidence.get("admin_interface"),
        Some(&Value::from("phpMyAdmin"))
    );
    assert_status(
        report,
        "HTTP-007",
        &format!("{ip}:{}", lab(runs, "http").port),
        Status::Pass,
    );
    // SMB-*, RDP-* and SNMP-002 are internal rules.
    for rule in ["SMB-001", "SMB-002", "RDP-001", "RDP-002", "SNMP-002"] {
        assert!(
            report.findings.iter().all(|f| f.rule_id != rule),
            "{rule} in an external scan:\n{}",
            listing(report)
        );
    }
}

#[test]
fn approved_register_fails_unapproved_ports_and_passes_a_complete_one() {
    let runs = runs();
    let ip = runs.ip();
    let severity = catalogue()
        .rule("SVC-009")
        .map(|r| Exposure::Internal.severity(r))
        .expect("SVC-009 in the catalogue");

    let some = &runs.scan("approved-some").report;
    let f = finding(some, "SVC-009", &ip);
    assert_eq!(f.status, Status::Fail, "{}", f.summary);
    assert_eq!(f.severity, severity);
    let unapproved: BTreeSet<u16> = runs
        .manifest
        .services
        .iter()
        .map(|s| s.port)
        .filter(|p| ![22, 80].contains(p))
        .collect();
    assert_eq!(evidence_ports(f), unapproved, "{}", f.summary);
    let wrong = evidence_service(f, lab(runs, "ssh-weak").port);
    assert_eq!(
        wrong["reason"], "approved for http only, found ssh",
        "{wrong}"
    );
    let missing = evidence_service(f, lab(runs, "telnet").port);
    assert_eq!(missing["reason"], "no register entry", "{missing}");
    let approved = f.evidence.get("approved").and_then(Value::as_array);
    assert_eq!(
        approved.map(|a| a.iter().map(|s| s["port"].clone()).collect::<Vec<_>>()),
        Some(vec![Value::from(22), Value::from(80)]),
        "{:?}",
        f.evidence
    );

    let all = &runs.scan("approved-all").report;
    let f = finding(all, "SVC-009", &ip);
    assert_eq!(f.status, Status::Pass, "{} {:?}", f.summary, f.evidence);
    assert_eq!(
        f.evidence.get("open_ports"),
        Some(&Value::from(runs.manifest.services.len())),
        "{:?}",
        f.evidence
    );
    // Without a register SVC-009 is not evaluated at all.
    for name in ["internal", "external", "gentle"] {
        let report = &runs.scan(name).report;
        assert!(
            report.findings.iter().all(|f| f.rule_id != "SVC-009"),
            "{name}: SVC-009 without a register"
        );
    }
}

#[test]
fn gentle_scan_names_services_from_greetings_and_ports_and_sends_nothing() {
    let runs = runs();
    let gentle = runs.scan("gentle");
    let report = &gentle.report;
    // Telnet on 23 is still a high failure.
    assert_eq!(gentle.exit, 1, "{}", listing(report));
    for s in &runs.manifest.services {
        if transport(s) == Transport::Udp {
            // SNMP needs a request: gentle mode sends none.
            assert!(
                report
                    .services
                    .iter()
                    .all(|o| o.transport != Transport::Udp),
                "a UDP service in a gentle scan: {:?}",
                report.services
            );
            continue;
        }
        let obs = service(report, s.port, Transport::Tcp);
        assert_eq!(obs.service, s.service, "{}: {obs:?}", s.name);
        let by = if s.service.is_none() {
            IdentifiedBy::Unknown
        } else if SPEAKS_FIRST.contains(&s.name.as_str()) {
            IdentifiedBy::Banner
        } else {
            IdentifiedBy::Port
        };
        assert_eq!(obs.identified_by, by, "{}: {obs:?}", s.name);
    }
    // No KEXINIT: the SSH rules that need it cannot be judged.
    let ip = runs.ip();
    for name in ["ssh", "ssh-weak"] {
        let port = lab(runs, name).port;
        let obs = service(report, port, Transport::Tcp);
        let ServiceDetail::Ssh(d) = &obs.detail else {
            panic!("no SSH detail from the greeting: {obs:?}")
        };
        assert!(d.kex_algorithms.is_empty() && d.host_key.is_none(), "{d:?}");
        assert_eq!(obs.product.as_deref(), Some("OpenSSH"), "{obs:?}");
        for rule in ["SSH-002", "SSH-003"] {
            assert_status(report, rule, &format!("{ip}:{port}"), Status::Error);
        }
    }
    for (rule, name) in [("SMB-001", "smb"), ("RDP-001", "rdp"), ("HTTP-006", "http")] {
        assert_status(
            report,
            rule,
            &format!("{ip}:{}", lab(runs, name).port),
            Status::Error,
        );
    }
    assert!(
        report
            .findings
            .iter()
            .all(|f| !f.rule_id.starts_with("SNMP-")),
        "{}",
        listing(report)
    );

    // On the wire: not one byte from the agent to a lab port, nor a
    // datagram to SNMP, while the gentle scan ran; the same capture saw
    // the internal scan's probes, so it was watching.
    let sent = runs.bytes_during(gentle);
    assert!(
        sent.is_empty(),
        "the gentle scan sent data:\n{}",
        sent.join("\n")
    );
    let internal = runs.scan("internal");
    assert!(
        runs.bytes_during(internal).len() >= 10,
        "the capture saw no probes of the internal scan: {:?}",
        runs.client_bytes
    );
    // One connection at a time with pauses: slower, but it finishes.
    assert!(
        gentle.secs() > internal.secs(),
        "gentle {:.1} s, internal {:.1} s",
        gentle.secs(),
        internal.secs()
    );
}
