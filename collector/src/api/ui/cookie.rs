//! The web view's session cookie: the API token itself, so the store's
//! token check (revocation, expiry, role) applies to every page and there
//! is no second kind of session to revoke.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;

pub(super) const NAME: &str = "trustwatch_ui";
/// A working day; the token's own expiry still applies within it.
const MAX_AGE_SECS: u32 = 8 * 3600;

/// The token a browser sent in the cookie, if any.
pub(super) fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NAME)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// Whether the browser reached us over TLS. The listener itself is plain
/// HTTP; a TLS-terminating proxy in front says so in X-Forwarded-Proto.
/// Believing it can only make the cookie stricter.
pub(super) fn secure(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// `Set-Cookie` for a token the store has just accepted.
pub(super) fn set(token: &str, secure: bool) -> String {
    format!(
        "{NAME}={token}; Path=/ui; Max-Age={MAX_AGE_SECS}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` that makes the browser forget the token.
pub(super) fn clear(secure: bool) -> String {
    format!(
        "{NAME}=; Path=/ui; Max-Age=0; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Adds `value` as a `Set-Cookie` header; a token is ASCII, so this only
/// fails for text the store would never have accepted.
pub(super) fn attach(response: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for c in cookies {
            h.append(header::COOKIE, HeaderValue::from_str(c).unwrap());
        }
        h
    }

    #[test]
    fn the_token_is_found_among_other_cookies() {
        assert_eq!(
            token(&headers(&["a=1; trustwatch_ui=twa_00.xy; b=2"])),
            Some("twa_00.xy".into())
        );
        assert_eq!(
            token(&headers(&["a=1", "trustwatch_ui=twa_01.z"])),
            Some("twa_01.z".into())
        );
        assert_eq!(
            token(&headers(&["trustwatch_ui=\"twa_02.q\""])),
            Some("twa_02.q".into())
        );
    }

    #[test]
    fn no_empty_or_lookalike_cookie_is_a_token() {
        assert_eq!(token(&headers(&[])), None);
        assert_eq!(token(&headers(&["trustwatch_ui="])), None);
        assert_eq!(token(&headers(&["xtrustwatch_ui=twa_00.xy"])), None);
        assert_eq!(token(&headers(&["trustwatch_uix=twa_00.xy"])), None);
        assert_eq!(token(&headers(&["garbage"])), None);
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_only_over_tls() {
        let plain = set("twa_00.xy", false);
        assert_eq!(
            plain,
            "trustwatch_ui=twa_00.xy; Path=/ui; Max-Age=28800; HttpOnly; SameSite=Strict"
        );
        assert!(set("t", true).ends_with("; Secure"));
        assert!(clear(false).contains("Max-Age=0"));
        let mut h = HeaderMap::new();
        assert!(!secure(&h));
        h.insert("x-forwarded-proto", HeaderValue::from_static("HTTPS"));
        assert!(secure(&h));
    }
}
