use std::path::Path;

use super::*;

fn catalogue() -> Catalogue {
    Catalogue::embedded().unwrap()
}

const GOOD: &str = r#"
interval_secs = 3600
scope = ["10.1.0.0/16", "fd00::/8", "10.2.3.4", "pacs.example.nhs.uk"]
exclude = ["10.1.5.0/24"]
tls_targets = ["pacs.example.nhs.uk:443", "[2001:db8::1]:8443", "10.1.2.3:443"]
domains = ["example.nhs.uk"]
disabled_rules = ["TLS-004", "PATCH-*"]
"#;

#[test]
fn a_complete_policy_parses_and_serialises_to_the_wire_keys() {
    let body = parse_toml(GOOD, Path::new("p.toml"), &catalogue()).unwrap();
    assert_eq!(body.interval_secs, Some(3600));
    assert_eq!(body.tls_targets.len(), 3);
    let json = serde_json::to_value(&body).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "disabled_rules",
            "domains",
            "exclude",
            "interval_secs",
            "scope",
            "tls_targets"
        ]
    );
    // Empty is allowed: a site whose agents keep their own configuration.
    let empty = parse_toml("", Path::new("p.toml"), &catalogue()).unwrap();
    assert_eq!(empty, PolicyBody::default());
    assert!(serde_json::to_value(&empty)
        .unwrap()
        .get("interval_secs")
        .is_none());
}

#[test]
fn each_fault_names_file_line_and_key() {
    let cases = [
        (
            "interval_secs = 5\n",
            1,
            "interval_secs",
            "outside 10..=604800",
        ),
        ("interval_secs = 604801\n", 1, "interval_secs", "outside"),
        (
            "scope = [\n  \"10.1.0.0/16\",\n  \"10.1.2.3/16\",\n]\n",
            3,
            "scope[1]",
            "host bits set; write 10.1.0.0/16",
        ),
        ("scope = [\"10.1.0.0/33\"]\n", 1, "scope[0]", "not a CIDR"),
        (
            "exclude = [\"bad host!\"]\n",
            1,
            "exclude[0]",
            "not a CIDR, an IP address or a host name",
        ),
        (
            "tls_targets = [\"host\"]\n",
            1,
            "tls_targets[0]",
            "not HOST:PORT",
        ),
        (
            "tls_targets = [\"host:0\"]\n",
            1,
            "tls_targets[0]",
            "port `0`",
        ),
        (
            "tls_targets = [\"host:99999\"]\n",
            1,
            "tls_targets[0]",
            "port `99999`",
        ),
        (
            "tls_targets = [\"[zz]:443\"]\n",
            1,
            "tls_targets[0]",
            "not an IPv6",
        ),
        (
            "tls_targets = [\"::1:443\"]\n",
            1,
            "tls_targets[0]",
            "not HOST:PORT",
        ),
        (
            "domains = [\"localhost\"]\n",
            1,
            "domains[0]",
            "not a domain name",
        ),
        (
            "domains = [\"-x.example\"]\n",
            1,
            "domains[0]",
            "label `-x`",
        ),
        (
            "disabled_rules = [\"TLS-999\"]\n",
            1,
            "disabled_rules[0]",
            "not a rule",
        ),
        (
            "disabled_rules = [\"*\"]\n",
            1,
            "disabled_rules[0]",
            "not `*` alone",
        ),
        (
            "disabled_rules = [\"NOPE-*\"]\n",
            1,
            "disabled_rules[0]",
            "matches no rule",
        ),
        ("\n\nsite = \"x\"\n", 3, "site", "unknown field"),
        ("version = 3\n", 1, "version", "unknown field"),
        ("scope = \"10.0.0.0/8\"\n", 1, "scope", "invalid type"),
    ];
    for (text, line, key, needle) in cases {
        let err = parse_toml(text, Path::new("site.toml"), &catalogue())
            .unwrap_err()
            .to_string();
        let head = format!("site.toml line {line}, key `{key}`");
        assert!(err.starts_with(&head), "{text:?}: {err}");
        assert!(err.contains(needle), "{text:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn json_from_the_api_gets_one_sentence() {
    let cat = catalogue();
    assert!(parse_json(br#"{"scope": ["10.0.0.0/8"]}"#, &cat).is_ok());
    let err = parse_json(br#"{"scope": ["10.0.0.1/8"]}"#, &cat).unwrap_err();
    assert!(
        err.contains("policy key `scope[0]`") && err.contains("10.0.0.0/8"),
        "{err}"
    );
    let err = parse_json(br#"{"scopes": []}"#, &cat).unwrap_err();
    assert!(err.contains("unknown field `scopes`"), "{err}");
    let many = serde_json::json!({ "domains": vec!["a.example"; MAX_ENTRIES + 1] });
    let err = parse_json(many.to_string().as_bytes(), &cat).unwrap_err();
    assert!(err.contains("at most 4096"), "{err}");
}
