//! Evidence: the observed facts behind a finding, as a JSON object.
//!
//! Evidence is deliberately an open object: each probe records what it saw
//! (`protocols`, `not_after`, `chain`, …) and auditors read it back verbatim.
//! Keys are kept sorted so that the same observation always serialises to the
//! same bytes, which matters for hashed evidence packs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Evidence(BTreeMap<String, Value>);

impl Evidence {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a fact, builder style.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.insert(key, value);
        self
    }

    pub fn insert(&mut self, key: &str, value: impl Into<Value>) {
        self.0.insert(key.to_owned(), value.into());
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_a_sorted_object() {
        let ev = Evidence::new().with("z", 1).with("a", "x");
        assert_eq!(serde_json::to_string(&ev).unwrap(), r#"{"a":"x","z":1}"#);
    }
}
