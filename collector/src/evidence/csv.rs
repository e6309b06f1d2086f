//! CSV as RFC 4180 writes it (CRLF rows, fields quoted when they hold a
//! comma, quote, CR or LF), plus one guard: a field starting with `=`,
//! `+`, `-`, `@`, TAB or CR gets a leading `'`, because a spreadsheet would
//! run it as a formula, and evidence text comes from the scanned network.
//! The JSON twin of every CSV file keeps the exact values.

/// One field, escaped.
pub fn field(value: &str) -> String {
    let guarded;
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{value}");
        guarded.as_str()
    } else {
        value
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// A whole table: the header, then each row.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::new();
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = String>| {
        let cells: Vec<String> = cells.collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    line(&mut out, &mut header.iter().map(|h| field(h)));
    for row in rows {
        line(&mut out, &mut row.iter().map(|c| field(c)));
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fields_stay_as_they_are() {
        assert_eq!(field("TLS-002"), "TLS-002");
        assert_eq!(field(""), "");
        assert_eq!(field("10.0.0.1:443"), "10.0.0.1:443");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("cr\r"), "\"cr\r\"");
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("+1"), "'+1");
        assert_eq!(field("-1"), "'-1");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
    }

    #[test]
    fn a_table_has_crlf_rows() {
        let t = table(&["a", "b"], &[vec!["1".into(), "x,y".into()]]);
        assert_eq!(String::from_utf8(t).unwrap(), "a,b\r\n1,\"x,y\"\r\n");
    }
}
