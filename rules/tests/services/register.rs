//! The approved-services register: the documented form parses, and every
//! mistake is one sentence naming the file, the line and the key.

use trustwatch_rules::observe::{ServiceRegister, Transport};
use trustwatch_rules::CatalogueError;

const GOOD: &str = r#"# Approved services, reviewed quarterly.
[[approved]]
host = "10.20.0.0/24"
port = 22
service = "ssh"
note = "Jump hosts, change CHG-1234"

[[approved]]
host = "*"
port = 161
transport = "udp"

[[approved]]
host = "fd00::5"
port = 443
"#;

#[test]
fn the_documented_form_parses() {
    let reg = ServiceRegister::from_toml_str(GOOD, "approved.toml").unwrap();
    assert_eq!(reg.approved.len(), 3);
    let first = &reg.approved[0];
    assert_eq!(first.host, "10.20.0.0/24");
    assert_eq!(first.port, 22);
    assert_eq!(first.transport, Transport::Tcp, "tcp by default");
    assert_eq!(first.service.as_deref(), Some("ssh"));
    assert_eq!(first.note.as_deref(), Some("Jump hosts, change CHG-1234"));
    assert_eq!(reg.approved[1].transport, Transport::Udp);
    assert_eq!(reg.validate(), Ok(()));
    // Serde's own derive reads the same form, for registers embedded in a
    // config; validate() then applies the same checks.
    let direct: ServiceRegister = toml::from_str(GOOD).unwrap();
    assert_eq!(direct, reg);
    assert!(ServiceRegister::from_toml_str("", "empty.toml")
        .unwrap()
        .approved
        .is_empty());
}

/// `GOOD` with `from` replaced by `to`; the error and the 1-based line of `to`.
fn broken(from: &str, to: &str) -> (String, usize) {
    assert!(GOOD.contains(from), "{from}");
    let text = GOOD.replacen(from, to, 1);
    let needle = to.lines().last().unwrap();
    let line = text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let err = ServiceRegister::from_toml_str(&text, "conf/approved.toml").unwrap_err();
    assert!(matches!(err, CatalogueError::Register { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("conf/approved.toml line "), "{msg}");
    assert!(!msg.contains('\n'), "one sentence: {msg}");
    (msg, line)
}

#[test]
fn a_bad_host_is_named() {
    let (msg, line) = broken("host = \"*\"", "host = \"10.20.0.300\"");
    assert!(
        msg.contains(&format!("line {line}, key `approved[1].host`")),
        "{msg}"
    );
    assert!(msg.contains("10.20.0.300"), "{msg}");
    assert!(
        msg.contains("not an IP address, a CIDR network or `*`"),
        "{msg}"
    );

    let (msg, line) = broken("host = \"10.20.0.0/24\"", "host = \"10.20.0.5/24\"");
    assert!(
        msg.contains(&format!("line {line}, key `approved[0].host`")),
        "{msg}"
    );
    assert!(msg.contains("host bits"), "{msg}");
}

#[test]
fn ports_out_of_range_are_named() {
    for bad in ["0", "70000", "-1"] {
        let (msg, line) = broken("port = 443", &format!("port = {bad}"));
        assert!(
            msg.contains(&format!("line {line}, key `approved[2].port`")),
            "{msg}"
        );
        assert!(
            msg.contains(&format!("from 1 to 65535, not {bad}")),
            "{msg}"
        );
    }
    let (msg, _) = broken("port = 22", "port = \"ssh\"");
    assert!(msg.contains("key `approved[0].port`"), "{msg}");
}

#[test]
fn unknown_keys_and_values_are_named() {
    let (msg, line) = broken("port = 22", "port = 22\ncomment = \"x\"");
    assert!(
        msg.contains(&format!("line {line}, key `approved[0].comment`")),
        "{msg}"
    );

    let (msg, line) = broken("transport = \"udp\"", "transport = \"sctp\"");
    assert!(
        msg.contains(&format!("line {line}, key `approved[1].transport`")),
        "{msg}"
    );
    assert!(msg.contains("sctp"), "{msg}");

    let (msg, line) = broken("service = \"ssh\"", "service = \" \"");
    assert!(
        msg.contains(&format!("line {line}, key `approved[0].service`")),
        "{msg}"
    );

    let (msg, _) = broken("[[approved]]\nhost = \"*\"", "[[allowed]]\nhost = \"*\"");
    assert!(msg.contains("allowed"), "{msg}");
}

#[test]
fn a_missing_port_is_named() {
    let text = "[[approved]]\nhost = \"*\"\n";
    let msg = ServiceRegister::from_toml_str(text, "approved.toml")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("port"), "{msg}");
    assert!(msg.contains("approved.toml line 1"), "{msg}");
}

#[test]
fn load_reads_the_file_and_names_it_when_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("approved.toml");
    std::fs::write(&path, GOOD).unwrap();
    assert_eq!(ServiceRegister::load(&path).unwrap().approved.len(), 3);
    let err = ServiceRegister::load(&tmp.path().join("nope.toml")).unwrap_err();
    assert!(matches!(err, CatalogueError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("nope.toml"));
}
