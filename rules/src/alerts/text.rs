//! The trust's text list: `CVE-id [reference]` per line.

use super::{normalise_cve, AlertList};

pub(super) fn read(text: &str, list: &mut AlertList) {
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let (id, rest) = line
            .split_once(char::is_whitespace)
            .map_or((line, ""), |(id, rest)| (id, rest.trim()));
        match normalise_cve(id) {
            Some(cve) => {
                let reference = (!rest.is_empty()).then(|| rest.to_owned());
                list.add(cve, reference);
            }
            None => list.problems.push(format!(
                "{} line {}: `{}` is not a CVE id (expected CVE-YYYY-NNNN); the line was skipped",
                list.source,
                i + 1,
                id
            )),
        }
    }
}

/// The line without a `#` comment: a whole-line comment, or `#` after
/// whitespace (a reference may itself hold `#`, as in `ticket#12`).
fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    let mut prev_space = false;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return &line[..i];
        }
        prev_space = c.is_whitespace();
    }
    line
}
