//! Elasticsearch (and its OpenSearch fork) answer `GET /` with a JSON
//! document naming the cluster and version; with security on, with a JSON
//! `security_exception` instead.

use serde_json::Value;

/// An Elasticsearch-compatible node recognised from its `GET /` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SearchNode {
    pub product: &'static str,
    pub version: Option<String>,
}

/// Recognises the root document (`"tagline" : "You Know, for Search"`, or
/// `cluster_name` with `version.number`) or the security error of a node
/// that demands credentials.
pub(super) fn recognise(body: &[u8]) -> Option<SearchNode> {
    // serde_json bounds nesting depth itself; the body is already capped.
    let doc: Value = serde_json::from_slice(trim(body)).ok()?;
    let obj = doc.as_object()?;
    let version = obj.get("version").and_then(Value::as_object);
    let number = version
        .and_then(|v| v.get("number"))
        .and_then(Value::as_str)
        .map(|n| n.chars().take(40).collect::<String>());
    let tagline = obj.get("tagline").and_then(Value::as_str);
    let opensearch = version
        .and_then(|v| v.get("distribution"))
        .and_then(Value::as_str)
        == Some("opensearch");
    let product = if opensearch {
        "OpenSearch"
    } else {
        "Elasticsearch"
    };
    if tagline == Some("You Know, for Search")
        || (obj.contains_key("cluster_name") && number.is_some())
    {
        return Some(SearchNode {
            product,
            version: number,
        });
    }
    let error_type = obj
        .get("error")
        .and_then(|e| e.get("type"))
        .and_then(Value::as_str);
    let reason = obj
        .get("error")
        .and_then(|e| e.get("reason"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if error_type == Some("security_exception") && reason.contains("for REST request") {
        return Some(SearchNode {
            product: "Elasticsearch",
            version: None,
        });
    }
    None
}

fn trim(body: &[u8]) -> &[u8] {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    &body[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The root document of Elasticsearch 8.x, as it prints it.
    const ES8: &str = r#"{
  "name" : "node-1",
  "cluster_name" : "docker-cluster",
  "cluster_uuid" : "uG0U5Xw2Q5Kz3wQx1yZ5Yw",
  "version" : {
    "number" : "8.15.0",
    "build_flavor" : "default",
    "build_type" : "docker",
    "build_hash" : "1a77947f34deddb41af25e6f0ddb8e830159c179",
    "build_date" : "2024-08-05T10:05:34.233336849Z",
    "build_snapshot" : false,
    "lucene_version" : "9.11.1",
    "minimum_wire_compatibility_version" : "7.17.0",
    "minimum_index_compatibility_version" : "7.0.0"
  },
  "tagline" : "You Know, for Search"
}
"#;

    #[test]
    fn elasticsearch_root_document() {
        assert_eq!(
            recognise(ES8.as_bytes()),
            Some(SearchNode {
                product: "Elasticsearch",
                version: Some("8.15.0".into())
            })
        );
    }

    #[test]
    fn opensearch_root_document() {
        let body = r#"{"name":"n","cluster_name":"c","version":{"distribution":"opensearch",
            "number":"2.11.0"},"tagline":"The OpenSearch Project: https://opensearch.org/"}"#;
        assert_eq!(
            recognise(body.as_bytes()),
            Some(SearchNode {
                product: "OpenSearch",
                version: Some("2.11.0".into())
            })
        );
    }

    #[test]
    fn secured_node() {
        let body = r#"{"error":{"root_cause":[{"type":"security_exception","reason":"missing authentication credentials for REST request [/]"}],"type":"security_exception","reason":"missing authentication credentials for REST request [/]"},"status":401}"#;
        assert_eq!(
            recognise(body.as_bytes()),
            Some(SearchNode {
                product: "Elasticsearch",
                version: None
            })
        );
    }

    #[test]
    fn other_json_and_garbage() {
        assert_eq!(
            recognise(br#"{"status":"ok","version":{"number":"1"}}"#),
            None
        );
        assert_eq!(recognise(b"<html>"), None);
        assert_eq!(recognise(b""), None);
        assert_eq!(recognise(&[b'['; 10_000]), None);
    }
}
