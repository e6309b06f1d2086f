//! Version ordering against the distributions' own code: 100,000 generated
//! pairs each, compared by Trustwatch and by python3-apt's
//! `apt_pkg.version_compare` (dpkg's algorithm, in libapt) and python3-rpm's
//! `rpm.labelCompare` (librpm's rpmvercmp) — Debian's packages, run with
//! Debian's /usr/bin/python3. Zero disagreements allowed.
//!
//! The generator leans on the edge cases: epochs, `~` (before anything,
//! even the end), `^` (RPM: after the end, before anything else), letters
//! against digits, leading zeros, `+`/`.`/`_` separators, native Debian
//! versions without a revision.
//!
//! Alpine's apk order has no such oracle here (apk-tools is not in Debian).
//! Its nearest independent implementation is `univers`' (PyPI, installed
//! by scripts/test) `AlpineLinuxVersion`, which is Gentoo's algorithm
//! (from pkgcore), not apk-tools'. 20,000 pairs are checked against it;
//! it differs from apk-tools in three known ways, listed in
//! [`GENTOO_READINGS`] with the reason, and every other disagreement fails.

use std::cmp::Ordering;
use std::io::Write as _;
use std::process::{Command, Stdio};

use trustwatch_agent::packages::version::{compare, VersionScheme};

const PAIRS: usize = 100_000;
const APK_PAIRS: usize = 20_000;
/// Debian's python3, which has python3-apt and python3-rpm.
const DEBIAN_PYTHON: &str = "/usr/bin/python3";
/// The python3 on PATH, into which scripts/test pip-installs univers.
const PIP_PYTHON: &str = "python3";

/// xorshift64*: a fixed seed, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A part of a version: digits (with leading zeros now and then) and
/// letters and separators from `alphabet`, starting with a digit.
fn part(rng: &mut Rng, alphabet: &[&str]) -> String {
    let mut s = String::new();
    s.push_str(rng.pick(&["0", "1", "2", "9", "10", "01", "007", "99"]));
    for _ in 0..rng.below(6) {
        s.push_str(rng.pick(alphabet));
    }
    s
}

fn dpkg_version(rng: &mut Rng) -> String {
    const UP: &[&str] = &[
        "0", "1", "2", "10", "00", ".", ".", "+", "~", "~~", "a", "b", "z", "A", "Z", "rc", "dfsg",
        "deb11u", "~bpo", "+really",
    ];
    const REV: &[&str] = &[
        "0", "1", "2", "10", ".", "+", "~", "a", "deb12u", "ubuntu", "build",
    ];
    let mut v = String::new();
    if rng.below(5) == 0 {
        v.push_str(rng.pick(&["0", "1", "2", "10"]));
        v.push(':');
    }
    v.push_str(&part(rng, UP));
    if rng.below(4) != 0 {
        v.push('-');
        v.push_str(&part(rng, REV));
    }
    v
}

/// (epoch, version, release); the epoch empty when absent.
fn rpm_evr(rng: &mut Rng) -> (String, String, String) {
    const V: &[&str] = &[
        "0", "1", "2", "10", "00", ".", ".", "_", "+", "~", "^", "a", "b", "z", "A", "rc", "git",
        "el",
    ];
    const R: &[&str] = &[
        "0", "1", "2", "10", ".", "el", "9", "fc", "~", "^", "_", "a",
    ];
    let epoch = if rng.below(5) == 0 {
        rng.pick(&["0", "1", "2", "10"]).to_owned()
    } else {
        String::new()
    };
    (epoch, part(rng, V), part(rng, R))
}

/// Runs `script` with `python`, feeding `input`; returns one ordering per
/// line of output.
fn oracle(python: &str, script: &str, input: &str) -> Vec<Ordering> {
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let writer = std::thread::spawn(move || {
        stdin.write_all(input.as_bytes()).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "oracle failed (scripts/test installs python3-apt, python3-rpm and univers): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| match l.trim() {
            "-1" => Ordering::Less,
            "0" => Ordering::Equal,
            "1" => Ordering::Greater,
            other => panic!("oracle said {other:?}"),
        })
        .collect()
}

#[test]
fn dpkg_order_agrees_with_libapt_on_100k_pairs() {
    let mut rng = Rng(0x5eed_0001);
    let pairs: Vec<(String, String)> = (0..PAIRS)
        .map(|_| (dpkg_version(&mut rng), dpkg_version(&mut rng)))
        .collect();
    let input: String = pairs.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let script = "import sys, apt_pkg\napt_pkg.init_system()\nout = []\nfor line in sys.stdin:\n    a, b = line.rstrip('\\n').split('\\t')\n    c = apt_pkg.version_compare(a, b)\n    out.append('1' if c > 0 else '-1' if c < 0 else '0')\nprint('\\n'.join(out))\n";
    let theirs = oracle(DEBIAN_PYTHON, script, &input);
    assert_eq!(theirs.len(), PAIRS);
    let wrong: Vec<String> = pairs
        .iter()
        .zip(&theirs)
        .filter_map(|((a, b), want)| {
            let got = compare(VersionScheme::Dpkg, a, b).expect("generated versions are valid");
            (got != *want).then(|| format!("{a} vs {b}: libapt {want:?}, ours {got:?}"))
        })
        .collect();
    assert_no_disagreement(&wrong);
}

#[test]
fn rpm_order_agrees_with_librpm_on_100k_pairs() {
    let mut rng = Rng(0x5eed_0002);
    let pairs: Vec<_> = (0..PAIRS)
        .map(|_| (rpm_evr(&mut rng), rpm_evr(&mut rng)))
        .collect();
    let input: String = pairs
        .iter()
        .map(|(a, b)| format!("{}\t{}\t{}\t{}\t{}\t{}\n", a.0, a.1, a.2, b.0, b.1, b.2))
        .collect();
    // An absent epoch is None to librpm, which it treats as 0.
    let script = "import sys, rpm\nout = []\nfor line in sys.stdin:\n    f = line.rstrip('\\n').split('\\t')\n    e = lambda x: x or None\n    c = rpm.labelCompare((e(f[0]), f[1], f[2]), (e(f[3]), f[4], f[5]))\n    out.append('1' if c > 0 else '-1' if c < 0 else '0')\nprint('\\n'.join(out))\n";
    let theirs = oracle(DEBIAN_PYTHON, script, &input);
    assert_eq!(theirs.len(), PAIRS);
    let evr = |(e, v, r): &(String, String, String)| {
        if e.is_empty() {
            format!("{v}-{r}")
        } else {
            format!("{e}:{v}-{r}")
        }
    };
    let wrong: Vec<String> = pairs
        .iter()
        .zip(&theirs)
        .filter_map(|((a, b), want)| {
            let (a, b) = (evr(a), evr(b));
            let got = compare(VersionScheme::Rpm, &a, &b).unwrap();
            (got != *want).then(|| format!("{a} vs {b}: librpm {want:?}, ours {got:?}"))
        })
        .collect();
    assert_no_disagreement(&wrong);
}

/// An apk version both apk-tools and univers accept: no `~hash` and none
/// of the `_cvs`/`_svn`/`_git`/`_hg` suffixes (Gentoo has neither), and no
/// leading zero on the first number (univers rejects it). Later numbers
/// get leading and trailing zeros, suffixes go bare or numbered, and
/// revisions include `-r0`.
fn apk_version(rng: &mut Rng) -> String {
    const FIRST: &[&str] = &["0", "1", "2", "9", "10", "20230101"];
    const LATER: &[&str] = &[
        "0", "1", "2", "9", "10", "00", "01", "010", "001", "09", "100",
    ];
    const SUFFIX: &[&str] = &["alpha", "beta", "pre", "rc", "p"];
    const SUFFIX_NO: &[&str] = &["", "", "0", "1", "2", "10", "01", "20230101"];
    const REVISION: &[&str] = &["0", "0", "1", "2", "10", "01"];
    let mut v = rng.pick(FIRST).to_owned();
    for _ in 0..rng.below(4) {
        v.push('.');
        v.push_str(rng.pick(LATER));
    }
    if rng.below(4) == 0 {
        v.push_str(rng.pick(&["a", "b", "z"]));
    }
    for _ in 0..[0, 0, 1, 1, 2][rng.below(5)] {
        v.push('_');
        v.push_str(rng.pick(SUFFIX));
        v.push_str(rng.pick(SUFFIX_NO));
    }
    if rng.below(2) == 0 {
        v.push_str("-r");
        v.push_str(rng.pick(REVISION));
    }
    v
}

/// A neighbour of `v`: the same with one part regenerated, so that pairs
/// part late, where the rules differ.
fn apk_neighbour(rng: &mut Rng, v: &str) -> String {
    let other = apk_version(rng);
    let (v_main, v_rev) = v.split_once("-r").map_or((v, ""), |(m, r)| (m, r));
    let (o_main, o_rev) = other
        .split_once("-r")
        .map_or((&*other, ""), |(m, r)| (m, r));
    let with_rev = |main: &str, rev: &str| {
        if rev.is_empty() {
            main.to_owned()
        } else {
            format!("{main}-r{rev}")
        }
    };
    match rng.below(3) {
        // Another revision.
        0 => with_rev(v_main, o_rev),
        // Another suffix list.
        1 => {
            let base = v_main.split('_').next().unwrap();
            let suffixes = o_main.find('_').map_or("", |i| &o_main[i..]);
            with_rev(&format!("{base}{suffixes}"), v_rev)
        }
        // One more (or one other) number or letter at the end of the numbers.
        _ => {
            let (base, suffixes) = v_main
                .find('_')
                .map_or((v_main, ""), |i| v_main.split_at(i));
            let base = base.trim_end_matches(|c: char| c.is_ascii_lowercase());
            let tail = rng.pick(&[".0", ".00", ".01", ".010", ".1", "a", "", ".0a"]);
            with_rev(&format!("{base}{tail}{suffixes}"), v_rev)
        }
    }
}

/// Rewrites a version string.
type Rewrite = fn(&str) -> String;

/// Where univers' (Gentoo's) reading of a version differs from apk-tools',
/// as a rewrite to the Gentoo reading: a disagreement is explained when our
/// order on the rewritten pair gives univers' answer. Checked in apk-tools'
/// `src/version.c` (token kinds and `token_cmp`) against pkgcore's `vercmp`
/// that univers carries.
const GENTOO_READINGS: &[(&str, Rewrite)] = &[
    // Gentoo: -r0 is no revision. apk: `-r0` is a revision token, which
    // ranks before the end of the string, so 1.0 < 1.0-r0.
    ("-r0 = no revision", |v| match v.rsplit_once("-r") {
        Some((main, r)) if r.bytes().all(|c| c == b'0') => main.to_owned(),
        _ => v.to_owned(),
    }),
    // Gentoo: a bare suffix has number 0. apk: a suffix with no number
    // ends where the other has a number token, so 1_rc < 1_rc0.
    ("_suffix = _suffix0", |v| {
        let mut out = String::new();
        let mut parts = v.split('_');
        out.push_str(parts.next().unwrap());
        for part in parts {
            out.push('_');
            let name_end = part
                .find(|c: char| !c.is_ascii_lowercase())
                .unwrap_or(part.len());
            let after = &part[name_end..];
            out.push_str(&part[..name_end]);
            if !after.starts_with(|c: char| c.is_ascii_digit()) {
                out.push('0');
            }
            out.push_str(after);
        }
        out
    }),
    // Gentoo: a number with a leading zero is a fraction, trailing zeros
    // dropped (1.010 = 1.01, 1.0 = 1.00). apk compares the text as it is
    // (1.01 < 1.010, 1.0 < 1.00).
    ("trailing zeros of 0-led numbers ignored", |v| {
        let (main, rest) = v.find(['_', '-']).map_or((v, ""), |i| v.split_at(i));
        let mut numbers = main.split('.');
        let mut out = numbers.next().unwrap().to_owned();
        for n in numbers {
            out.push('.');
            let digits_end = n.find(|c: char| !c.is_ascii_digit()).unwrap_or(n.len());
            let (digits, letter) = n.split_at(digits_end);
            if digits.starts_with('0') {
                let kept = digits.trim_end_matches('0');
                out.push_str(if kept.is_empty() { "0" } else { kept });
            } else {
                out.push_str(digits);
            }
            out.push_str(letter);
        }
        out + rest
    }),
];

#[test]
fn apk_order_agrees_with_univers_on_20k_pairs_but_for_known_gentoo_readings() {
    let mut rng = Rng(0x5eed_0003);
    let pairs: Vec<(String, String)> = (0..APK_PAIRS)
        .map(|_| {
            let a = apk_version(&mut rng);
            let b = if rng.below(2) == 0 {
                apk_neighbour(&mut rng, &a)
            } else {
                apk_version(&mut rng)
            };
            (a, b)
        })
        .collect();
    let input: String = pairs.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let script = "import sys\nfrom univers.versions import AlpineLinuxVersion as V\nout = []\nfor line in sys.stdin:\n    a, b = (V(x) for x in line.rstrip('\\n').split('\\t'))\n    out.append('1' if a > b else '-1' if a < b else '0')\nprint('\\n'.join(out))\n";
    let theirs = oracle(PIP_PYTHON, script, &input);
    assert_eq!(theirs.len(), APK_PAIRS);
    let ours = |a: &str, b: &str| {
        compare(VersionScheme::Apk, a, b).unwrap_or_else(|e| panic!("generated: {e}"))
    };
    let mut explained = vec![0usize; GENTOO_READINGS.len() + 1];
    let mut wrong = Vec::new();
    for ((a, b), want) in pairs.iter().zip(&theirs) {
        let got = ours(a, b);
        if got == *want {
            continue;
        }
        let alone = GENTOO_READINGS
            .iter()
            .position(|(_, gentoo)| ours(&gentoo(a), &gentoo(b)) == *want);
        let all = |v: &str| GENTOO_READINGS.iter().fold(v.to_owned(), |v, (_, g)| g(&v));
        match alone {
            Some(i) => explained[i] += 1,
            None if ours(&all(a), &all(b)) == *want => explained[GENTOO_READINGS.len()] += 1,
            None => wrong.push(format!("{a} vs {b}: univers {want:?}, ours {got:?}")),
        }
    }
    for (i, (name, _)) in GENTOO_READINGS.iter().enumerate() {
        eprintln!("univers differs by reading {name}: {} pairs", explained[i]);
        // Each listed difference is real: the generator meets it.
        assert!(
            explained[i] > 0,
            "no pair shows the listed difference {name}"
        );
    }
    eprintln!(
        "univers differs by several readings at once: {} pairs",
        explained[GENTOO_READINGS.len()]
    );
    assert_no_disagreement(&wrong);
}

fn assert_no_disagreement(wrong: &[String]) {
    assert!(
        wrong.is_empty(),
        "{} disagreements, e.g.:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(10)].join("\n")
    );
}
