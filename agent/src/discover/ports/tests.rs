use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

fn tcp(list: &PortList) -> Vec<u16> {
    list.tcp().iter().collect()
}

fn udp(list: &PortList) -> Vec<u16> {
    list.udp().iter().collect()
}

#[test]
fn baseline_is_the_rules_table() {
    // The list as the brief and the rules give it, kept literal here so
    // an edit to the table is a deliberate one.
    let literal = "21,22,23,25,80,104,110,135,139,143,389,443,445,465,512,513,514,587,623,636,\
                   993,995,1433,1521,2222,2323,2575,3306,3389,5432,5900-5903,5984,6000-6010,6379,\
                   8000,8080,8443,9100-9107,9200,11112,11211,16992-16995,27017,U:161";
    let parsed = PortList::parse(literal).unwrap();
    assert_eq!(PortList::baseline(), parsed);
    assert_eq!(PortList::parse("baseline").unwrap(), parsed);
    assert_eq!(PortList::default(), parsed);
    assert_eq!(PortList::baseline().tcp().len(), 66);
    assert_eq!(udp(&PortList::baseline()), [161]);
}

#[test]
fn ports_ranges_and_all() {
    let l = PortList::parse("443, 22,80").unwrap();
    assert_eq!(tcp(&l), [22, 80, 443]);
    assert!(l.udp().is_empty());
    assert_eq!(PortList::parse("1000-2000").unwrap().tcp().len(), 1001);
    for all in [
        "-",
        "all",
        "ALL",
        "1-65535",
        "1-100,50-65535",
        "-1024,1025-",
    ] {
        assert_eq!(PortList::parse(all).unwrap(), PortList::all_tcp(), "{all}");
    }
    assert_eq!(PortList::all_tcp().tcp().ranges(), [(1, 65535)]);
    assert_eq!(PortList::parse("-3").unwrap().tcp().ranges(), [(1, 3)]);
    assert_eq!(
        PortList::parse("65530-").unwrap().tcp().ranges(),
        [(65530, 65535)]
    );
    // Overlapping and touching items merge.
    assert_eq!(
        PortList::parse("10-20,21,15-16,30").unwrap().tcp().ranges(),
        [(10, 21), (30, 30)]
    );
}

#[test]
fn protocol_prefixes_carry_forward() {
    let l = PortList::parse("T:22,80,U:161").unwrap();
    assert_eq!(tcp(&l), [22, 80]);
    assert_eq!(udp(&l), [161]);
    let l = PortList::parse("U:161,162,t:23").unwrap();
    assert_eq!(udp(&l), [161, 162]);
    assert_eq!(tcp(&l), [23]);
    let l = PortList::parse("T:baseline").unwrap();
    assert_eq!(l.tcp(), PortList::baseline().tcp());
    assert!(l.udp().is_empty());
    let l = PortList::parse("U:baseline").unwrap();
    assert!(l.tcp().is_empty());
    assert_eq!(udp(&l), [161]);
    // Any UDP port is allowed.
    assert_eq!(udp(&PortList::parse("U:1-3").unwrap()), [1, 2, 3]);
}

#[test]
fn errors_name_the_item_at_fault() {
    let err = PortList::parse("1-70000").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"port 70000 in "1-70000" is out of range 1-65535"#
    );
    assert_eq!(
        PortList::parse("22, 0").unwrap_err(),
        PortSpecError::OutOfRange {
            port: "0".into(),
            token: "0".into()
        }
    );
    assert!(matches!(
        PortList::parse("99999999999999999999999"),
        Err(PortSpecError::OutOfRange { .. })
    ));
    assert_eq!(
        PortList::parse("2000-1000").unwrap_err(),
        PortSpecError::Backwards {
            token: "2000-1000".into()
        }
    );
    for bad in ["ssh", "+22", "22-23-24", "1 000", "0x16", "--"] {
        assert_eq!(
            PortList::parse(bad).unwrap_err(),
            PortSpecError::BadToken { token: bad.into() },
            "{bad}"
        );
    }
    let err = PortList::parse("S:80").unwrap_err();
    assert_eq!(
        err,
        PortSpecError::BadProtocol {
            prefix: "S".into(),
            token: "S:80".into()
        }
    );
    assert!(err.to_string().contains("S:80"));
    assert!(matches!(
        PortList::parse("22,,80"),
        Err(PortSpecError::EmptyItem { .. })
    ));
    assert!(matches!(
        PortList::parse("22,T:"),
        Err(PortSpecError::EmptyItem { .. })
    ));
    assert_eq!(PortList::parse(" "), Err(PortSpecError::Empty));
}

#[test]
fn exclusions_always_win() {
    let l = PortList::from_specs("baseline", Some("9100-9107,U:161,T:23")).unwrap();
    assert!(!l.tcp().contains(23));
    assert!(l.tcp().contains(22));
    assert!((9100..=9107).all(|p| !l.tcp().contains(p)));
    assert!(l.udp().is_empty());
    let l = PortList::from_specs("-", Some("1-1023,65535")).unwrap();
    assert_eq!(l.tcp().ranges(), [(1024, 65534)]);
    assert_eq!(
        PortList::from_specs("22", Some("")).unwrap(),
        PortList::parse("22").unwrap()
    );
    assert!(PortList::from_specs("22", Some("22")).unwrap().is_empty());
    assert!(PortList::from_specs("22", Some("x")).is_err());
    // An exclusion straddling two ranges cuts both.
    let l = PortList::from_specs("1-10,20-30", Some("8-22")).unwrap();
    assert_eq!(l.tcp().ranges(), [(1, 7), (23, 30)]);
}

#[test]
fn canonical_text_round_trips() {
    let l = PortList::baseline();
    assert!(l.to_string().starts_with("T:21-23,25,80,104,"));
    assert!(l.to_string().ends_with(",U:161"));
    assert_eq!(l.to_string().parse::<PortList>().unwrap(), l);
    assert_eq!(PortList::all_tcp().to_string(), "1-65535");
    assert_eq!(PortList::parse("U:161").unwrap().to_string(), "U:161");
}

/// Up to a few ranges anywhere in 1-65535, as a spec item list and as the
/// set of ports they hold.
fn ranges() -> impl Strategy<Value = Vec<(u16, u16)>> {
    prop::collection::vec(
        (1u16..=65535, 0u16..300).prop_map(|(lo, len)| (lo, lo.saturating_add(len))),
        0..6,
    )
}

fn model(ranges: &[(u16, u16)]) -> BTreeSet<u16> {
    ranges.iter().flat_map(|&(lo, hi)| lo..=hi).collect()
}

fn spec(ranges: &[(u16, u16)]) -> String {
    ranges
        .iter()
        .map(|&(lo, hi)| format!("{lo}-{hi}"))
        .collect::<Vec<_>>()
        .join(",")
}

proptest! {
    #[test]
    fn parse_iterate_round_trip(t in ranges(), u in ranges()) {
        prop_assume!(!t.is_empty() || !u.is_empty());
        let text = match (t.is_empty(), u.is_empty()) {
            (false, true) => spec(&t),
            (true, false) => format!("U:{}", spec(&u)),
            _ => format!("T:{},U:{}", spec(&t), spec(&u)),
        };
        let list = PortList::parse(&text).unwrap();
        let (mt, mu) = (model(&t), model(&u));
        prop_assert!(list.tcp().iter().eq(mt.iter().copied()));
        prop_assert!(list.udp().iter().eq(mu.iter().copied()));
        prop_assert_eq!(list.tcp().len() as usize, mt.len());
        // The canonical text parses back to the same list.
        prop_assert_eq!(list.to_string().parse::<PortList>().unwrap(), list.clone());
        for probe in [1u16, 22, 161, 1000, 32768, 65535] {
            prop_assert_eq!(list.tcp().contains(probe), mt.contains(&probe));
        }
        for p in mt.iter().take(50) {
            prop_assert!(list.tcp().contains(*p));
        }
    }

    #[test]
    fn exclusion_is_set_difference(a in ranges(), b in ranges()) {
        let sa = PortSet::from_ranges(a.clone());
        let sb = PortSet::from_ranges(b.clone());
        let diff = sa.without(&sb);
        let expected: Vec<u16> = model(&a).difference(&model(&b)).copied().collect();
        prop_assert!(diff.iter().eq(expected.iter().copied()));
        // Still normalised: sorted, disjoint, not touching.
        prop_assert_eq!(PortSet::from_ranges(diff.ranges().to_vec()), diff.clone());
    }

    #[test]
    fn parsing_never_panics(text in "[-0-9TUtu:, a-z]{0,30}") {
        let _ = PortList::parse(&text);
    }
}
