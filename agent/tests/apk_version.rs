//! Property tests of Alpine's (apk) version order on generated versions.
//! There is no apk binary on Debian to ask, so the order is held to:
//! - the laws of an order (reflexive, antisymmetric, transitive), on
//!   versions drawn from small alphabets so that near-ties are common;
//! - a model: for versions whose later numbers have no leading zeros and
//!   whose suffixes all carry a number, apk's order is a plain
//!   lexicographic comparison of (numbers, letter, suffixes, hash,
//!   revision), which the model computes from the parts;
//! - edits whose effect apk's rules fix: a higher revision, `-r0` against
//!   none, one more number, a pre- or post-release suffix appended, a later
//!   number with a leading zero (compared as text);
//! - arbitrary strings, which must give an answer or an error, never a
//!   panic.

use std::cmp::Ordering;

use proptest::prelude::*;
use trustwatch_agent::packages::version::{compare, VersionScheme};

fn apk(a: &str, b: &str) -> Result<Ordering, String> {
    compare(VersionScheme::Apk, a, b).map_err(|e| e.to_string())
}

/// apk's suffix names in apk's order; index 4 would be "no suffix".
const SUFFIXES: [&str; 9] = ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];
const PRE_RELEASE: usize = 4;

/// A version made of parts, rendered to apk's syntax. Numbers are kept as
/// the text to render, so leading zeros can be asked for.
#[derive(Debug, Clone)]
struct Version {
    numbers: Vec<String>,
    letter: Option<char>,
    /// (index into SUFFIXES, number text if any)
    suffixes: Vec<(usize, Option<String>)>,
    hash: Option<String>,
    revision: Option<String>,
}

impl Version {
    fn render(&self) -> String {
        let mut s = self.numbers.join(".");
        if let Some(l) = self.letter {
            s.push(l);
        }
        for (i, n) in &self.suffixes {
            s.push('_');
            s.push_str(SUFFIXES[*i]);
            s.push_str(n.as_deref().unwrap_or(""));
        }
        if let Some(h) = &self.hash {
            s.push('~');
            s.push_str(h);
        }
        if let Some(r) = &self.revision {
            s.push_str("-r");
            s.push_str(r);
        }
        s
    }
}

fn text(choices: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(choices).prop_map(str::to_owned)
}

/// Any valid version, with leading zeros, bare suffixes and the rest; from
/// small alphabets so that pairs and triples share prefixes often.
fn any_version() -> impl Strategy<Value = Version> {
    const NUM: &[&str] = &["0", "1", "2", "9", "10", "00", "01", "001", "010", "09"];
    (
        proptest::collection::vec(text(NUM), 1..=4),
        proptest::option::of(proptest::sample::select(vec!['a', 'b', 'z'])),
        proptest::collection::vec((0..SUFFIXES.len(), proptest::option::of(text(NUM))), 0..=3),
        proptest::option::of(text(&["0", "9", "a", "ab", "abc", "f0", "0123abc"])),
        proptest::option::weighted(0.6, text(&["0", "1", "2", "10", "01"])),
    )
        .prop_map(|(numbers, letter, suffixes, hash, revision)| Version {
            numbers,
            letter,
            suffixes,
            hash,
            revision,
        })
}

/// The class the model covers: later numbers without leading zeros (a
/// lone `0` is fine: as text it still sorts below every other number),
/// every suffix numbered. The first number may have leading zeros: apk
/// reads it by value.
#[derive(Debug, Clone)]
struct Parts {
    initial_zeros: usize,
    numbers: Vec<u32>,
    letter: Option<char>,
    suffixes: Vec<(usize, u32)>,
    hash: Option<String>,
    revision: Option<u32>,
}

impl Parts {
    fn version(&self) -> Version {
        let mut numbers: Vec<String> = self.numbers.iter().map(u32::to_string).collect();
        numbers[0].insert_str(0, &"0".repeat(self.initial_zeros));
        Version {
            numbers,
            letter: self.letter,
            suffixes: self
                .suffixes
                .iter()
                .map(|&(i, n)| (i, Some(n.to_string())))
                .collect(),
            hash: self.hash.clone(),
            revision: self.revision.map(|r| r.to_string()),
        }
    }

    /// The suffixes as sort keys, "no suffix" ranked between `_rc` and
    /// `_cvs` and appended as an end marker: the first suffix one version
    /// has beyond the other then decides by whether it is a pre-release.
    fn suffix_key(&self) -> Vec<(usize, u32)> {
        let rank = |i: usize| if i < PRE_RELEASE { i } else { i + 1 };
        let mut key: Vec<_> = self.suffixes.iter().map(|&(i, n)| (rank(i), n)).collect();
        key.push((PRE_RELEASE, 0));
        key
    }

    /// The order apk's rules give for this class, computed from the parts.
    fn model_cmp(&self, other: &Parts) -> Ordering {
        self.numbers
            .cmp(&other.numbers)
            .then_with(|| self.letter.cmp(&other.letter))
            .then_with(|| self.suffix_key().cmp(&other.suffix_key()))
            .then_with(|| self.hash.cmp(&other.hash))
            .then_with(|| self.revision.cmp(&other.revision))
    }
}

fn parts() -> impl Strategy<Value = Parts> {
    let num = prop_oneof![4 => 0u32..4, 1 => 0u32..100_000];
    (
        0usize..3,
        proptest::collection::vec(num.clone(), 1..=4),
        proptest::option::of(proptest::sample::select(vec!['a', 'b', 'z'])),
        proptest::collection::vec((0..SUFFIXES.len(), num.clone()), 0..=3),
        proptest::option::of(text(&["0", "9", "a", "ab", "abc", "f0"])),
        proptest::option::of(num),
    )
        .prop_map(
            |(initial_zeros, numbers, letter, suffixes, hash, revision)| Parts {
                initial_zeros,
                numbers,
                letter,
                suffixes,
                hash,
                revision,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_versions_are_valid_and_equal_themselves(v in any_version()) {
        let v = v.render();
        prop_assert_eq!(apk(&v, &v), Ok(Ordering::Equal), "{}", v);
    }

    #[test]
    fn the_order_is_antisymmetric(a in any_version(), b in any_version()) {
        let (a, b) = (a.render(), b.render());
        let ab = apk(&a, &b).unwrap();
        prop_assert_eq!(apk(&b, &a).unwrap(), ab.reverse(), "{} vs {}", a, b);
    }

    #[test]
    fn the_order_is_transitive(a in any_version(), b in any_version(), c in any_version()) {
        let (a, b, c) = (a.render(), b.render(), c.render());
        let (ab, bc, ac) = (apk(&a, &b).unwrap(), apk(&b, &c).unwrap(), apk(&a, &c).unwrap());
        let why = format!("{a} {ab:?} {b}, {b} {bc:?} {c}, {a} {ac:?} {c}");
        if ab == Ordering::Equal {
            prop_assert_eq!(ac, bc, "{}", why);
        } else if bc == Ordering::Equal || ab == bc {
            prop_assert_eq!(ac, ab, "{}", why);
        }
    }

    #[test]
    fn the_order_agrees_with_the_model(a in parts(), b in parts()) {
        let (va, vb) = (a.version().render(), b.version().render());
        prop_assert_eq!(apk(&va, &vb).unwrap(), a.model_cmp(&b), "{} vs {}", va, vb);
    }

    #[test]
    fn the_model_agrees_on_near_neighbours(a in parts(), which in 0usize..5, tweak in parts()) {
        // Random pairs mostly part at the first number; here b is a with
        // one part taken from another version, so they part late.
        let mut b = a.clone();
        match which {
            0 => b.numbers = tweak.numbers,
            1 => b.letter = tweak.letter,
            2 => b.suffixes = tweak.suffixes,
            3 => b.hash = tweak.hash,
            _ => b.revision = tweak.revision,
        }
        let (va, vb) = (a.version().render(), b.version().render());
        prop_assert_eq!(apk(&va, &vb).unwrap(), a.model_cmp(&b), "{} vs {}", va, vb);
    }

    #[test]
    fn a_higher_revision_is_newer_and_r0_is_newer_than_none(v in any_version(), r in 0u32..1000) {
        let mut v = v;
        v.revision = None;
        let bare = v.render();
        v.revision = Some(r.to_string());
        let lower = v.render();
        v.revision = Some((r + 1).to_string());
        let higher = v.render();
        prop_assert_eq!(apk(&lower, &higher), Ok(Ordering::Less), "{} vs {}", lower, higher);
        prop_assert_eq!(apk(&bare, &lower), Ok(Ordering::Less), "{} vs {}", bare, lower);
    }

    #[test]
    fn a_higher_last_number_is_newer(p in parts()) {
        let mut q = p.clone();
        *q.numbers.last_mut().unwrap() += 1;
        let (a, b) = (p.version().render(), q.version().render());
        prop_assert_eq!(apk(&a, &b), Ok(Ordering::Less), "{} vs {}", a, b);
    }

    #[test]
    fn one_more_number_is_newer(v in any_version(), n in text(&["0", "1", "00", "7"])) {
        let mut longer = v.clone();
        longer.numbers.push(n);
        let (a, b) = (v.render(), longer.render());
        prop_assert_eq!(apk(&a, &b), Ok(Ordering::Less), "{} vs {}", a, b);
    }

    #[test]
    fn an_appended_suffix_is_older_only_if_pre_release(
        v in any_version(),
        s in 0..SUFFIXES.len(),
        n in proptest::option::of(text(&["0", "1", "20240101"])),
    ) {
        let mut more = v.clone();
        more.suffixes.push((s, n));
        let (a, b) = (v.render(), more.render());
        let want = if s < PRE_RELEASE { Ordering::Greater } else { Ordering::Less };
        prop_assert_eq!(apk(&a, &b), Ok(want), "{} vs {}", a, b);
    }

    #[test]
    fn a_later_number_with_a_leading_zero_compares_as_text(
        v in any_version(),
        x in "[0-9]{1,4}",
        y in "0[0-9]{0,3}",
        swap in any::<bool>(),
    ) {
        // Two versions that differ only in one later number, one side of
        // which has a leading zero: apk orders them by the numbers' text.
        let (x, y) = if swap { (y, x) } else { (x, y) };
        let i = v.numbers.len();
        let (mut a, mut b) = (v.clone(), v);
        a.numbers.insert(i.min(1), x.clone());
        b.numbers.insert(i.min(1), y.clone());
        let (a, b) = (a.render(), b.render());
        prop_assert_eq!(apk(&a, &b), Ok(x.as_bytes().cmp(y.as_bytes())), "{} vs {}", a, b);
    }

    #[test]
    fn arbitrary_strings_never_panic(a in ".{0,40}", b in ".{0,40}") {
        let _ = apk(&a, &b);
    }

    #[test]
    fn near_valid_strings_never_panic_and_valid_ones_equal_themselves(
        a in "[0-9a-z._~-]{0,24}",
        b in "[0-9][0-9a-z._~-]{0,24}",
    ) {
        for (x, y) in [(&a, &b), (&b, &a), (&a, &a), (&b, &b)] {
            if let Ok(o) = apk(x, y) {
                prop_assert_eq!(apk(y, x), Ok(o.reverse()), "{} vs {}", x, y);
            }
        }
        if apk(&a, "1").is_ok() {
            prop_assert_eq!(apk(&a, &a), Ok(Ordering::Equal));
        }
    }
}
