use super::*;

#[test]
fn token_text_is_parsed_strictly() {
    let secret = "A".repeat(43);
    let good = format!("twa_0123456789abcdef.{secret}");
    assert_eq!(
        parse_text(&good),
        Some(("0123456789abcdef", secret.as_str()))
    );
    for bad in [
        format!("twe1_0123456789abcdef.{secret}"),
        format!("twa_0123456789abcde.{secret}"),
        format!("twa_0123456789abcdeg.{secret}"),
        "twa_0123456789abcdef.short".to_owned(),
        format!("twa_0123456789abcdef.{secret}!"),
        format!("twa_0123456789abcdef{secret}"),
    ] {
        assert_eq!(parse_text(&bad), None, "{bad}");
    }
}

#[test]
fn lifetimes_take_a_unit() {
    assert_eq!(parse_ttl("90d").unwrap(), 90 * 86_400);
    assert_eq!(parse_ttl("12h").unwrap(), 43_200);
    assert_eq!(parse_ttl("30m").unwrap(), 1800);
    assert_eq!(parse_ttl("45").unwrap(), 45);
    for bad in ["", "d", "0d", "5y", "-1d", "99999d", "1.5h"] {
        assert!(parse_ttl(bad).is_err(), "{bad}");
    }
}

#[test]
fn roles_are_ordered_and_named() {
    assert!(Role::Admin > Role::Analyst && Role::Analyst > Role::Auditor);
    for r in Role::ALL {
        assert_eq!(Role::parse(r.as_str()), Some(r));
    }
    assert_eq!(Role::parse("root"), None);
    assert!(check_name("grafana").is_ok());
    assert!(check_name("").is_err());
    assert!(check_name("a\nb").is_err());
    assert!(check_name(&"x".repeat(65)).is_err());
}

#[test]
fn the_stored_digest_is_sha256_of_the_secret() {
    assert_eq!(
        secret_sha256("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
