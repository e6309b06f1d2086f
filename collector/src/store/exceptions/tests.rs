use time::macros::date;

use super::*;

fn new() -> NewException {
    NewException {
        site: Some("north".into()),
        rule_id: "TLS-002".into(),
        target: "10.0.0.5:443".into(),
        owner: "Head of IT".into(),
        siro_accepted_on: date!(2026 - 01 - 10),
        compensating_control: "Reachable only from the PACS VLAN".into(),
        reason: "Vendor-locked modality".into(),
        expires_on: date!(2026 - 07 - 10),
    }
}

#[test]
fn a_complete_exception_is_valid_and_each_fault_is_named() {
    let cat = Catalogue::embedded().unwrap();
    let today = date!(2026 - 02 - 01);
    assert!(new().validate(&cat, today).is_ok());
    let star = NewException {
        target: "*".into(),
        site: None,
        ..new()
    };
    assert!(star.validate(&cat, today).is_ok());
    let cases: Vec<(NewException, &str)> = vec![
        (
            NewException {
                rule_id: "TLS-999".into(),
                ..new()
            },
            "rule `TLS-999`",
        ),
        (
            NewException {
                target: String::new(),
                ..new()
            },
            "target",
        ),
        (
            NewException {
                site: Some("bad site".into()),
                ..new()
            },
            "site",
        ),
        (
            NewException {
                owner: " ".into(),
                ..new()
            },
            "owner",
        ),
        (
            NewException {
                siro_accepted_on: date!(2026 - 03 - 01),
                expires_on: date!(2026 - 09 - 01),
                ..new()
            },
            "in the future",
        ),
        (
            NewException {
                expires_on: date!(2026 - 01 - 10),
                ..new()
            },
            "not after the SIRO",
        ),
        (
            NewException {
                siro_accepted_on: date!(2025 - 01 - 01),
                expires_on: date!(2026 - 01 - 20),
                ..new()
            },
            "not in the future",
        ),
        (
            NewException {
                expires_on: date!(2029 - 01 - 11),
                ..new()
            },
            "more than 3 years",
        ),
    ];
    for (e, needle) in cases {
        let err = e.validate(&cat, today).unwrap_err().to_string();
        assert!(err.contains(needle), "{needle}: {err}");
    }
    // Exactly three years is allowed; a leap day rolls to 28 February.
    let edge = NewException {
        expires_on: date!(2029 - 01 - 10),
        ..new()
    };
    assert!(edge.validate(&cat, today).is_ok());
    assert_eq!(add_years(date!(2024 - 02 - 29), 3), date!(2027 - 02 - 28));
}

#[test]
fn dates_parse_strictly_and_expire_at_midnight_utc() {
    assert_eq!(
        parse_date("d", "2026-07-10").unwrap(),
        date!(2026 - 07 - 10)
    );
    for bad in ["2026-7-10", "10/07/2026", "2026-02-30", ""] {
        assert!(parse_date("d", bad).is_err(), "{bad}");
    }
    let t = midnight(date!(2026 - 07 - 10));
    assert_eq!(date_text(t), "2026-07-10");
    assert_eq!(date_text(t - 1), "2026-07-09");
}
