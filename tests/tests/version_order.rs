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

use std::cmp::Ordering;
use std::io::Write as _;
use std::process::{Command, Stdio};

use trustwatch_agent::packages::version::{compare, VersionScheme};

const PAIRS: usize = 100_000;

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

/// Runs `script` with Debian's python3, feeding `input`; returns one
/// ordering per line of output.
fn oracle(script: &str, input: &str) -> Vec<Ordering> {
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3 (Debian's python3)");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let writer = std::thread::spawn(move || {
        stdin.write_all(input.as_bytes()).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "oracle failed (scripts/test installs python3-apt and python3-rpm): {}",
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
    let theirs = oracle(script, &input);
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
    let theirs = oracle(script, &input);
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

fn assert_no_disagreement(wrong: &[String]) {
    assert!(
        wrong.is_empty(),
        "{} disagreements, e.g.:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(10)].join("\n")
    );
}
