//! Runs the shared, portable reads (`store/portable.rs`) on SQLite: binds
//! the parameters, reads every column as a plain value, and leaves typing
//! to the shared code.

use std::path::Path;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{params_from_iter, Connection, ToSql, Transaction, TransactionBehavior};

use super::db_err;
use crate::error::{Error, Result};
use crate::store::portable::{Param, Row, Sql, Value};

impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Int(v) => ToSqlOutput::from(*v),
            Param::Text(v) => ToSqlOutput::from(v.as_str()),
            // Resolved before binding (see `run`).
            Param::Previous { .. } => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "an unresolved reference to a previous step".into(),
                ))
            }
        })
    }
}

/// Runs `queries` in one read transaction, so several statements see the
/// same snapshot (WAL gives readers a stable view until they end).
pub(super) fn read(
    conn: &mut Connection,
    path: &Path,
    action: &'static str,
    queries: &[Sql],
) -> Result<Vec<Vec<Row>>> {
    let tx = conn.transaction().map_err(db_err(path, action))?;
    let out = queries
        .iter()
        .map(|sql| run(&tx, path, action, sql, None))
        .collect::<Result<Vec<_>>>()?;
    // Nothing was written: ending the transaction either way is the same.
    tx.commit().map_err(db_err(path, action))?;
    Ok(out)
}

/// Runs `steps` in one IMMEDIATE transaction (the write lock is taken up
/// front, so a read-then-write cannot be overtaken); a guarded step runs
/// only when the step before it returned rows.
pub(super) fn write(
    conn: &mut Connection,
    path: &Path,
    action: &'static str,
    steps: &[Sql],
) -> Result<Vec<Vec<Row>>> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err(path, action))?;
    let mut out: Vec<Vec<Row>> = Vec::with_capacity(steps.len());
    for sql in steps {
        let skip = sql.guarded() && out.last().is_some_and(Vec::is_empty);
        out.push(if skip {
            Vec::new()
        } else {
            run(&tx, path, action, sql, out.last().map(Vec::as_slice))?
        });
    }
    tx.commit().map_err(db_err(path, action))?;
    Ok(out)
}

fn run(
    tx: &Transaction<'_>,
    path: &Path,
    action: &'static str,
    sql: &Sql,
    previous: Option<&[Row]>,
) -> Result<Vec<Row>> {
    let err = || db_err(path, action);
    let params = sql
        .params()
        .iter()
        .map(|p| p.resolve(previous))
        .collect::<Result<Vec<_>>>()?;
    let mut stmt = tx.prepare_cached(sql.text()).map_err(err())?;
    let columns = stmt.column_count();
    let mut rows = stmt.query(params_from_iter(&params)).map_err(err())?;
    let mut result = Vec::new();
    while let Some(row) = rows.next().map_err(err())? {
        let mut values = Vec::with_capacity(columns);
        for i in 0..columns {
            values.push(value(row.get_ref(i).map_err(err())?, i)?);
        }
        result.push(Row(values));
    }
    Ok(result)
}

fn value(v: ValueRef<'_>, column: usize) -> Result<Value> {
    match v {
        ValueRef::Null => Ok(Value::Null),
        ValueRef::Integer(i) => Ok(Value::Int(i)),
        ValueRef::Text(t) => Ok(Value::Text(String::from_utf8_lossy(t).into_owned())),
        ValueRef::Real(_) | ValueRef::Blob(_) => Err(Error::StoreData {
            reason: format!("result column {column} is a real number or a blob"),
        }),
    }
}
