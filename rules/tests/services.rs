//! The discovery-scan evaluator on hand-made observations: each rule's
//! pass, fail and error, exposure filtering, severity, order, a trimmed
//! catalogue; the register's parser in `services/register.rs`; a property
//! test in `services/props.rs`.

#[path = "services/props.rs"]
mod props;
#[path = "services/register.rs"]
mod register;

use std::fs;
use std::path::Path;

use serde_json::json;
use trustwatch_rules::evaluate::{self, Exposure, ServiceScan, SERVICE_RULES};
use trustwatch_rules::observe::{
    ApprovedService, CleartextDetail, DicomDetail, HttpDetail, IdentifiedBy, RdpDetail,
    ServiceDetail, ServiceObservation, ServiceRegister, SmbDetail, SnmpAnswer, SnmpDetail,
    SshDetail, SshHostKey, Transport,
};
use trustwatch_rules::{Catalogue, Finding, Severity, Status};

const H: &str = "10.0.0.5";

fn svc(port: u16, service: &str) -> ServiceObservation {
    svc_on(H, port, service)
}

fn svc_on(host: &str, port: u16, service: &str) -> ServiceObservation {
    let mut o = ServiceObservation::open(host, port, Transport::Tcp);
    if !service.is_empty() {
        o.service = Some(service.into());
        o.identified_by = IdentifiedBy::Probe;
    }
    o
}

fn with(mut o: ServiceObservation, detail: ServiceDetail) -> ServiceObservation {
    o.detail = detail;
    o
}

fn run_with(
    cat: &Catalogue,
    services: &[ServiceObservation],
    exposure: Exposure,
    register: Option<&ServiceRegister>,
) -> Vec<Finding> {
    evaluate::services(
        cat,
        &ServiceScan {
            services,
            exposure,
            register,
        },
    )
}

fn run(services: &[ServiceObservation], exposure: Exposure) -> Vec<Finding> {
    run_with(&Catalogue::embedded().unwrap(), services, exposure, None)
}

fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule_id == rule).collect()
}

/// The single finding for `rule`.
fn one(findings: &[Finding], rule: &str) -> Finding {
    let found = of(findings, rule);
    assert_eq!(found.len(), 1, "{rule}: {found:#?}");
    found[0].clone()
}

fn ssh(detail: SshDetail) -> ServiceObservation {
    with(svc(22, "ssh"), ServiceDetail::Ssh(detail))
}

fn modern_ssh() -> SshDetail {
    SshDetail {
        protocol: "2.0".into(),
        software: "OpenSSH_9.2p1 Debian-2+deb12u3".into(),
        kex_algorithms: vec![
            "curve25519-sha256".into(),
            "diffie-hellman-group14-sha1".into(),
        ],
        host_key_algorithms: vec!["rsa-sha2-512".into(), "ssh-ed25519".into()],
        ciphers: vec!["chacha20-poly1305@openssh.com".into(), "aes128-ctr".into()],
        macs: vec!["hmac-sha2-256-etm@openssh.com".into()],
        host_key: Some(SshHostKey {
            key_type: "ssh-rsa".into(),
            bits: 3072,
        }),
    }
}

#[test]
fn telnet_fails_on_port_23_whatever_answers_and_wherever_identified() {
    let findings = run(
        &[svc(23, "ssh"), svc(2323, "telnet"), svc(22, "ssh")],
        Exposure::External,
    );
    let f = one(&findings, "SVC-001");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.target, H);
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.evidence.get("ports"), Some(&json!([23, 2323])));
    assert_eq!(f.evidence.get("open_ports"), Some(&json!(3)));
    let services = f.evidence.get("services").unwrap();
    assert_eq!(services[0]["reason"], "port 23/tcp open");
    assert_eq!(services[1]["reason"], "identified as telnet");
    assert_eq!(services[1]["transport"], "tcp");

    let findings = run(&[svc(22, "ssh")], Exposure::Internal);
    let f = one(&findings, "SVC-001");
    assert_eq!(f.status, Status::Pass);
    assert_eq!(f.severity, Severity::High, "internal severity");
    assert_eq!(f.evidence.get("checked_ports"), Some(&json!(["23/tcp"])));
    assert_eq!(f.evidence.get("open_ports"), Some(&json!(1)));
}

fn cleartext(
    port: u16,
    name: &str,
    offered: Option<bool>,
    disabled: Option<bool>,
) -> ServiceObservation {
    with(
        svc(port, name),
        ServiceDetail::Cleartext(CleartextDetail {
            starttls_offered: offered,
            login_disabled_before_tls: disabled,
        }),
    )
}

#[test]
fn cleartext_logins_fail_without_a_tls_upgrade_or_with_login_before_tls() {
    let svc002 =
        |services: &[ServiceObservation]| one(&run(services, Exposure::Internal), "SVC-002");

    let f = svc002(&[cleartext(21, "ftp", Some(false), None)]);
    assert_eq!((f.status, f.severity), (Status::Fail, Severity::Medium));
    assert!(f.summary.contains("AUTH TLS not offered"), "{}", f.summary);
    assert_eq!(f.evidence.get("ports"), Some(&json!([21])));

    let f = svc002(&[cleartext(143, "imap", Some(true), Some(true))]);
    assert_eq!(f.status, Status::Pass, "{f:#?}");
    assert_eq!(f.evidence.get("upgraded").unwrap()[0]["tls_required"], true);

    // IMAP without LOGINDISABLED accepts LOGIN in clear (RFC 3501).
    let f = svc002(&[cleartext(143, "imap", Some(true), Some(false))]);
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.summary.contains("login accepted before TLS"),
        "{}",
        f.summary
    );
    let f = svc002(&[cleartext(143, "imap", Some(true), None)]);
    assert_eq!(f.status, Status::Error);

    // LDAP cannot say whether StartTLS is required without a bind.
    let f = svc002(&[cleartext(389, "ldap", Some(true), None)]);
    assert_eq!(f.status, Status::Pass);
    assert_eq!(
        f.evidence.get("upgraded").unwrap()[0]["tls_required"],
        "not observable"
    );

    // Capabilities not read: an error, unless something else fails.
    let mut pop3 = svc(110, "pop3");
    pop3.identified_by = IdentifiedBy::Port;
    pop3.note = Some("gentle mode: banner only".into());
    let f = svc002(std::slice::from_ref(&pop3));
    assert_eq!(f.status, Status::Error);
    assert!(f.summary.contains("gentle mode"), "{}", f.summary);
    assert!(f.evidence.get("unassessed").is_some());
    let f = svc002(&[pop3.clone(), svc(514, "")]);
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.evidence.get("ports"), Some(&json!([514])));
    assert!(f.evidence.get("unassessed").is_some());

    let mut tftp = ServiceObservation::open(H, 69, Transport::Udp);
    tftp.identified_by = IdentifiedBy::Port;
    assert_eq!(svc002(&[tftp]).status, Status::Fail);
    assert_eq!(
        svc002(&[svc(69, "")]).status,
        Status::Pass,
        "TCP 69 is not TFTP"
    );
    assert_eq!(svc002(&[svc(25, "smtp")]).status, Status::Pass);
}

#[test]
fn internet_only_rules_are_skipped_internally() {
    let services = [
        svc(3389, "rdp"),
        svc(445, "smb"),
        svc(6379, "redis"),
        svc(104, "dicom"),
        svc(16992, "http"),
    ];
    let internal = run(&services, Exposure::Internal);
    for id in [
        "SVC-003", "SVC-004", "SVC-005", "SVC-007", "SVC-008", "HTTP-007",
    ] {
        assert!(of(&internal, id).is_empty(), "{id} ran internally");
    }
    let external = run(&services, Exposure::External);
    for id in ["SVC-003", "SVC-004", "SVC-005", "SVC-007", "SVC-008"] {
        let f = one(&external, id);
        assert_eq!(f.status, Status::Fail, "{id}");
        assert_eq!(f.severity, external_severity(id), "{id}");
    }
    for id in ["SMB-001", "SMB-002", "RDP-001", "RDP-002", "SNMP-002"] {
        assert!(of(&external, id).is_empty(), "{id} ran externally");
    }
}

fn external_severity(id: &str) -> Severity {
    Catalogue::embedded().unwrap().rule(id).unwrap().severity
}

#[test]
fn a_port_positively_identified_as_something_else_is_not_that_service() {
    let mut ssh_on_rdp = svc(3389, "ssh");
    ssh_on_rdp.identified_by = IdentifiedBy::Banner;
    let findings = run(&[ssh_on_rdp.clone(), svc(3306, "")], Exposure::External);
    assert_eq!(one(&findings, "SVC-003").status, Status::Pass);
    let f = one(&findings, "SVC-005");
    assert_eq!(f.status, Status::Fail, "an unidentified 3306 counts");
    assert_eq!(f.evidence.get("ports"), Some(&json!([3306])));
    // Guessed from the port only: still counts.
    ssh_on_rdp.identified_by = IdentifiedBy::Port;
    assert_eq!(
        one(&run(&[ssh_on_rdp], Exposure::External), "SVC-003").status,
        Status::Fail
    );
    // SMB's pass condition is about the ports themselves.
    let mut http_on_445 = svc(445, "http");
    http_on_445.identified_by = IdentifiedBy::Probe;
    assert_eq!(
        one(&run(&[http_on_445], Exposure::External), "SVC-004").status,
        Status::Fail
    );
}

#[test]
fn data_stores_by_name_product_or_port() {
    let mut maria = svc(3307, "");
    maria.product = Some("MariaDB".into());
    let findings = run(
        &[svc(8080, "elasticsearch"), maria, svc(443, "https")],
        Exposure::External,
    );
    let f = one(&findings, "SVC-005");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.evidence.get("ports"), Some(&json!([8080, 3307])));
    assert!(f.summary.contains("data store reachable"), "{}", f.summary);
    let pass = run(&[svc(443, "https")], Exposure::External);
    assert_eq!(one(&pass, "SVC-005").status, Status::Pass);
}

#[test]
fn remote_control_fails_internally_at_one_level_lower() {
    let findings = run(&[svc(5901, "vnc"), svc(6000, "")], Exposure::Internal);
    let f = one(&findings, "SVC-006");
    assert_eq!((f.status, f.severity), (Status::Fail, Severity::Medium));
    assert_eq!(f.evidence.get("ports"), Some(&json!([5901, 6000])));
    let f = one(&run(&[svc(5901, "vnc")], Exposure::External), "SVC-006");
    assert_eq!(f.severity, Severity::High);
}

#[test]
fn out_of_band_management_and_clinical_endpoints() {
    let ipmi = {
        let mut o = ServiceObservation::open(H, 623, Transport::Udp);
        o.identified_by = IdentifiedBy::Port;
        o
    };
    let idrac = with(
        svc(443, "https"),
        ServiceDetail::Http(HttpDetail {
            status: 200,
            admin_interface: Some("Dell iDRAC".into()),
            ..HttpDetail::default()
        }),
    );
    let findings = run(&[ipmi, idrac], Exposure::External);
    let f = one(&findings, "SVC-007");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.evidence.get("ports"), Some(&json!([623, 443])));
    assert_eq!(
        f.evidence.get("services").unwrap()[1]["admin_interface"],
        "Dell iDRAC"
    );

    let dicom = with(
        svc(11112, "dicom"),
        ServiceDetail::Dicom(DicomDetail {
            calling_ae_title: "TRUSTWATCH".into(),
            called_ae_title: "ANY-SCP".into(),
            association: "accepted".into(),
            verification_accepted: true,
            reject_reason: None,
            implementation: None,
        }),
    );
    let findings = run(&[dicom, svc(2575, "")], Exposure::External);
    let f = one(&findings, "SVC-008");
    assert_eq!((f.status, f.severity), (Status::Fail, Severity::Critical));
    let services = f.evidence.get("services").unwrap();
    assert_eq!(services[0]["association"], "accepted");
    assert_eq!(services[0]["verification_accepted"], true);
    assert_eq!(services[1]["reason"], "port 2575/tcp open");
}

fn register(entries: &[(&str, u16, Transport, Option<&str>)]) -> ServiceRegister {
    ServiceRegister {
        approved: entries
            .iter()
            .map(|(host, port, transport, service)| ApprovedService {
                host: (*host).into(),
                port: *port,
                transport: *transport,
                service: service.map(Into::into),
                note: Some("approved".into()),
            })
            .collect(),
    }
}

#[test]
fn unapproved_services_fail_against_the_register() {
    let cat = Catalogue::embedded().unwrap();
    let services = [
        svc(22, "ssh"),
        svc(80, "http"),
        svc_on("10.9.0.1", 22, "ssh"),
    ];
    assert!(
        of(&run(&services, Exposure::Internal), "SVC-009").is_empty(),
        "no register, no rule"
    );

    let reg = register(&[
        ("10.0.0.0/24", 22, Transport::Tcp, Some("ssh")),
        ("*", 80, Transport::Tcp, Some("ssh")),
        ("10.9.0.1", 22, Transport::Tcp, None),
    ]);
    let findings = run_with(&cat, &services, Exposure::Internal, Some(&reg));
    let all = of(&findings, "SVC-009");
    assert_eq!(all.len(), 2, "one per host");
    assert_eq!((all[0].target.as_str(), all[0].status), (H, Status::Fail));
    assert_eq!(all[0].severity, Severity::Low, "medium, one lower inside");
    assert_eq!(all[0].evidence.get("ports"), Some(&json!([80])));
    assert!(
        all[0].summary.contains("approved for ssh only, found http"),
        "{}",
        all[0].summary
    );
    assert_eq!(
        (all[1].target.as_str(), all[1].status),
        ("10.9.0.1", Status::Pass)
    );
    assert_eq!(
        all[1].evidence.get("approved").unwrap()[0]["note"],
        "approved"
    );

    // Transport matters.
    let reg = register(&[("*", 161, Transport::Tcp, None)]);
    let snmp = ServiceObservation::open(H, 161, Transport::Udp);
    let f = run_with(&cat, &[snmp], Exposure::External, Some(&reg));
    let f = one(&f, "SVC-009");
    assert_eq!(f.status, Status::Fail);
    assert!(f.summary.contains("no register entry"), "{}", f.summary);
}

#[test]
fn ssh_rules_per_service() {
    let findings = run(&[ssh(modern_ssh())], Exposure::External);
    for id in ["SSH-001", "SSH-002", "SSH-003"] {
        let f = one(&findings, id);
        assert_eq!(f.status, Status::Pass, "{f:#?}");
        assert_eq!(f.target, "10.0.0.5:22");
    }

    let mut old = svc(2222, "ssh");
    old.banner = Some("SSH-1.99-OpenSSH_3.9p1".into());
    let f = one(&run(&[old], Exposure::External), "SSH-001");
    assert_eq!((f.status, f.severity), (Status::Fail, Severity::Critical));
    assert_eq!(f.evidence.get("protocol"), Some(&json!("1.99")));

    let weak = SshDetail {
        kex_algorithms: vec![
            "curve25519-sha256".into(),
            "diffie-hellman-group1-sha1".into(),
        ],
        ciphers: vec!["aes128-ctr".into(), "aes128-cbc".into(), "arcfour".into()],
        macs: vec!["hmac-sha2-256".into(), "hmac-md5-96".into()],
        ..modern_ssh()
    };
    let f = one(&run(&[ssh(weak)], Exposure::Internal), "SSH-002");
    assert_eq!((f.status, f.severity), (Status::Fail, Severity::Low));
    assert_eq!(
        f.evidence.get("weak_kex"),
        Some(&json!(["diffie-hellman-group1-sha1"]))
    );
    assert_eq!(
        f.evidence.get("weak_ciphers"),
        Some(&json!(["aes128-cbc", "arcfour"]))
    );
    assert_eq!(f.evidence.get("weak_macs"), Some(&json!(["hmac-md5-96"])));

    // Banner only (gentle mode): SSH-001 from the banner, the others error.
    let mut gentle = svc(22, "ssh");
    gentle.identified_by = IdentifiedBy::Banner;
    gentle.banner = Some("SSH-2.0-OpenSSH_9.2p1".into());
    gentle.note = Some("gentle mode: nothing sent".into());
    let findings = run(&[gentle], Exposure::External);
    assert_eq!(one(&findings, "SSH-001").status, Status::Pass);
    for id in ["SSH-002", "SSH-003"] {
        let f = one(&findings, id);
        assert_eq!(f.status, Status::Error);
        assert!(
            f.summary.contains("KEXINIT not read: gentle mode"),
            "{}",
            f.summary
        );
        assert!(f.evidence.get("error").is_some());
    }
    let f = one(&run(&[svc(22, "ssh")], Exposure::External), "SSH-001");
    assert_eq!(f.status, Status::Error);
}

#[test]
fn ssh_host_keys() {
    let judge = |d: SshDetail| one(&run(&[ssh(d)], Exposure::External), "SSH-003");
    let dss = SshDetail {
        host_key_algorithms: vec!["ssh-ed25519".into(), "ssh-dss".into()],
        host_key: Some(SshHostKey {
            key_type: "ssh-ed25519".into(),
            bits: 256,
        }),
        ..modern_ssh()
    };
    let f = judge(dss);
    assert_eq!(f.status, Status::Fail);
    assert!(f.summary.contains("ssh-dss offered"), "{}", f.summary);

    let small = SshDetail {
        host_key: Some(SshHostKey {
            key_type: "ssh-rsa".into(),
            bits: 1024,
        }),
        ..modern_ssh()
    };
    let f = judge(small);
    assert_eq!(f.status, Status::Fail);
    assert!(f.summary.contains("1024 bits"), "{}", f.summary);

    // RSA offered, but the exchange proved an Ed25519 key: size unknown.
    let unseen = SshDetail {
        host_key: Some(SshHostKey {
            key_type: "ssh-ed25519".into(),
            bits: 256,
        }),
        ..modern_ssh()
    };
    assert_eq!(judge(unseen).status, Status::Error);

    let ed_only = SshDetail {
        host_key_algorithms: vec!["ssh-ed25519".into()],
        host_key: None,
        ..modern_ssh()
    };
    assert_eq!(judge(ed_only).status, Status::Pass);
}

fn smb(d: SmbDetail) -> ServiceObservation {
    with(svc(445, "smb"), ServiceDetail::Smb(d))
}

#[test]
fn smb_and_rdp_facts() {
    let findings = run(
        &[smb(SmbDetail {
            smb1_accepted: Some(true),
            smb2_dialect: Some("3.1.1".into()),
            signing_required: Some(false),
        })],
        Exposure::Internal,
    );
    let f = one(&findings, "SMB-001");
    assert_eq!((f.status, f.severity), (Status::Fail, Severity::Critical));
    assert_eq!(f.target, "10.0.0.5:445");
    let f = one(&findings, "SMB-002");
    assert_eq!((f.status, f.severity), (Status::Fail, Severity::Medium));

    let findings = run(
        &[
            svc(88, "kerberos"),
            svc(389, "ldap"),
            smb(SmbDetail {
                smb1_accepted: Some(false),
                smb2_dialect: None,
                signing_required: Some(false),
            }),
        ],
        Exposure::Internal,
    );
    assert_eq!(one(&findings, "SMB-001").status, Status::Pass);
    let f = one(&findings, "SMB-002");
    assert_eq!(
        (f.status, f.severity),
        (Status::Fail, Severity::High),
        "domain controller"
    );
    assert_eq!(
        f.evidence.get("domain_controller_likely"),
        Some(&json!(true))
    );

    let f = one(
        &run(&[smb(SmbDetail::default())], Exposure::Internal),
        "SMB-001",
    );
    assert_eq!(f.status, Status::Error);

    let rdp = |nla, std| {
        with(
            svc(3389, "rdp"),
            ServiceDetail::Rdp(RdpDetail {
                standard_security_accepted: std,
                nla_required: nla,
                selected: vec!["ssl".into()],
                failures: vec![],
            }),
        )
    };
    let findings = run(&[rdp(Some(false), Some(true))], Exposure::Internal);
    assert_eq!(one(&findings, "RDP-001").status, Status::Fail);
    assert_eq!(one(&findings, "RDP-002").status, Status::Fail);
    assert_eq!(
        one(&findings, "RDP-002").evidence.get("selected"),
        Some(&json!(["ssl"]))
    );
    let findings = run(&[rdp(Some(true), Some(false))], Exposure::Internal);
    assert_eq!(one(&findings, "RDP-001").status, Status::Pass);
    assert_eq!(one(&findings, "RDP-002").status, Status::Pass);
    let findings = run(&[rdp(None, None)], Exposure::Internal);
    assert_eq!(one(&findings, "RDP-001").status, Status::Error);
    assert_eq!(one(&findings, "RDP-002").status, Status::Error);
    // RDP identified by port only, no negotiation read.
    let mut guessed = svc(3389, "rdp");
    guessed.identified_by = IdentifiedBy::Port;
    let f = one(&run(&[guessed], Exposure::Internal), "RDP-001");
    assert_eq!(f.status, Status::Error);
    assert!(f.summary.contains("port only"), "{}", f.summary);
}

fn snmp(answers: &[(&str, &str)]) -> ServiceObservation {
    let mut o = ServiceObservation::open(H, 161, Transport::Udp);
    o.service = Some("snmp".into());
    o.identified_by = IdentifiedBy::Probe;
    o.detail = ServiceDetail::Snmp(SnmpDetail {
        answered: answers
            .iter()
            .map(|(v, c)| SnmpAnswer {
                version: (*v).into(),
                community: (*c).into(),
                sys_descr: Some("Linux lab 6.1".into()),
            })
            .collect(),
    });
    o
}

#[test]
fn snmp_default_communities_and_v1_v2c() {
    let findings = run(
        &[snmp(&[("v1", "public"), ("v2c", "public")])],
        Exposure::Internal,
    );
    let f = one(&findings, "SNMP-001");
    assert_eq!((f.status, f.severity), (Status::Fail, Severity::Medium));
    assert_eq!(f.target, "10.0.0.5:161");
    assert!(
        f.summary.contains("v1 with public, v2c with public"),
        "{}",
        f.summary
    );
    assert_eq!(one(&findings, "SNMP-002").status, Status::Fail);

    // A trust's own community answers: not a default, and never written down.
    let findings = run(&[snmp(&[("v2c", "s3cret-ro")])], Exposure::Internal);
    assert_eq!(one(&findings, "SNMP-001").status, Status::Pass);
    let f = one(&findings, "SNMP-002");
    assert_eq!(f.status, Status::Fail);
    let text = serde_json::to_string(&findings).unwrap();
    assert!(!text.contains("s3cret"), "{text}");

    let findings = run(&[snmp(&[])], Exposure::External);
    assert_eq!(one(&findings, "SNMP-001").status, Status::Pass);
    assert_eq!(one(&findings, "SNMP-001").severity, Severity::High);
    assert!(of(&findings, "SNMP-002").is_empty(), "internal only");
}

#[test]
fn web_default_pages_and_admin_interfaces() {
    let page = |default_page: Option<&str>, admin: Option<&str>| {
        with(
            svc(80, "http"),
            ServiceDetail::Http(HttpDetail {
                status: 200,
                server: Some("nginx/1.22.1".into()),
                default_page: default_page.map(Into::into),
                admin_interface: admin.map(Into::into),
                ..HttpDetail::default()
            }),
        )
    };
    let findings = run(
        &[page(Some("nginx default page"), Some("phpMyAdmin"))],
        Exposure::External,
    );
    let f = one(&findings, "HTTP-006");
    assert_eq!((f.status, f.severity), (Status::Fail, Severity::Medium));
    assert_eq!(
        f.evidence.get("default_page"),
        Some(&json!("nginx default page"))
    );
    let f = one(&findings, "HTTP-007");
    assert_eq!((f.status, f.severity), (Status::Fail, Severity::High));
    assert!(f.summary.contains("phpMyAdmin"), "{}", f.summary);

    let findings = run(&[page(None, None)], Exposure::External);
    assert_eq!(one(&findings, "HTTP-006").status, Status::Pass);
    assert_eq!(one(&findings, "HTTP-007").status, Status::Pass);
    let findings = run(&[page(None, Some("phpMyAdmin"))], Exposure::Internal);
    assert_eq!(one(&findings, "HTTP-006").severity, Severity::Low);
    assert!(of(&findings, "HTTP-007").is_empty(), "internet-facing only");

    let findings = run(&[svc(8080, "http")], Exposure::External);
    assert_eq!(one(&findings, "HTTP-006").status, Status::Error);
}

#[test]
fn absent_services_give_no_per_service_findings() {
    let findings = run(&[svc(80, "")], Exposure::Internal);
    for id in [
        "SSH-001", "SSH-002", "SSH-003", "SMB-001", "SMB-002", "RDP-001", "RDP-002", "SNMP-001",
        "SNMP-002", "HTTP-006",
    ] {
        assert!(of(&findings, id).is_empty(), "{id}");
    }
    // Host-level rules still report on the host.
    for id in ["SVC-001", "SVC-002", "SVC-006"] {
        assert_eq!(one(&findings, id).status, Status::Pass);
    }
    assert!(
        run(&[], Exposure::Internal).is_empty(),
        "no open port, no host"
    );
}

#[test]
fn findings_come_by_host_then_catalogue_order() {
    let cat = Catalogue::embedded().unwrap();
    let services = [
        svc_on("10.0.0.9", 22, "ssh"),
        svc_on("10.0.0.1", 80, "http"),
        svc_on("10.0.0.9", 445, "smb"),
        svc_on("10.0.0.9", 139, "smb"),
    ];
    let reg = register(&[]);
    let findings = run_with(&cat, &services, Exposure::Internal, Some(&reg));
    let hosts: Vec<&str> = findings
        .iter()
        .map(|f| f.target.split(':').next().unwrap())
        .collect();
    let first_other = hosts.iter().position(|h| *h == "10.0.0.1").unwrap();
    assert!(hosts[..first_other].iter().all(|h| *h == "10.0.0.9"));
    assert!(hosts[first_other..].iter().all(|h| *h == "10.0.0.1"));
    let rank = |id: &str| SERVICE_RULES.iter().position(|r| *r == id).unwrap();
    for part in [&findings[..first_other], &findings[first_other..]] {
        let ranks: Vec<usize> = part.iter().map(|f| rank(&f.rule_id)).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    }
    // Two SMB services: two SMB-001 findings, in observation order.
    let smb: Vec<&str> = of(&findings, "SMB-001")
        .iter()
        .map(|f| f.target.as_str())
        .collect();
    assert_eq!(smb, ["10.0.0.9:445", "10.0.0.9:139"]);
    // Every host-level rule that runs internally, once per host.
    for id in ["SVC-001", "SVC-002", "SVC-006", "SVC-009"] {
        assert_eq!(of(&findings, id).len(), 2, "{id}");
    }
    // Identical input, identical output.
    assert_eq!(
        findings,
        run_with(&cat, &services, Exposure::Internal, Some(&reg))
    );
}

#[test]
fn a_trimmed_catalogue_skips_the_rules_it_leaves_out() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline");
    let tmp = tempfile::tempdir().unwrap();
    let meta = fs::read_to_string(src.join("baseline.toml")).unwrap();
    let start = meta.find("files = [").unwrap();
    let meta = format!("{}files = [\"ssh.toml\", \"svc.toml\"]\n", &meta[..start]);
    fs::write(tmp.path().join("baseline.toml"), meta).unwrap();
    for name in ["ssh.toml", "svc.toml"] {
        fs::copy(src.join(name), tmp.path().join(name)).unwrap();
    }
    let cat = Catalogue::load_dir(tmp.path()).unwrap();
    let services = [ssh(modern_ssh()), svc(445, "smb"), svc(80, "http")];
    let findings = run_with(&cat, &services, Exposure::External, None);
    let ids: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    // This catalogue lists SSH before SVC: its order is kept.
    assert_eq!(
        ids,
        [
            "SSH-001", "SSH-002", "SSH-003", "SVC-001", "SVC-002", "SVC-003", "SVC-004", "SVC-005",
            "SVC-006", "SVC-007", "SVC-008"
        ]
    );
}

#[test]
fn every_finding_carries_its_rule_metadata() {
    let cat = Catalogue::embedded().unwrap();
    let findings = run(&[svc(23, "telnet")], Exposure::External);
    let f = one(&findings, "SVC-001");
    let rule = cat.rule("SVC-001").unwrap();
    assert_eq!(f.title, rule.title);
    assert_eq!(f.controls, rule.controls);
    assert_eq!(f.remediation, rule.remediation);
    assert!(findings
        .iter()
        .all(|f| SERVICE_RULES.contains(&f.rule_id.as_str())));
}
