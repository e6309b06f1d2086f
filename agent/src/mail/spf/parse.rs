//! Parsing one SPF record (RFC 7208 sections 4.5, 4.6, 5, 6 and 7) and
//! expanding the macros of a domain-spec that need no sender.
//!
//! The whole record is parsed before anything is looked up, as section
//! 4.6 requires: a syntax error anywhere, even after `all`, is a PermError.

use std::net::{Ipv4Addr, Ipv6Addr};

use trustwatch_rules::observe::{MechanismKind, Qualifier, SpfMechanism, SpfRecord};

/// A term that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{term}`: {reason}")]
pub struct SyntaxError {
    /// The term as written (or the record's start for a bad version).
    pub term: String,
    pub reason: String,
}

fn syntax(term: &str, reason: impl Into<String>) -> SyntaxError {
    SyntaxError {
        term: term.to_owned(),
        reason: reason.into(),
    }
}

/// Whether a TXT string is an SPF record: `v=spf1` (any case) followed by
/// a space or the end (section 4.5), so `v=spf10` is not one.
pub fn is_spf(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 6
        && bytes[..6].eq_ignore_ascii_case(b"v=spf1")
        && (bytes.len() == 6 || bytes[6] == b' ')
}

/// Parses an SPF record whose version [`is_spf`] accepted.
pub fn parse(text: &str) -> Result<SpfRecord, SyntaxError> {
    if !is_spf(text) {
        return Err(syntax(text.get(..6).unwrap_or(text), "not a v=spf1 record"));
    }
    let mut record = SpfRecord {
        text: text.to_owned(),
        mechanisms: Vec::new(),
        redirect: None,
        exp: None,
        unknown_modifiers: Vec::new(),
    };
    // Terms are separated by one or more SP (0x20) only; any other
    // character outside the visible range makes the term invalid.
    for term in text[6..].split(' ').filter(|t| !t.is_empty()) {
        if let Some(bad) = term.chars().find(|c| !('\x21'..='\x7e').contains(c)) {
            return Err(syntax(term, format!("invalid character {bad:?}")));
        }
        if let Some((name, value)) = modifier(term) {
            parse_modifier(&mut record, term, name, value)?;
        } else {
            record.mechanisms.push(parse_mechanism(term)?);
        }
    }
    Ok(record)
}

/// `name=value` when the term is a modifier: `name` is
/// `ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )` (section 12).
fn modifier(term: &str) -> Option<(&str, &str)> {
    let (name, value) = term.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    .then_some((name, value))
}

fn parse_modifier(
    record: &mut SpfRecord,
    term: &str,
    name: &str,
    value: &str,
) -> Result<(), SyntaxError> {
    let name = name.to_ascii_lowercase();
    match name.as_str() {
        "redirect" | "exp" => {
            check_domain_spec(value, false).map_err(|why| syntax(term, why))?;
            let slot = if name == "redirect" {
                &mut record.redirect
            } else {
                &mut record.exp
            };
            if slot.is_some() {
                return Err(syntax(term, format!("{name}= appears more than once")));
            }
            *slot = Some(value.to_owned());
        }
        _ => {
            // Unknown modifiers are ignored (section 6), but must still be
            // a valid macro-string.
            macro_pieces(value, true).map_err(|why| syntax(term, why))?;
            record.unknown_modifiers.push(term.to_owned());
        }
    }
    Ok(())
}

fn parse_mechanism(term: &str) -> Result<SpfMechanism, SyntaxError> {
    let (qualifier, rest) = match term.chars().next() {
        Some('+') => (Qualifier::Pass, &term[1..]),
        Some('-') => (Qualifier::Fail, &term[1..]),
        Some('~') => (Qualifier::SoftFail, &term[1..]),
        Some('?') => (Qualifier::Neutral, &term[1..]),
        _ => (Qualifier::Pass, term),
    };
    let name_end = rest.find([':', '/']).unwrap_or(rest.len());
    let (name, tail) = rest.split_at(name_end);
    let kind = match name.to_ascii_lowercase().as_str() {
        "all" => MechanismKind::All,
        "include" => MechanismKind::Include,
        "a" => MechanismKind::A,
        "mx" => MechanismKind::Mx,
        "ptr" => MechanismKind::Ptr,
        "ip4" => MechanismKind::Ip4,
        "ip6" => MechanismKind::Ip6,
        "exists" => MechanismKind::Exists,
        "" => return Err(syntax(term, "no mechanism name")),
        other => return Err(syntax(term, format!("unknown mechanism `{other}`"))),
    };
    let argument = match tail.strip_prefix(':') {
        Some(arg) => Some(arg),
        None if tail.is_empty() => None,
        // A bare CIDR length, allowed only after `a` and `mx`.
        None => Some(tail),
    };
    let bad = |why: String| syntax(term, why);
    match (kind, argument) {
        (MechanismKind::All, None) => {}
        (MechanismKind::All, Some(_)) => return Err(bad("all takes no argument".into())),
        (MechanismKind::Include | MechanismKind::Exists, Some(arg)) if tail.starts_with(':') => {
            check_domain_spec(arg, false).map_err(bad)?;
        }
        (MechanismKind::Include | MechanismKind::Exists, _) => {
            return Err(bad(format!("{} needs :domain", kind.as_str())))
        }
        (MechanismKind::Ptr, None) => {}
        (MechanismKind::Ptr, Some(arg)) if tail.starts_with(':') => {
            check_domain_spec(arg, false).map_err(bad)?;
        }
        (MechanismKind::Ptr, Some(_)) => return Err(bad("ptr takes no CIDR length".into())),
        (MechanismKind::A | MechanismKind::Mx, None) => {}
        (MechanismKind::A | MechanismKind::Mx, Some(arg)) => {
            let (domain, cidr) = split_dual_cidr(arg);
            if tail.starts_with(':') || !domain.is_empty() {
                check_domain_spec(domain, false).map_err(bad)?;
            }
            check_dual_cidr(cidr).map_err(bad)?;
        }
        (MechanismKind::Ip4 | MechanismKind::Ip6, Some(arg)) if tail.starts_with(':') => {
            network(kind, arg).map_err(bad)?;
        }
        (MechanismKind::Ip4 | MechanismKind::Ip6, _) => {
            return Err(bad(format!("{} needs :address", kind.as_str())))
        }
    }
    Ok(SpfMechanism {
        qualifier,
        kind,
        argument: argument.map(str::to_owned),
    })
}

/// An `ip4`/`ip6` argument as an address and prefix length.
pub fn network(kind: MechanismKind, arg: &str) -> Result<(std::net::IpAddr, u8), String> {
    let (address, length) = match arg.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (arg, None),
    };
    if kind == MechanismKind::Ip4 {
        let ip: Ipv4Addr = address
            .parse()
            .map_err(|_| format!("`{address}` is not an IPv4 address"))?;
        let prefix = length.map_or(Ok(32), |l| cidr_length(l, 32))?;
        Ok((ip.into(), prefix))
    } else {
        let ip: Ipv6Addr = address
            .parse()
            .map_err(|_| format!("`{address}` is not an IPv6 address"))?;
        let prefix = length.map_or(Ok(128), |l| cidr_length(l, 128))?;
        Ok((ip.into(), prefix))
    }
}

/// A CIDR length: decimal without leading zeros, at most `max`.
fn cidr_length(text: &str, max: u8) -> Result<u8, String> {
    let valid = !text.is_empty()
        && text.len() <= 3
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    match text.parse::<u8>() {
        Ok(n) if valid && n <= max => Ok(n),
        _ => Err(format!("`/{text}` is not a CIDR length of 0 to {max}")),
    }
}

/// Splits `domain/24//64` into the domain-spec and the dual CIDR length.
/// The first `/` outside a macro's braces starts the lengths.
pub(super) fn split_dual_cidr(arg: &str) -> (&str, &str) {
    let mut in_macro = false;
    for (i, c) in arg.char_indices() {
        match c {
            '{' if i > 0 && arg.as_bytes()[i - 1] == b'%' => in_macro = true,
            '}' => in_macro = false,
            '/' if !in_macro => return arg.split_at(i),
            _ => {}
        }
    }
    (arg, "")
}

/// `[ "/" ip4-cidr-length ] [ "//" ip6-cidr-length ]`.
fn check_dual_cidr(cidr: &str) -> Result<(), String> {
    if cidr.is_empty() {
        return Ok(());
    }
    let (v4, v6) = match cidr.split_once("//") {
        Some((v4, v6)) => (v4, Some(v6)),
        None => (cidr, None),
    };
    if !v4.is_empty() {
        let len = v4
            .strip_prefix('/')
            .ok_or_else(|| format!("`{cidr}` is not a CIDR length"))?;
        cidr_length(len, 32)?;
    }
    if let Some(v6) = v6 {
        cidr_length(v6, 128)?;
    }
    Ok(())
}

/// One piece of a macro-string (section 7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(String),
    Macro {
        letter: char,
        /// Right-hand parts to keep; `None` keeps all.
        digits: Option<usize>,
        reverse: bool,
        /// Characters to split on; `.` when none are given.
        delimiters: String,
    },
}

/// Splits a macro-string into literals and macros. `c`, `r` and `t` are
/// allowed only in explanation strings (`any_letter`).
pub fn macro_pieces(text: &str, any_letter: bool) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            literal.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => literal.push('%'),
            Some('_') => literal.push(' '),
            Some('-') => literal.push_str("%20"),
            Some('{') => {
                let mut body = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => body.push(c),
                        None => return Err(format!("unterminated macro in `{text}`")),
                    }
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(macro_expand(&body, any_letter)?);
            }
            Some(other) => return Err(format!("`%{other}` is not a macro in `{text}`")),
            None => return Err(format!("`%` at the end of `{text}`")),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

/// `macro-letter transformers *delimiter`.
fn macro_expand(body: &str, any_letter: bool) -> Result<Piece, String> {
    let mut chars = body.chars();
    let letter = chars.next().ok_or("empty macro `%{}`")?;
    let allowed = match letter.to_ascii_lowercase() {
        's' | 'l' | 'o' | 'd' | 'i' | 'p' | 'h' | 'v' => true,
        'c' | 'r' | 't' => any_letter,
        _ => false,
    };
    if !allowed {
        return Err(format!("`%{{{body}}}` has no macro letter `{letter}` here"));
    }
    let rest = chars.as_str();
    let digit_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (digits, rest) = rest.split_at(digit_end);
    let digits = if digits.is_empty() {
        None
    } else {
        // Section 7.3: the number must be non-zero. More parts than a
        // name can have keeps them all.
        match digits.parse::<usize>() {
            Ok(0) => return Err(format!("`%{{{body}}}` keeps zero parts")),
            Ok(n) => Some(n),
            Err(_) => None,
        }
    };
    let (reverse, delimiters) = match rest.strip_prefix(['r', 'R']) {
        Some(d) => (true, d),
        None => (false, rest),
    };
    if let Some(bad) = delimiters
        .chars()
        .find(|c| !matches!(c, '.' | '-' | '+' | ',' | '/' | '_' | '='))
    {
        return Err(format!("`%{{{body}}}` has an invalid delimiter {bad:?}"));
    }
    Ok(Piece::Macro {
        letter,
        digits,
        reverse,
        delimiters: delimiters.to_owned(),
    })
}

/// A domain-spec: a macro-string that ends in a top label or a macro
/// (section 7.1's `domain-end`).
fn check_domain_spec(spec: &str, any_letter: bool) -> Result<(), String> {
    let pieces = macro_pieces(spec, any_letter)?;
    match pieces.last() {
        None => Err("empty domain".into()),
        Some(Piece::Macro { .. }) => Ok(()),
        Some(Piece::Literal(last)) => {
            let trimmed = last.strip_suffix('.').unwrap_or(last);
            let Some((_, top)) = trimmed.rsplit_once('.') else {
                // `include:com` or `a:%{d}com`: no dot before the top label.
                return Err(format!("`{spec}` does not end in .toplabel"));
            };
            if is_toplabel(top) {
                Ok(())
            } else {
                Err(format!("`{spec}` does not end in a valid top label"))
            }
        }
    }
}

/// `( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" )
/// alphanum )`: letters and digits with at least one letter, or a
/// hyphenated label that neither starts nor ends with a hyphen.
fn is_toplabel(label: &str) -> bool {
    let b = label.as_bytes();
    if b.is_empty() || !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return false;
    }
    if b.contains(&b'-') {
        b[0] != b'-' && b[b.len() - 1] != b'-'
    } else {
        b.iter().any(u8::is_ascii_alphabetic)
    }
}

/// What a macro may be expanded from without a sender.
#[derive(Debug, Clone, Copy)]
pub struct MacroContext<'a> {
    /// `%{d}`: the name whose record is being evaluated.
    pub domain: &'a str,
    /// `%{o}`: the sender's domain. The walk assumes mail from the domain
    /// checked, so this is the top-level domain.
    pub sender_domain: &'a str,
}

/// Expands a domain-spec, or names the macro letter that needs the sender
/// (`i`, `s`, `l`, `p`, `h`, `v`, …) and so cannot be expanded here.
pub fn expand(spec: &str, ctx: MacroContext<'_>) -> Result<String, char> {
    // The parser has checked the syntax; a failure here means the spec
    // came from elsewhere, and is treated as not expandable.
    let pieces = macro_pieces(spec, false).map_err(|_| '?')?;
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Literal(text) => out.push_str(&text),
            Piece::Macro {
                letter,
                digits,
                reverse,
                delimiters,
            } => {
                let value = match letter.to_ascii_lowercase() {
                    'd' => ctx.domain,
                    'o' => ctx.sender_domain,
                    other => return Err(other),
                };
                out.push_str(&transform(value, digits, reverse, &delimiters));
            }
        }
    }
    Ok(shorten(out.trim_end_matches('.')).to_ascii_lowercase())
}

/// Section 7.3: split on the delimiters, optionally reverse, keep the
/// right-most parts, join with dots.
fn transform(value: &str, digits: Option<usize>, reverse: bool, delimiters: &str) -> String {
    let delimiters = if delimiters.is_empty() {
        "."
    } else {
        delimiters
    };
    let mut parts: Vec<&str> = value.split(|c| delimiters.contains(c)).collect();
    if reverse {
        parts.reverse();
    }
    let keep = digits.unwrap_or(parts.len()).min(parts.len());
    parts[parts.len() - keep..].join(".")
}

/// Section 7.3: an expansion longer than 253 characters loses labels from
/// the left until it fits.
fn shorten(name: &str) -> &str {
    let mut name = name;
    while name.len() > 253 {
        match name.split_once('.') {
            Some((_, rest)) => name = rest,
            None => break,
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_spf_records_by_exact_version() {
        assert!(is_spf("v=spf1"));
        assert!(is_spf("V=SPF1 -all"));
        assert!(!is_spf("v=spf10 -all"));
        assert!(!is_spf("v=DMARC1; p=none"));
        assert!(!is_spf(" v=spf1 -all"));
    }

    #[test]
    fn parses_mechanisms_and_modifiers() {
        let r = parse(
            "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.test/24//64 \
             a/28 ptr ?exists:%{i}._spf.%{d} include:_spf.example.test ~all \
             redirect=other.test exp=explain.%{d} foo=bar",
        )
        .unwrap();
        let written: Vec<String> = r.mechanisms.iter().map(ToString::to_string).collect();
        assert_eq!(
            written,
            [
                "ip4:192.0.2.0/24",
                "ip6:2001:db8::/32",
                "a",
                "mx:mail.example.test/24//64",
                "a/28",
                "ptr",
                "?exists:%{i}._spf.%{d}",
                "include:_spf.example.test",
                "~all"
            ]
        );
        assert_eq!(r.all(), Some(Qualifier::SoftFail));
        assert_eq!(r.redirect.as_deref(), Some("other.test"));
        assert_eq!(r.exp.as_deref(), Some("explain.%{d}"));
        assert_eq!(r.unknown_modifiers, ["foo=bar"]);
    }

    #[test]
    fn rejects_bad_terms() {
        for (record, term) in [
            ("v=spf1 ip4:999.1.1.1 -all", "ip4:999.1.1.1"),
            ("v=spf1 ip4:192.0.2.0/33 -all", "ip4:192.0.2.0/33"),
            ("v=spf1 ip4:192.0.2.0/024 -all", "ip4:192.0.2.0/024"),
            ("v=spf1 ip6:2001:db8::/129", "ip6:2001:db8::/129"),
            ("v=spf1 ip6:192.0.2.1", "ip6:192.0.2.1"),
            ("v=spf1 foo:bar -all", "foo:bar"),
            ("v=spf1 all:x", "all:x"),
            ("v=spf1 include", "include"),
            ("v=spf1 include:com", "include:com"),
            ("v=spf1 a:127.0.0.1", "a:127.0.0.1"),
            ("v=spf1 a/33", "a/33"),
            ("v=spf1 exists:%{x}.test", "exists:%{x}.test"),
            ("v=spf1 exists:%{c}.test", "exists:%{c}.test"),
            ("v=spf1 exists:%{d0}.test", "exists:%{d0}.test"),
            ("v=spf1 include:%{d.test", "include:%{d.test"),
            ("v=spf1 include:50%.test", "include:50%.test"),
            ("v=spf1 redirect=a.test redirect=b.test", "redirect=b.test"),
            ("v=spf1 -all\tmx", "-all\tmx"),
            ("v=spf1 ~", "~"),
        ] {
            let err = parse(record).unwrap_err();
            assert_eq!(err.term, term, "{record}: {err}");
        }
        // A syntax error after `all` still counts (section 4.6).
        assert!(parse("v=spf1 -all ip4:1.2.3").is_err());
    }

    #[test]
    fn expands_domain_macros_and_names_the_rest() {
        let ctx = MacroContext {
            domain: "mail.example.test",
            sender_domain: "example.test",
        };
        assert_eq!(expand("_spf.%{d}", ctx).unwrap(), "_spf.mail.example.test");
        assert_eq!(expand("%{d2}.x.test", ctx).unwrap(), "example.test.x.test");
        assert_eq!(
            expand("%{dr}.x.test", ctx).unwrap(),
            "test.example.mail.x.test"
        );
        assert_eq!(expand("%{d1r}.x.test", ctx).unwrap(), "mail.x.test");
        assert_eq!(expand("%{o}.", ctx).unwrap(), "example.test");
        assert_eq!(expand("%{D}", ctx).unwrap(), "mail.example.test");
        assert_eq!(expand("%{i}._spf.%{d}", ctx), Err('i'));
        assert_eq!(expand("%{h}.test", ctx), Err('h'));
        let long = format!(
            "{}.%{{d}}",
            "a".repeat(63) + "." + &"b".repeat(63) + "." + &"c".repeat(63) + "." + &"e".repeat(63)
        );
        let expanded = expand(&long, ctx).unwrap();
        assert!(expanded.len() <= 253, "{}", expanded.len());
        assert!(expanded.ends_with("mail.example.test"));
    }

    #[test]
    fn toplabels() {
        assert!(is_toplabel("test"));
        assert!(is_toplabel("x1"));
        assert!(is_toplabel("xn--p1ai"));
        assert!(!is_toplabel("123"));
        assert!(!is_toplabel("-ab"));
        assert!(!is_toplabel(""));
    }
}
