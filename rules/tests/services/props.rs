//! Whatever the agent observes, evaluation never panics and keeps its
//! shape: one finding per host for each host-level rule that runs, targets
//! that name an observed host or endpoint, only rules of SERVICE_RULES.

use std::collections::HashSet;
use std::sync::OnceLock;

use proptest::prelude::*;
use trustwatch_rules::evaluate::{self, Exposure, ServiceScan, SERVICE_RULES};
use trustwatch_rules::observe::{
    ApprovedService, CleartextDetail, DicomDetail, HttpDetail, IdentifiedBy, RdpDetail,
    ServiceDetail, ServiceObservation, ServiceRegister, SmbDetail, SnmpAnswer, SnmpDetail,
    SshDetail, SshHostKey, Transport,
};
use trustwatch_rules::{Catalogue, Mode};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("public".to_owned()),
        Just("ssh-dss".to_owned()),
        Just("aes128-cbc".to_owned()),
        Just("hmac-md5".to_owned()),
        Just("rsa-sha2-512".to_owned()),
        "\\PC{0,12}",
    ]
}

fn service_name() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        prop::sample::select(vec![
            "ssh", "telnet", "ftp", "pop3", "imap", "ldap", "smb", "rdp", "vnc", "x11", "mysql",
            "redis", "http", "https", "tls", "dicom", "hl7-mllp", "snmp", "tftp", "rsh", "ipmi",
        ])
        .prop_map(|s| Some(s.to_owned())),
        "\\PC{0,8}".prop_map(Some),
    ]
}

fn texts() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(text(), 0..4)
}

fn detail() -> impl Strategy<Value = ServiceDetail> {
    let b = || any::<Option<bool>>();
    let opt = || prop::option::of(text());
    prop_oneof![
        Just(ServiceDetail::None),
        (
            text(),
            text(),
            texts(),
            texts(),
            texts(),
            texts(),
            prop::option::of((text(), any::<u32>()))
        )
            .prop_map(|(protocol, software, kex, hk, ciphers, macs, key)| {
                ServiceDetail::Ssh(SshDetail {
                    protocol,
                    software,
                    kex_algorithms: kex,
                    host_key_algorithms: hk,
                    ciphers,
                    macs,
                    host_key: key.map(|(key_type, bits)| SshHostKey { key_type, bits }),
                })
            }),
        (any::<u16>(), opt(), opt(), opt()).prop_map(|(status, title, default_page, admin)| {
            ServiceDetail::Http(HttpDetail {
                status,
                title,
                default_page,
                admin_interface: admin,
                ..HttpDetail::default()
            })
        }),
        (b(), b()).prop_map(|(o, d)| ServiceDetail::Cleartext(CleartextDetail {
            starttls_offered: o,
            login_disabled_before_tls: d,
        })),
        (b(), b(), opt()).prop_map(|(smb1, signing, dialect)| ServiceDetail::Smb(SmbDetail {
            smb1_accepted: smb1,
            smb2_dialect: dialect,
            signing_required: signing,
        })),
        (b(), b(), texts(), texts()).prop_map(|(std, nla, selected, failures)| {
            ServiceDetail::Rdp(RdpDetail {
                standard_security_accepted: std,
                nla_required: nla,
                selected,
                failures,
            })
        }),
        prop::collection::vec((text(), text(), opt()), 0..3).prop_map(|a| {
            ServiceDetail::Snmp(SnmpDetail {
                answered: a
                    .into_iter()
                    .map(|(version, community, sys_descr)| SnmpAnswer {
                        version,
                        community,
                        sys_descr,
                    })
                    .collect(),
            })
        }),
        (text(), any::<bool>()).prop_map(|(association, ok)| ServiceDetail::Dicom(DicomDetail {
            association,
            verification_accepted: ok,
            ..DicomDetail::default()
        })),
    ]
}

fn observation() -> impl Strategy<Value = ServiceObservation> {
    let host = prop::sample::select(vec!["10.0.0.1", "10.0.0.2", "fd00::1", "not-an-ip", ""]);
    let port = prop_oneof![
        prop::sample::select(vec![
            0u16, 21, 22, 23, 69, 88, 104, 110, 137, 139, 143, 161, 389, 445, 514, 623, 3306, 3389,
            5901, 6000, 9200, 11112, 16992, 65535,
        ]),
        any::<u16>(),
    ];
    let by = prop::sample::select(vec![
        IdentifiedBy::Banner,
        IdentifiedBy::Probe,
        IdentifiedBy::Port,
        IdentifiedBy::Unknown,
    ]);
    let transport = prop::sample::select(vec![Transport::Tcp, Transport::Udp]);
    (
        host,
        port,
        transport,
        service_name(),
        prop::option::of(text()),
        by,
        prop::option::of(text()),
        detail(),
        prop::option::of(text()),
    )
        .prop_map(
            |(host, port, transport, service, product, by, banner, detail, note)| {
                let mut o = ServiceObservation::open(host, port, transport);
                o.service = service;
                o.product = product;
                o.identified_by = by;
                o.banner = banner;
                o.detail = detail;
                o.note = note;
                o
            },
        )
}

fn register() -> impl Strategy<Value = Option<ServiceRegister>> {
    let entry = (
        prop::sample::select(vec!["*", "10.0.0.0/24", "10.0.0.2", "fd00::/64", "junk"]),
        any::<u16>(),
        any::<bool>(),
        prop::option::of(service_name()),
    )
        .prop_map(|(host, port, udp, service)| ApprovedService {
            host: host.into(),
            port,
            transport: if udp { Transport::Udp } else { Transport::Tcp },
            service: service.flatten(),
            note: None,
        });
    prop::option::of(
        prop::collection::vec(entry, 0..4).prop_map(|approved| ServiceRegister { approved }),
    )
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::embedded().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn evaluation_never_panics_and_keeps_its_shape(
        services in prop::collection::vec(observation(), 0..8),
        external in any::<bool>(),
        register in register(),
    ) {
        let cat = catalogue();
        let exposure = if external { Exposure::External } else { Exposure::Internal };
        let findings = evaluate::services(cat, &ServiceScan {
            services: &services,
            exposure,
            register: register.as_ref(),
        });
        let hosts: HashSet<&str> = services.iter().map(|s| s.host.as_str()).collect();
        let endpoints: HashSet<String> = services.iter().map(|s| s.endpoint()).collect();
        let mode = if external { Mode::External } else { Mode::Internal };
        for f in &findings {
            prop_assert!(SERVICE_RULES.contains(&f.rule_id.as_str()), "{}", f.rule_id);
            let rule = cat.rule(&f.rule_id).unwrap();
            prop_assert!(rule.modes.contains(&mode), "{} at {mode:?}", f.rule_id);
            prop_assert!(hosts.contains(f.target.as_str()) || endpoints.contains(&f.target), "{}", f.target);
        }
        let host_level = ["SVC-001", "SVC-002", "SVC-006"]
            .into_iter()
            .chain(external.then_some(["SVC-003", "SVC-004", "SVC-005", "SVC-007", "SVC-008"]).into_iter().flatten())
            .chain(register.is_some().then_some("SVC-009"));
        for id in host_level {
            let n = findings.iter().filter(|f| f.rule_id == id).count();
            prop_assert_eq!(n, hosts.len(), "{}", id);
        }
        // Findings serialise (the report format) whatever the input.
        prop_assert!(serde_json::to_string(&findings).is_ok());
    }
}
