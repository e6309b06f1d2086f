//! Facts read off a page and its headers: the `<title>`, the realm of an
//! authentication challenge, and product/version from `Server`.

/// The longest title kept (HttpDetail documents 120).
const MAX_TITLE: usize = 120;
/// The longest header value kept in an observation.
const MAX_VALUE: usize = 200;

/// The page's `<title>`, entities decoded, whitespace collapsed, at most
/// [`MAX_TITLE`] characters; `None` when absent or empty.
pub(super) fn title(body: &str) -> Option<String> {
    // ASCII lower-casing keeps byte offsets, so indices found in `lower`
    // are valid in `body`.
    let lower = body.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = lower[start..]
        .find("</title")
        .map_or(body.len(), |i| start + i);
    let raw = &body[start..end];
    let text = decode_entities(&raw.split_whitespace().collect::<Vec<_>>().join(" "));
    let text: String = text.chars().take(MAX_TITLE).collect();
    let text = text.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// The realm of a `WWW-Authenticate` challenge: `Basic realm="x"`,
/// `Digest realm=x, nonce=…`.
pub(super) fn realm(challenge: &str) -> Option<String> {
    let lower = challenge.to_ascii_lowercase();
    let at = lower.find("realm=")? + "realm=".len();
    let rest = &challenge[at..];
    let value = if let Some(quoted) = rest.strip_prefix('"') {
        quoted.split('"').next().unwrap_or(quoted)
    } else {
        rest.split([',', ' ']).next().unwrap_or(rest)
    };
    let value = clean(value);
    (!value.is_empty()).then_some(value)
}

/// Printable ASCII only (others become `?`), trimmed, at most
/// [`MAX_VALUE`] characters: header values are the server's to choose.
pub(super) fn clean(value: &str) -> String {
    value
        .chars()
        .take(MAX_VALUE)
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Product and version from a `Server` header: `nginx/1.22.1`,
/// `Apache/2.4.62 (Debian)`, `Microsoft-IIS/10.0`, `Jetty(9.4.53)`; a value
/// without a version is the product as a whole (`nginx`, `cloudflare`).
pub(super) fn product_version(server: &str) -> (String, Option<String>) {
    let server = server.trim();
    let first = server.split_whitespace().next().unwrap_or(server);
    if let Some((name, version)) = first.split_once('/') {
        if !name.is_empty() && looks_like_version(version) {
            return (name.to_owned(), Some(trim_version(version)));
        }
    }
    if let Some((name, rest)) = first.split_once('(') {
        let version = rest.trim_end_matches(')');
        if !name.is_empty() && looks_like_version(version) {
            return (name.to_owned(), Some(trim_version(version)));
        }
    }
    (server.to_owned(), None)
}

fn looks_like_version(v: &str) -> bool {
    v.chars().next().is_some_and(|c| c.is_ascii_digit())
}

fn trim_version(v: &str) -> String {
    v.trim_end_matches([',', ';', ')']).to_owned()
}

/// The handful of entities that appear in titles.
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#039;", "'")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert_eq!(
            title("<html><head><TITLE>Welcome to nginx!</TITLE>").as_deref(),
            Some("Welcome to nginx!")
        );
        assert_eq!(
            title("<title lang=\"en\">\n  phpMyAdmin\n  </title>").as_deref(),
            Some("phpMyAdmin")
        );
        assert_eq!(
            title("<title>Tom &amp; Jerry &lt;3</title>").as_deref(),
            Some("Tom & Jerry <3")
        );
        assert_eq!(title("<title></title>"), None);
        assert_eq!(title("no title here"), None);
        // Unterminated: the rest of the page, capped.
        let long = format!("<title>{}", "é".repeat(500));
        assert_eq!(title(&long).unwrap().chars().count(), MAX_TITLE);
    }

    #[test]
    fn realms() {
        assert_eq!(
            realm("Basic realm=\"Tomcat Manager Application\"").as_deref(),
            Some("Tomcat Manager Application")
        );
        assert_eq!(
            realm("Digest REALM=level_15_access, nonce=\"x\"").as_deref(),
            Some("level_15_access")
        );
        assert_eq!(realm("Bearer"), None);
        assert_eq!(realm("Basic realm=\"\""), None);
    }

    #[test]
    fn server_headers() {
        assert_eq!(
            product_version("nginx/1.22.1"),
            ("nginx".into(), Some("1.22.1".into()))
        );
        assert_eq!(
            product_version("Apache/2.4.62 (Debian)"),
            ("Apache".into(), Some("2.4.62".into()))
        );
        assert_eq!(
            product_version("Microsoft-IIS/10.0"),
            ("Microsoft-IIS".into(), Some("10.0".into()))
        );
        assert_eq!(
            product_version("Jetty(9.4.53.v20231009)"),
            ("Jetty".into(), Some("9.4.53.v20231009".into()))
        );
        assert_eq!(product_version("nginx"), ("nginx".into(), None));
        assert_eq!(
            product_version("HP HTTP Server; HP LaserJet"),
            ("HP HTTP Server; HP LaserJet".into(), None)
        );
        assert_eq!(product_version("Foo/bar"), ("Foo/bar".into(), None));
    }

    #[test]
    fn values_are_cleaned() {
        assert_eq!(clean(" a\u{7}b "), "a?b");
        assert_eq!(clean(&"x".repeat(1000)).len(), MAX_VALUE);
    }
}
