//! The `tag=value; tag=value` lists DMARC (RFC 7489 section 6.4), DKIM
//! (RFC 6376 section 3.2) and TLS-RPT (RFC 8460 section 3) records share.

/// A record split into its tags.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct TagList {
    /// Each `name=value` in order, both trimmed of whitespace.
    pub tags: Vec<(String, String)>,
    /// Pieces between semicolons that are not `name=value`.
    pub malformed: Vec<String>,
}

impl TagList {
    pub(super) fn parse(text: &str) -> TagList {
        let mut out = TagList::default();
        // An empty piece (a trailing `;`, or `;;`) is allowed and ignored.
        for piece in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            match piece.split_once('=') {
                Some((name, value)) if is_tag_name(name.trim()) => out
                    .tags
                    .push((name.trim().to_owned(), value.trim().to_owned())),
                _ => out.malformed.push(piece.to_owned()),
            }
        }
        out
    }

    /// The first tag, when it is `v` with exactly `version`.
    pub(super) fn starts_with_version(&self, version: &str) -> bool {
        self.tags
            .first()
            .is_some_and(|(name, value)| name == "v" && value == version)
    }
}

/// ALPHA *( ALPHA / DIGIT / "_" ), as the three grammars define tag names.
fn is_tag_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_tags_and_keeps_what_is_not_one() {
        let t =
            TagList::parse(" v = DMARC1 ;p=reject;; rua=mailto:a@b.test,mailto:c@d.test; junk ;");
        assert!(t.starts_with_version("DMARC1"));
        assert_eq!(
            t.tags,
            [
                ("v".to_owned(), "DMARC1".to_owned()),
                ("p".to_owned(), "reject".to_owned()),
                (
                    "rua".to_owned(),
                    "mailto:a@b.test,mailto:c@d.test".to_owned()
                ),
            ]
        );
        assert_eq!(t.malformed, ["junk"]);
        assert!(!TagList::parse("p=reject; v=DMARC1").starts_with_version("DMARC1"));
        assert!(!TagList::parse("v=dmarc1").starts_with_version("DMARC1"));
        assert_eq!(TagList::parse("=x; 1a=b").malformed, ["=x", "1a=b"]);
    }
}
