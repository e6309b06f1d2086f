//! The CISA Known Exploited Vulnerabilities catalogue (JSON feed):
//! `{"catalogVersion", "dateReleased", "count", "vulnerabilities": [{"cveID",
//! "vendorProject", "product", "dateAdded", …}]}`.

use serde_json::Value;

use super::{normalise_cve, AlertError, AlertList};

pub(super) fn read(text: &str, list: &mut AlertList) -> Result<(), AlertError> {
    let value: Value = serde_json::from_str(text).map_err(|e| AlertError::Json {
        file: list.source.clone(),
        line: e.line(),
        message: e.to_string(),
    })?;
    let not_kev = |message: &str| AlertError::NotKev {
        file: list.source.clone(),
        message: message.to_owned(),
    };
    let top = value
        .as_object()
        .ok_or_else(|| not_kev("the top level is not an object"))?;
    let vulns = top
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or_else(|| not_kev("it has no `vulnerabilities` array"))?;
    list.version = text_field(top.get("catalogVersion"));
    list.date = text_field(top.get("dateReleased"));
    for (i, v) in vulns.iter().enumerate() {
        let id = v.get("cveID").and_then(Value::as_str);
        let Some(cve) = id.and_then(normalise_cve) else {
            let what = match id {
                Some(id) => format!("`{id}` is not a CVE id"),
                None => "has no cveID".to_owned(),
            };
            list.problems.push(format!(
                "{} vulnerabilities[{i}]: {what}; the entry was skipped",
                list.source
            ));
            continue;
        };
        list.add(cve, Some(reference(v)));
    }
    Ok(())
}

/// `CISA KEV, added 2024-04-12: Palo Alto Networks PAN-OS`.
fn reference(v: &Value) -> String {
    let field = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let mut text = String::from("CISA KEV");
    if let Some(added) = field("dateAdded") {
        text.push_str(", added ");
        text.push_str(added);
    }
    let product: Vec<&str> = [field("vendorProject"), field("product")]
        .into_iter()
        .flatten()
        .collect();
    if !product.is_empty() {
        text.push_str(": ");
        text.push_str(&product.join(" "));
    }
    text
}

/// A string, or a number written as text (some mirrors write the version
/// as a number).
fn text_field(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
