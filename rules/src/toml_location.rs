//! Where in a TOML file a problem is: the line and the dotted key, so that
//! every config and baseline error can say "file, line, key". Shared by the
//! baseline loader here and the agent's and collector's config loaders.

/// The 1-based line holding byte `offset` (clamped to the text).
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = floor_char_boundary(text, offset);
    text[..end].matches('\n').count() + 1
}

/// The 1-based line of the first occurrence of `needle`, or 1.
pub fn line_of_text(text: &str, needle: &str) -> usize {
    text.find(needle).map_or(1, |pos| line_of(text, pos))
}

/// Line and dotted key of a toml deserialisation error, e.g.
/// `(12, "tls[1].sni")`. Serde names the key itself for unknown and missing
/// fields; otherwise the error's span points into the offending line.
pub fn of_error(text: &str, err: &toml::de::Error) -> (usize, String) {
    let span = err.span().unwrap_or(0..0);
    let spot = locate(text, span.start);
    let message = err.message();
    let key = if let Some(field) = backticked_after(message, "unknown field ") {
        // An unknown table is reported at its own header.
        if spot.on_header {
            spot.table
        } else {
            dotted(&spot.table, Some(field))
        }
    } else if let Some(field) = backticked_after(message, "missing field ") {
        // A missing key is reported at its table's header, or at an empty
        // span for the top level.
        if span.is_empty() {
            field
        } else {
            dotted(&spot.table, Some(field))
        }
    } else {
        dotted(&spot.table, spot.key)
    };
    (line_of(text, span.start), key)
}

/// The dotted key at `offset`, e.g. `collector.url` or `tls[1].target`:
/// the table in force there plus the key written on that line (or, inside a
/// multi-line value, the key that opened it).
pub fn key_at(text: &str, offset: usize) -> String {
    let spot = locate(text, offset);
    dotted(&spot.table, spot.key)
}

fn dotted(table: &str, key: Option<String>) -> String {
    match (table.is_empty(), key) {
        (true, Some(key)) => key,
        (false, Some(key)) => format!("{table}.{key}"),
        (false, None) => table.to_owned(),
        (true, None) => "(top level)".into(),
    }
}

/// What is in force at a byte offset.
struct Spot {
    /// The table, with its array index (`tls[1]`); empty at the top level.
    table: String,
    /// The last key written in that table up to the offset's line.
    key: Option<String>,
    /// The offset's line is the table's own header.
    on_header: bool,
}

fn locate(text: &str, offset: usize) -> Spot {
    let offset = floor_char_boundary(text, offset);
    let mut table = String::new();
    let mut arrays: Vec<(String, usize)> = Vec::new();
    let mut last_key: Option<String> = None;
    let mut on_header = false;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        if start > offset {
            break;
        }
        let trimmed = line.trim();
        if let Some(name) = trimmed
            .strip_prefix("[[")
            .and_then(|r| r.split("]]").next())
        {
            let name = name.trim().to_owned();
            let index = match arrays.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => {
                    *count += 1;
                    *count - 1
                }
                None => {
                    arrays.push((name.clone(), 1));
                    0
                }
            };
            table = format!("{name}[{index}]");
            last_key = None;
            on_header = true;
        } else if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.split(']').next()) {
            table = name.trim().to_owned();
            last_key = None;
            on_header = true;
        } else if let Some(key) = key_on_line(trimmed) {
            last_key = Some(key);
            on_header = false;
        } else {
            on_header = false;
        }
        if offset < pos {
            break;
        }
    }
    Spot {
        table,
        key: last_key,
        on_header,
    }
}

/// The line of `key` inside `[table]` (or the top level when `table` is
/// `None`), else the table's header line, else 1: a key left at its default
/// has no line of its own.
pub fn line_of_key(text: &str, table: Option<&str>, key: &str) -> usize {
    let mut current: Option<String> = None;
    let mut header_line = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(name) = header(trimmed) {
            if table == Some(name.as_str()) && header_line.is_none() {
                header_line = Some(i + 1);
            }
            current = Some(name);
            continue;
        }
        if current.as_deref() == table && key_on_line(trimmed).as_deref() == Some(key) {
            return i + 1;
        }
    }
    header_line.unwrap_or(1)
}

fn header(line: &str) -> Option<String> {
    let rest = line.strip_prefix('[')?;
    let inner = &rest[..rest.find(']')?];
    let name = inner.trim_matches(['[', ' ']);
    (!name.is_empty()).then(|| name.to_owned())
}

fn key_on_line(line: &str) -> Option<String> {
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    ok.then(|| key.to_owned())
}

fn backticked_after(message: &str, prefix: &str) -> Option<String> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    let rest = rest.strip_prefix('`')?;
    Some(rest[..rest.find('`')?].to_owned())
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[agent]\nname = \"a\"\n\n[[tls]]\ntarget = \"x\"\n\n[[tls]]\ntarget = \"y\"\nsni = \"z\"\nca = [\n  \"p\",\n]\n";

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_of(TEXT, 0), 1);
        assert_eq!(line_of(TEXT, TEXT.find("name").unwrap()), 2);
        assert_eq!(line_of(TEXT, usize::MAX), 13);
        assert_eq!(line_of_text(TEXT, "sni"), 9);
    }

    #[test]
    fn keys_include_the_table_and_array_index() {
        assert_eq!(key_at(TEXT, TEXT.find("name").unwrap()), "agent.name");
        assert_eq!(key_at(TEXT, TEXT.find("\"x\"").unwrap()), "tls[0].target");
        assert_eq!(key_at(TEXT, TEXT.find("sni").unwrap()), "tls[1].sni");
        assert_eq!(key_at(TEXT, TEXT.find("\"p\"").unwrap()), "tls[1].ca");
        assert_eq!(key_at(TEXT, TEXT.find("[agent]").unwrap()), "agent");
        assert_eq!(key_at("x = 1\n", 0), "x");
    }

    #[test]
    fn line_of_key_finds_the_key_in_its_table() {
        assert_eq!(line_of_key(TEXT, Some("agent"), "name"), 2);
        assert_eq!(line_of_key(TEXT, Some("agent"), "missing"), 1);
        assert_eq!(line_of_key(TEXT, None, "name"), 1);
    }

    #[test]
    fn errors_name_the_dotted_key() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            a: A,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct A {
            n: u8,
        }
        let text = "[a]\nn = 1\nm = 2\n";
        let err = toml::from_str::<T>(text).unwrap_err();
        assert_eq!(of_error(text, &err), (3, "a.m".to_owned()));
        let text = "[b]\nx = 1\n";
        let err = toml::from_str::<T>(text).unwrap_err();
        assert_eq!(of_error(text, &err), (1, "b".to_owned()));
        let text = "[a]\n";
        let err = toml::from_str::<T>(text).unwrap_err();
        assert_eq!(of_error(text, &err), (1, "a.n".to_owned()));
        let text = "# nothing\n";
        let err = toml::from_str::<T>(text).unwrap_err();
        assert_eq!(of_error(text, &err), (1, "a".to_owned()));
        let text = "[a]\nn = 300\n";
        let err = toml::from_str::<T>(text).unwrap_err();
        assert_eq!(of_error(text, &err), (2, "a.n".to_owned()));
    }

    #[test]
    fn never_panics_inside_a_multibyte_character() {
        let text = "k = \"é\"\n";
        for i in 0..text.len() + 2 {
            let _ = key_at(text, i);
            let _ = line_of(text, i);
        }
    }
}
