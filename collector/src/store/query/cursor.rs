//! Page cursors: the sort key of a page's last row, as opaque base64url
//! text. Opaque so clients do not build them (the key's shape may change);
//! checked on the way in, because they are client input like any other.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

/// The last row of a page, by the unique key its list is sorted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// A stored finding: (agent, target, rule_id), the primary key.
    Finding {
        agent: String,
        target: String,
        rule_id: String,
    },
    /// A collector-evaluated PATCH-006 finding, listed after every stored
    /// one, by agent name.
    Coverage { agent: String },
    /// An agent or a host, by name.
    Name(String),
    /// A history row or scan summary, by id.
    Id(i64),
}

/// Longest cursor text accepted: four 1 KiB keys, base64-encoded.
const MAX_TEXT: usize = 8192;

impl Cursor {
    pub fn encode(&self) -> String {
        let key = match self {
            Cursor::Finding {
                agent,
                target,
                rule_id,
            } => json!(["f", agent, target, rule_id]),
            Cursor::Coverage { agent } => json!(["c", agent]),
            Cursor::Name(name) => json!(["n", name]),
            Cursor::Id(id) => json!(["i", id]),
        };
        URL_SAFE_NO_PAD.encode(key.to_string())
    }

    /// `None` for anything this API did not issue.
    pub fn decode(text: &str) -> Option<Cursor> {
        if text.len() > MAX_TEXT {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let key: Vec<Value> = serde_json::from_slice(&bytes).ok()?;
        let s = |i: usize| key.get(i)?.as_str().map(str::to_owned);
        match (key.first()?.as_str()?, key.len()) {
            ("f", 4) => Some(Cursor::Finding {
                agent: s(1)?,
                target: s(2)?,
                rule_id: s(3)?,
            }),
            ("c", 2) => Some(Cursor::Coverage { agent: s(1)? }),
            ("n", 2) => Some(Cursor::Name(s(1)?)),
            ("i", 2) => Some(Cursor::Id(key[1].as_i64()?)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        for c in [
            Cursor::Finding {
                agent: "a".into(),
                target: "[::1]:443".into(),
                rule_id: "TLS-001".into(),
            },
            Cursor::Coverage {
                agent: "ward-7".into(),
            },
            Cursor::Name("host \"quoted\"".into()),
            Cursor::Id(42),
        ] {
            let text = c.encode();
            assert!(text
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
            assert_eq!(Cursor::decode(&text), Some(c));
        }
        for bad in [
            "",
            "!!",
            "bm90IGpzb24",                            // "not json"
            &URL_SAFE_NO_PAD.encode("[\"f\",\"a\"]"), // too short
            &URL_SAFE_NO_PAD.encode("[\"i\",\"x\"]"), // id not a number
            &URL_SAFE_NO_PAD.encode("[\"z\",1]"),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
        assert_eq!(Cursor::decode(&"A".repeat(MAX_TEXT + 1)), None);
    }
}
