//! Parsers for the response headers the HTTP rules judge. Header values come
//! from any server on the network, so every function here accepts any text
//! and never panics.

use std::fmt;

/// A Strict-Transport-Security policy as a browser would record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HstsPolicy {
    /// Seconds; values too large for u64 saturate.
    pub max_age: u64,
    pub include_subdomains: bool,
    pub preload: bool,
}

/// Why a browser would ignore a Strict-Transport-Security header
/// (RFC 6797 §6.1 and §8.1). Data about the server, not an error of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HstsDefect {
    /// The required `max-age` directive is missing.
    NoMaxAge,
    /// `max-age` is not a number of seconds.
    BadMaxAge(String),
    /// A directive appears more than once.
    Duplicate(String),
    /// A directive that is not `name[=value]` (bad characters, unclosed
    /// quote).
    Malformed(String),
}

impl fmt::Display for HstsDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HstsDefect::NoMaxAge => f.write_str("max-age is missing"),
            HstsDefect::BadMaxAge(v) => write!(f, "max-age {v:?} is not a number of seconds"),
            HstsDefect::Duplicate(d) => write!(f, "directive {d} appears more than once"),
            HstsDefect::Malformed(d) => write!(f, "directive {d:?} is malformed"),
        }
    }
}

/// RFC 9110 `tchar`: the characters of a token.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_tchar)
}

/// Splits on `;` outside quoted strings. `None` if a quote is left open.
fn split_directives(value: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted {
        return None;
    }
    out.push(&value[start..]);
    Some(out)
}

/// The text of a token or quoted-string directive value.
fn unquote(v: &str) -> Option<String> {
    match v.strip_prefix('"') {
        None => is_token(v).then(|| v.to_owned()),
        Some(rest) => {
            let inner = rest.strip_suffix('"')?;
            let mut out = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' { chars.next()? } else { c });
            }
            Some(out)
        }
    }
}

/// Parses one Strict-Transport-Security value (RFC 6797 §6.1).
pub fn parse_hsts(value: &str) -> Result<HstsPolicy, HstsDefect> {
    let parts = split_directives(value).ok_or_else(|| HstsDefect::Malformed(value.to_owned()))?;
    let mut seen: Vec<String> = Vec::new();
    let mut max_age = None;
    let (mut include_subdomains, mut preload) = (false, false);
    for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let (name, val) = match part.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (part, None),
        };
        if !is_token(name) {
            return Err(HstsDefect::Malformed(part.to_owned()));
        }
        let name = name.to_ascii_lowercase();
        if seen.contains(&name) {
            return Err(HstsDefect::Duplicate(name));
        }
        let val = match val {
            Some(v) => Some(unquote(v).ok_or_else(|| HstsDefect::Malformed(part.to_owned()))?),
            None => None,
        };
        match name.as_str() {
            "max-age" => {
                let v = val.unwrap_or_default();
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(HstsDefect::BadMaxAge(v));
                }
                max_age = Some(v.parse::<u64>().unwrap_or(u64::MAX));
            }
            "includesubdomains" => include_subdomains = true,
            "preload" => preload = true,
            // Unknown directives are ignored (RFC 6797 §6.1).
            _ => {}
        }
        seen.push(name);
    }
    Ok(HstsPolicy {
        max_age: max_age.ok_or(HstsDefect::NoMaxAge)?,
        include_subdomains,
        preload,
    })
}

/// A product version, not an opaque identifier: starts with a digit and is
/// all digits or dotted (`1.24.0`, `8`, `9.4.44.v2021`; not `7F84`).
fn looks_like_version(v: &str) -> bool {
    v.starts_with(|c: char| c.is_ascii_digit())
        && (v.contains('.') || v.bytes().all(|b| b.is_ascii_digit()))
}

/// Product tokens that carry a version number in a `Server` or
/// `X-Powered-By` value: `nginx/1.24.0`, `PHP/8.2`, `Jetty(9.4.44)`.
/// A bare product (`nginx`, `ASP.NET`) discloses nothing.
pub fn version_tokens(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in value.split_whitespace() {
        let word = word.trim_matches(|c| matches!(c, '(' | ')' | ',' | ';'));
        let found = match word.split_once('/') {
            Some((product, version)) => !product.is_empty() && looks_like_version(version),
            None => match word.split_once('(') {
                Some((product, version)) => !product.is_empty() && looks_like_version(version),
                None => false,
            },
        };
        if found {
            out.push(word.to_owned());
        }
    }
    out
}

/// The `frame-ancestors` directive of a Content-Security-Policy value, if
/// any of its comma-separated policies has one.
pub fn csp_frame_ancestors(csp: &str) -> Option<String> {
    csp.split([',', ';']).find_map(|directive| {
        let mut words = directive.split_ascii_whitespace();
        let name = words.next()?;
        name.eq_ignore_ascii_case("frame-ancestors")
            .then(|| words.collect::<Vec<_>>().join(" "))
    })
}

/// True when X-Frame-Options actually stops framing: `DENY` or
/// `SAMEORIGIN`. `ALLOW-FROM` is ignored by current browsers.
pub fn frame_options_effective(value: &str) -> bool {
    let first = value.split(',').next().unwrap_or("").trim();
    first.eq_ignore_ascii_case("deny") || first.eq_ignore_ascii_case("sameorigin")
}

/// True for `X-Content-Type-Options: nosniff`.
pub fn nosniff(value: &str) -> bool {
    value
        .split(',')
        .next()
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("nosniff"))
}

const REFERRER_POLICIES: &[&str] = &[
    "no-referrer",
    "no-referrer-when-downgrade",
    "same-origin",
    "origin",
    "strict-origin",
    "origin-when-cross-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
];

/// The policy a browser applies: the last token it recognises (W3C
/// Referrer Policy §11.1), lower-cased.
pub fn referrer_policy(value: &str) -> Option<&'static str> {
    value.split(',').rev().find_map(|t| {
        let t = t.trim();
        REFERRER_POLICIES
            .iter()
            .copied()
            .find(|p| p.eq_ignore_ascii_case(t))
    })
}

/// The host of an absolute `https://` URL (IPv6 kept in brackets,
/// lower-cased, without a trailing dot), or `None` for anything else.
pub fn https_host(location: &str) -> Option<String> {
    let loc = location.trim();
    let scheme = loc.get(..8)?;
    if !scheme.eq_ignore_ascii_case("https://") {
        return None;
    }
    let rest = &loc[8..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit('@').next().unwrap_or("");
    let host = if hostport.starts_with('[') {
        &hostport[..hostport.find(']')? + 1]
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}
