//! The baseline files compiled into the binary, so the agent and collector
//! work with no data folder at all. A test checks this list against
//! `baseline.toml` and the folder.

pub(super) const BASELINE: &str = include_str!("../../baseline/baseline.toml");

pub(super) const RULE_FILES: &[(&str, &str)] = &[
    ("tls.toml", include_str!("../../baseline/tls.toml")),
    ("cert.toml", include_str!("../../baseline/cert.toml")),
    ("http.toml", include_str!("../../baseline/http.toml")),
    ("svc.toml", include_str!("../../baseline/svc.toml")),
    ("snmp.toml", include_str!("../../baseline/snmp.toml")),
    ("smb.toml", include_str!("../../baseline/smb.toml")),
    ("rdp.toml", include_str!("../../baseline/rdp.toml")),
    ("ssh.toml", include_str!("../../baseline/ssh.toml")),
    ("mail.toml", include_str!("../../baseline/mail.toml")),
    ("dns.toml", include_str!("../../baseline/dns.toml")),
    ("os.toml", include_str!("../../baseline/os.toml")),
    ("patch.toml", include_str!("../../baseline/patch.toml")),
    ("host.toml", include_str!("../../baseline/host.toml")),
];

pub(super) fn rule_file(name: &str) -> Option<std::borrow::Cow<'static, str>> {
    RULE_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| std::borrow::Cow::Borrowed(*text))
}
