//! Alpine's version order, as apk-tools implements it (`src/version.c`,
//! `apk_version_compare` and `apk_version_validate`, in its current form
//! with `~hash` support; older apk-tools accepted a few more malformed
//! strings, such as `1.0_` and `1.0-r`, which Alpine packages never carry).
//! No Rust crate implements it, and the Gentoo-derived implementations
//! elsewhere differ in the corners (see `tests/tests/version_order.rs`).
//!
//! A version is `N{.N}...{letter}{_suffix{N}}...{~hash}{-rN}`. apk reads it
//! as a row of tokens, each of a kind, and compares the rows token by token
//! while both have the same kind. Where the kinds part ways, the version
//! whose next token is a pre-release suffix (`_alpha`, `_beta`, `_pre`,
//! `_rc`) is the older; otherwise the one whose next token comes *earlier*
//! in the grammar is the newer, since it still has version left where the
//! other has moved on (`1.2.1` > `1.2a` > `1.2_p1` > `1.2~ab` > `1.2-r1` >
//! `1.2`).
//!
//! Three of apk's choices surprise readers used to other schemes:
//! - A number after the first with a leading zero is compared with its
//!   counterpart as a string (`1.01` < `1.1`, `1.001` < `1.01`, `1.0` <
//!   `1.00`, `1.010` > `1.01`): apk follows Gentoo's "fraction" rule but
//!   without Gentoo's stripping of trailing zeros. The first number is
//!   always read as a number (`01.2` = `1.2`).
//! - `-r0` is newer than no revision at all (`1.0` < `1.0-r0`).
//! - `_alpha` is not `_alpha0`: a suffix without a number ends before one
//!   with a number, which makes it older, unless a post-release suffix
//!   follows it (`1_alpha` < `1_alpha0` < `1_alpha_p`).
//!
//! Numbers are read as apk reads them, into 64 bits that wrap (apk's
//! `apk_blob_pull_uint`); no real version has a 20-digit number.

use std::cmp::Ordering;

use super::{VersionError, VersionScheme};

/// Orders two apk versions, or names the one apk would reject.
pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (tokens(a)?, tokens(b)?);
    for i in 0.. {
        match (a.get(i), b.get(i)) {
            (None, None) => return Ok(Ordering::Equal),
            (Some(x), Some(y)) if x.kind() == y.kind() => match x.cmp_same_kind(y) {
                Ordering::Equal => continue,
                other => return Ok(other),
            },
            (x, y) => return Ok(parting(x, y)),
        }
    }
    unreachable!("the loop returns once either row ends")
}

/// The order of two versions equal up to here, whose next tokens differ in
/// kind (`None`: the version has ended).
fn parting(a: Option<&Token<'_>>, b: Option<&Token<'_>>) -> Ordering {
    let pre = |t: Option<&Token<'_>>| matches!(t, Some(Token::Suffix(s)) if s.is_pre_release());
    if pre(a) {
        return Ordering::Less;
    }
    if pre(b) {
        return Ordering::Greater;
    }
    let kind = |t: Option<&Token<'_>>| t.map_or(Kind::End, Token::kind);
    // The earlier kind is the newer version: reversed.
    kind(b).cmp(&kind(a))
}

/// Token kinds in grammar order; where two versions part ways, the one
/// whose next token has the earlier kind is the newer (see [`parting`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Initial,
    Number,
    Letter,
    Suffix,
    SuffixNumber,
    Hash,
    Revision,
    End,
}

/// The named suffixes in apk's order; "no suffix" sits between `Rc` and
/// `Cvs`, which is what [`Suffix::is_pre_release`] expresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Suffix {
    Alpha,
    Beta,
    Pre,
    Rc,
    Cvs,
    Svn,
    Git,
    Hg,
    P,
}

impl Suffix {
    fn from_name(name: &[u8]) -> Option<Suffix> {
        Some(match name {
            b"alpha" => Suffix::Alpha,
            b"beta" => Suffix::Beta,
            b"pre" => Suffix::Pre,
            b"rc" => Suffix::Rc,
            b"cvs" => Suffix::Cvs,
            b"svn" => Suffix::Svn,
            b"git" => Suffix::Git,
            b"hg" => Suffix::Hg,
            b"p" => Suffix::P,
            _ => return None,
        })
    }

    /// Sorts before the same version without the suffix.
    fn is_pre_release(self) -> bool {
        self <= Suffix::Rc
    }
}

#[derive(Debug, Clone, Copy)]
enum Token<'a> {
    /// The leading number: always compared by value.
    Initial(u64),
    /// A `.N` number: by value, or as a string if either side has a
    /// leading zero.
    Number {
        digits: &'a [u8],
        value: u64,
    },
    Letter(u8),
    Suffix(Suffix),
    SuffixNumber(u64),
    /// `~hash`, lowercase hex, compared as a string.
    Hash(&'a [u8]),
    Revision(u64),
}

impl Token<'_> {
    fn kind(&self) -> Kind {
        match self {
            Token::Initial(_) => Kind::Initial,
            Token::Number { .. } => Kind::Number,
            Token::Letter(_) => Kind::Letter,
            Token::Suffix(_) => Kind::Suffix,
            Token::SuffixNumber(_) => Kind::SuffixNumber,
            Token::Hash(_) => Kind::Hash,
            Token::Revision(_) => Kind::Revision,
        }
    }

    /// Compares two tokens of the same kind.
    fn cmp_same_kind(&self, other: &Token<'_>) -> Ordering {
        match (self, other) {
            (
                Token::Number {
                    digits: a,
                    value: x,
                },
                Token::Number {
                    digits: b,
                    value: y,
                },
            ) => {
                if a.first() == Some(&b'0') || b.first() == Some(&b'0') {
                    a.cmp(b)
                } else {
                    x.cmp(y)
                }
            }
            (Token::Initial(x), Token::Initial(y))
            | (Token::SuffixNumber(x), Token::SuffixNumber(y))
            | (Token::Revision(x), Token::Revision(y)) => x.cmp(y),
            (Token::Letter(x), Token::Letter(y)) => x.cmp(y),
            (Token::Suffix(x), Token::Suffix(y)) => x.cmp(y),
            (Token::Hash(x), Token::Hash(y)) => x.cmp(y),
            _ => unreachable!("compare() only pairs tokens of one kind"),
        }
    }
}

/// Splits `text` into tokens, accepting exactly what apk-tools'
/// `apk_version_validate` accepts.
fn tokens(text: &str) -> Result<Vec<Token<'_>>, VersionError> {
    let bad = |reason: String| VersionError::new(VersionScheme::Apk, text, reason);
    let mut rest = text.as_bytes();
    let initial = take_while(&mut rest, |c| c.is_ascii_digit());
    if initial.is_empty() {
        return Err(bad(if text.is_empty() {
            "it is empty".into()
        } else {
            "it does not start with a digit".into()
        }));
    }
    let mut out = vec![Token::Initial(number(initial))];
    let mut last = Kind::Initial;
    while let Some(&c) = rest.first() {
        let token = match c {
            b'a'..=b'z' if last <= Kind::Number => {
                rest = &rest[1..];
                Token::Letter(c)
            }
            b'a'..=b'z' => {
                return Err(bad(format!(
                    "the letter {:?} is out of place (one letter may follow the numbers)",
                    char::from(c)
                )))
            }
            b'.' if last <= Kind::Number => {
                rest = &rest[1..];
                let digits = take_while(&mut rest, |c| c.is_ascii_digit());
                if digits.is_empty() {
                    return Err(bad("a dot is not followed by digits".into()));
                }
                Token::Number {
                    digits,
                    value: number(digits),
                }
            }
            b'.' => return Err(bad("a dot follows something other than a number".into())),
            // Numbers swallow all their digits, so a digit here can only
            // follow a suffix name (or, wrongly, the single letter).
            b'0'..=b'9' if last == Kind::Suffix => {
                Token::SuffixNumber(number(take_while(&mut rest, |c| c.is_ascii_digit())))
            }
            b'0'..=b'9' => return Err(bad("a digit follows the letter".into())),
            b'_' if last <= Kind::SuffixNumber => {
                rest = &rest[1..];
                let name = take_while(&mut rest, |c| c.is_ascii_lowercase());
                match Suffix::from_name(name) {
                    Some(s) => Token::Suffix(s),
                    None => {
                        return Err(bad(format!(
                            "_{} is not a suffix apk knows (alpha, beta, pre, rc, cvs, svn, git, hg, p)",
                            String::from_utf8_lossy(name)
                        )))
                    }
                }
            }
            b'_' => return Err(bad("a suffix comes after the ~hash or revision".into())),
            b'~' if last < Kind::Hash => {
                rest = &rest[1..];
                let hash = take_while(&mut rest, |c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
                if hash.is_empty() {
                    return Err(bad("~ is not followed by a lowercase hex hash".into()));
                }
                Token::Hash(hash)
            }
            b'~' => return Err(bad("a second ~hash, or one after the revision".into())),
            b'-' if last < Kind::Revision => {
                let Some(after) = rest.strip_prefix(b"-r") else {
                    return Err(bad(
                        "a hyphen is not followed by r (the revision is -rN)".into()
                    ));
                };
                rest = after;
                let digits = take_while(&mut rest, |c| c.is_ascii_digit());
                if digits.is_empty() {
                    return Err(bad("-r is not followed by digits".into()));
                }
                Token::Revision(number(digits))
            }
            b'-' => return Err(bad("a second revision follows the first".into())),
            _ => {
                let shown = text[text.len() - rest.len()..].chars().next();
                return Err(bad(format!(
                    "it holds {:?}, which apk does not allow",
                    shown.unwrap_or('?')
                )));
            }
        };
        last = token.kind();
        out.push(token);
    }
    Ok(out)
}

/// Takes the longest prefix of `rest` whose bytes satisfy `keep`.
fn take_while<'a>(rest: &mut &'a [u8], keep: impl Fn(u8) -> bool) -> &'a [u8] {
    let n = rest.iter().take_while(|&&c| keep(c)).count();
    let (taken, left) = rest.split_at(n);
    *rest = left;
    taken
}

/// Reads decimal digits as apk does: into 64 bits, wrapping.
fn number(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |n, d| {
        n.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::compare;
    use std::cmp::Ordering::{self, Equal, Greater, Less};

    fn check(table: &[(&str, Ordering, &str)]) {
        for &(a, want, b) in table {
            assert_eq!(compare(a, b), Ok(want), "{a} vs {b}");
            assert_eq!(compare(b, a), Ok(want.reverse()), "{b} vs {a}");
        }
    }

    /// Pairs from apk-tools' own test data (`test/version.data`, run by
    /// `apk vertest`), chosen for the rules they exercise.
    #[test]
    fn apk_tools_test_pairs() {
        check(&[
            // Suffixes and their numbers.
            ("2.34", Greater, "0.1.0_alpha"),
            ("0.1.0_alpha2", Greater, "0.1.0_alpha"),
            ("1.1", Greater, "1.1_alpha1"),
            ("1.3_alpha2", Less, "1.3_alpha3"),
            ("0.8_beta4", Less, "4.8-r1"),
            ("3.1_p16", Less, "3.1_p17"),
            ("1.0_p10-r0", Greater, "1.0_p9-r0"),
            ("1.3_pre1-r1", Less, "1.3.2"),
            ("0.1.0_alpha_pre2", Less, "0.1.0_alpha"),
            ("6.0_pre1", Less, "6.0"),
            ("6.0_p1", Greater, "6.0"),
            ("0.20070118", Less, "0.20070207_rc1"),
            ("0.20070207_rc1", Less, "1.0"),
            ("2.9.11_pre20051101-r3", Greater, "2.9.11_pre20051101"),
            (
                "1.0.0_pre20191002222144-r0",
                Less,
                "1.0.0_pre20210530193627-r0",
            ),
            // Revisions.
            ("1.3.5-r10", Greater, "1.3.5-r8"),
            ("2.18.3-r10", Greater, "1.05-r18"),
            ("1.2.2-r1", Greater, "1.2.2"),
            ("4.5_p1", Less, "4.5_p1-r1"),
            ("1.07-r1", Less, "1.07.5"),
            ("1.3-r0", Less, "1.3.1-r0"),
            // Letters.
            ("2.5.1-r8", Less, "2.5.1a-r1"),
            ("1.7", Less, "1.7b"),
            ("1.1a", Less, "1.3a"),
            ("0.15.1b-r2", Greater, "0.15.1b"),
            ("2.12r-r4", Less, "2.12r-r5"),
            ("0.9.8c-r1", Less, "0.9.8d"),
            // Leading zeros: the first number by value, later ones as text.
            ("1.06-r6", Less, "006"),
            ("006", Greater, "1.0.0"),
            ("3.0.0-r2", Less, "021109-r3"),
            ("0.9.28.1", Less, "087-r1"),
            ("2.2.3-r2", Less, "013"),
            ("1.02", Less, "1.03-r1"),
            ("1.02.07", Less, "1.02.10-r1"),
            ("1.2.07.8", Less, "1.2.12.04"),
            ("4.01", Less, "4.20"),
            ("0.01", Less, "0.06"),
            ("1.39", Greater, "1.00_beta2"),
            ("0.98", Less, "1.00"),
            ("3.9.8-r5", Greater, "2.01.01_alpha10"),
            ("2.10.1", Greater, "02.08.01b"),
            // Numbers of components.
            ("1.2.11", Less, "1.2.12.1"),
            ("22.7-r1", Less, "22.7.3-r1"),
            ("20060720", Greater, "3.0.20060720"),
            ("7.0.17", Less, "7.0.174"),
            ("1.0.0", Equal, "1.0.0"),
            ("2.16.1-r3", Equal, "2.16.1-r3"),
        ]);
    }

    /// Orderings stated by Alpine's version rules (the grammar comment and
    /// the suffix table in apk-tools' version.c), in aports-style versions.
    #[test]
    fn alpine_rules() {
        check(&[
            // Revisions compare as numbers, not text.
            ("1.2.4-r2", Less, "1.2.4-r10"),
            ("3.0.8-r0", Less, "3.0.8-r1"),
            // A _git snapshot is after the release it follows.
            ("2.36.1-r0", Less, "2.36.1_git20230101-r0"),
            ("2.36.1-r5", Less, "2.36.1_git20230101-r0"),
            ("2.36.1_git20230101-r0", Less, "2.36.2-r0"),
            // Pre-release before release before post-release.
            ("1.0_rc1", Less, "1.0"),
            ("1.0", Less, "1.0_p1"),
            ("1.0_alpha", Less, "1.0_beta"),
            ("1.0_beta", Less, "1.0_pre"),
            ("1.0_pre", Less, "1.0_rc"),
            ("1.0_rc", Less, "1.0"),
            ("1.0", Less, "1.0_cvs"),
            ("1.0_cvs", Less, "1.0_svn"),
            ("1.0_svn", Less, "1.0_git"),
            ("1.0_git", Less, "1.0_hg"),
            ("1.0_hg", Less, "1.0_p"),
            ("1.0_rc9", Less, "1.0_rc10"),
            // The single letter.
            ("1.0a", Less, "1.0b"),
            ("1.0", Less, "1.0a"),
            ("1.0z", Less, "1.0.1"),
            ("1.0a", Greater, "1.0_p1"),
            // Numbers.
            ("1.0.0", Less, "1.0.1"),
            ("1.9", Less, "1.10"),
            ("1.2", Less, "1.2.0"),
        ]);
    }

    /// apk-tools' leading-zero rule (`token_cmp`: a later number with a
    /// leading zero on either side compares as a string) and its reading of
    /// the first number by value.
    #[test]
    fn leading_zeros() {
        check(&[
            ("1.01", Less, "1.1"),
            ("1.001", Less, "1.01"),
            ("1.010", Greater, "1.01"),
            ("1.0", Less, "1.00"),
            ("1.05", Less, "1.5"),
            ("1.09", Less, "1.10"),
            ("1.0", Less, "1.1"),
            ("01.2", Equal, "1.2"),
            ("007", Equal, "7"),
            ("1.02_p1", Less, "1.1"),
        ]);
    }

    /// `~hash` (newer apk-tools): after the suffixes, before the revision,
    /// compared as text; a version that still has a hash where the other
    /// has moved to its revision or ended is the newer.
    #[test]
    fn commit_hashes() {
        check(&[
            ("1.0", Less, "1.0~abc"),
            ("1.0~abc", Less, "1.0~abd"),
            ("1.0~ab", Less, "1.0~abc"),
            ("1.0~abc-r1", Less, "1.0~abc-r2"),
            ("1.0-r5", Less, "1.0~abc"),
            ("1.0~abc", Less, "1.0_p1"),
            ("1.0_rc1~fff", Less, "1.0"),
            (
                "1.0_git20240101~0123abc-r0",
                Less,
                "1.0_git20240102~0000000-r0",
            ),
            ("1.0~9", Less, "1.0~a"),
        ]);
    }

    /// The surprises listed in the module doc, each from apk-tools'
    /// parting rule.
    #[test]
    fn apk_specific_corners() {
        check(&[
            // -r0 is a revision token; no revision is the end, which ranks
            // after it: so -r0 is newer than nothing.
            ("1.0", Less, "1.0-r0"),
            ("1.0-r0", Less, "1.0-r1"),
            // A suffix without a number ends before one with a number.
            ("1_alpha", Less, "1_alpha0"),
            ("1_alpha0", Less, "1_alpha_p"),
            ("1_alpha-r9", Less, "1_alpha0"),
            // 64-bit wrap, as apk reads numbers.
            ("18446744073709551617", Equal, "1"),
        ]);
    }

    #[test]
    fn invalid_versions_are_errors_with_a_reason() {
        for bad in [
            "",
            "v1.0",
            ".1",
            "1..0",
            "1.0.",
            "1.0ab",
            "1.0bc",
            "1.0A",
            "1.0a.1",
            "1.0a1",
            "1.0_",
            "1.0_foo",
            "23_foo",
            "1.0_alpha.1",
            "1.0_alphabeta",
            "1.0~",
            "1.0~ABC",
            "1.0~g",
            "1.0~ab~cd",
            "1.0~abc_p1",
            "1.0-1",
            "1.0-r",
            "1.0-rx",
            "1.0-r1-r2",
            "1.0-r1~abc",
            "1.0-r1_p1",
            "1.0-r1.1",
            "1.0 ",
            "1.0+1",
            "1.0é",
        ] {
            let err = compare(bad, "1.0").unwrap_err();
            assert_eq!(err.scheme, "apk");
            assert!(!err.reason.is_empty(), "{bad}");
            assert_eq!(compare("1.0", bad).unwrap_err(), err, "{bad}");
        }
    }

    #[test]
    fn error_reasons_say_what_is_wrong() {
        let reason = |v| compare(v, "1").unwrap_err().reason;
        assert_eq!(reason(""), "it is empty");
        assert_eq!(reason("v1"), "it does not start with a digit");
        assert!(reason("1.0_foo").contains("_foo"));
        assert!(reason("1.0-1").contains("-rN"));
        assert!(reason("1.0é").contains('é'));
    }
}
