//! One SQL text for both backends. The read side of the store (API
//! queries, metrics aggregates) is written once, in the subset of SQL that
//! SQLite and PostgreSQL both speak, and run by each backend's small
//! executor (`sqlite/query.rs`, `postgres/query.rs`). Two copies of every
//! query would drift; one copy run on both is what the conformance test
//! (`tests/tests/store_query.rs`) holds to the same answers.
//!
//! Rules for portable SQL here: every bound value is wrapped in a CAST (so
//! PostgreSQL can infer its type), every computed integer is CAST to
//! BIGINT (PostgreSQL's SUM/CASE give numeric/int4), no boolean-valued
//! columns, no dialect functions beyond COALESCE, SUM, MIN, MAX, COUNT.

use std::fmt::Write as _;

use crate::error::{Error, Result};

/// Which placeholder syntax a statement is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `?1`, `?2`, …
    Sqlite,
    /// `$1`, `$2`, …
    Postgres,
}

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
    /// In a write, a column of the first row the previous step returned
    /// (e.g. the id an INSERT … RETURNING gave), as an integer or as text.
    Previous {
        column: usize,
        text: bool,
    },
}

impl Param {
    /// The value to bind, with `Previous` taken from `previous`.
    pub(crate) fn resolve(&self, previous: Option<&[Row]>) -> Result<Param> {
        let Param::Previous { column, text } = self else {
            return Ok(self.clone());
        };
        let row = previous
            .and_then(|rows| rows.first())
            .ok_or_else(|| Error::StoreData {
                reason: "a write step refers to a row the step before it did not return".into(),
            })?;
        Ok(match (row.get(*column)?, text) {
            (Value::Int(v), false) => Param::Int(*v),
            (Value::Int(v), true) => Param::Text(v.to_string()),
            (Value::Text(v), true) => Param::Text(v.clone()),
            _ => return Err(bad(*column, "is not the type a later step needs")),
        })
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Param {
        Param::Int(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Param {
        Param::Text(v.to_owned())
    }
}

impl From<String> for Param {
    fn from(v: String) -> Param {
        Param::Text(v)
    }
}

impl From<&String> for Param {
    fn from(v: &String) -> Param {
        Param::Text(v.clone())
    }
}

/// A statement being built: text with placeholders, and their values.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    dialect: Dialect,
    text: String,
    params: Vec<Param>,
    guarded: bool,
}

impl Sql {
    pub(crate) fn new(dialect: Dialect) -> Sql {
        Sql {
            dialect,
            text: String::new(),
            params: Vec::new(),
            guarded: false,
        }
    }

    /// In a write, run this step only if the step before it returned at
    /// least one row (e.g. record an admin event only when the UPDATE …
    /// RETURNING before it changed something), in the same transaction.
    pub(crate) fn only_if_previous_returned_rows(mut self) -> Sql {
        self.guarded = true;
        self
    }

    pub(crate) fn guarded(&self) -> bool {
        self.guarded
    }

    /// Appends literal SQL (never user input).
    pub(crate) fn push(&mut self, sql: &str) -> &mut Sql {
        self.text.push_str(sql);
        self
    }

    /// Appends a placeholder for `value`, cast to its type.
    pub(crate) fn bind(&mut self, value: impl Into<Param>) -> &mut Sql {
        let value = value.into();
        let n = self.params.len() + 1;
        let ty = match value {
            Param::Int(_) | Param::Previous { text: false, .. } => "BIGINT",
            Param::Text(_) | Param::Previous { text: true, .. } => "TEXT",
        };
        let _ = match self.dialect {
            Dialect::Sqlite => write!(self.text, "CAST(?{n} AS {ty})"),
            Dialect::Postgres => write!(self.text, "CAST(${n} AS {ty})"),
        };
        self.params.push(value);
        self
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn params(&self) -> &[Param] {
        &self.params
    }
}

/// A column value as read, before the shared code types it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
}

/// One result row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    fn get(&self, i: usize) -> Result<&Value> {
        self.0.get(i).ok_or_else(|| bad(i, "is missing"))
    }

    pub(crate) fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?.ok_or_else(|| bad(i, "is NULL"))
    }

    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            Value::Text(_) => Err(bad(i, "is text, not an integer")),
        }
    }

    pub(crate) fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?.ok_or_else(|| bad(i, "is NULL"))
    }

    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v.clone())),
            Value::Int(_) => Err(bad(i, "is an integer, not text")),
        }
    }

    /// A text column holding JSON.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self, i: usize) -> Result<T> {
        let text = self.text(i)?;
        serde_json::from_str(&text).map_err(|e| bad(i, &format!("is not the JSON expected: {e}")))
    }
}

fn bad(column: usize, what: &str) -> Error {
    Error::StoreData {
        reason: format!("result column {column} {what}"),
    }
}

/// Appends `, (?, ?, …)`-style placeholders for `values` joined by commas.
pub(crate) fn bind_list(sql: &mut Sql, values: impl IntoIterator<Item = Param>) {
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_dialect_and_are_cast() {
        for (dialect, want) in [
            (
                Dialect::Sqlite,
                "a = CAST(?1 AS TEXT) AND b > CAST(?2 AS BIGINT)",
            ),
            (
                Dialect::Postgres,
                "a = CAST($1 AS TEXT) AND b > CAST($2 AS BIGINT)",
            ),
        ] {
            let mut sql = Sql::new(dialect);
            sql.push("a = ").bind("x").push(" AND b > ").bind(3_i64);
            assert_eq!(sql.text(), want);
            assert_eq!(sql.params(), [Param::Text("x".into()), Param::Int(3)]);
        }
    }

    #[test]
    fn rows_type_their_columns() {
        let row = Row(vec![Value::Int(1), Value::Null, Value::Text("[1]".into())]);
        assert_eq!(row.int(0).unwrap(), 1);
        assert_eq!(row.opt_int(1).unwrap(), None);
        assert!(row.int(1).is_err());
        assert!(row.text(0).is_err());
        assert_eq!(row.json::<Vec<i32>>(2).unwrap(), [1]);
        assert!(row.int(9).is_err());
    }
}
