//! Runs the shared, portable reads (`store/portable.rs`) on PostgreSQL:
//! binds the parameters, reads every column as a plain value, and leaves
//! typing to the shared code.

use deadpool_postgres::GenericClient;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::IsolationLevel;

use super::Postgres;
use crate::error::{Error, Result};
use crate::store::portable::{Param, Row, Sql, Value};

/// The value as tokio-postgres binds it; every placeholder is CAST to
/// BIGINT or TEXT (portable.rs), matching i64 and String. `Previous` is
/// resolved before binding (see `run`); None binds NULL should one slip by.
fn bound(p: &Param) -> &(dyn ToSql + Sync) {
    const NULL: Option<i64> = None;
    match p {
        Param::Int(v) => v,
        Param::Text(v) => v,
        Param::Previous { .. } => &NULL,
    }
}

impl Postgres {
    /// Runs `queries` in one read-only REPEATABLE READ transaction, so
    /// several statements see the same snapshot.
    pub(crate) async fn read(
        &self,
        action: &'static str,
        queries: &[Sql],
    ) -> Result<Vec<Vec<Row>>> {
        let mut client = self.client(action).await?;
        let tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(IsolationLevel::RepeatableRead)
            .start()
            .await
            .map_err(self.err(action))?;
        let mut out = Vec::with_capacity(queries.len());
        for sql in queries {
            out.push(self.run(&tx, action, sql, None).await?);
        }
        tx.commit().await.map_err(self.err(action))?;
        Ok(out)
    }

    /// Runs `steps` in one transaction; a guarded step runs only when the
    /// step before it returned rows. Each statement locks the rows it
    /// changes, so collectors sharing the database serialise on them.
    pub(crate) async fn write(&self, action: &'static str, steps: &[Sql]) -> Result<Vec<Vec<Row>>> {
        let mut client = self.client(action).await?;
        let tx = client.transaction().await.map_err(self.err(action))?;
        let mut out: Vec<Vec<Row>> = Vec::with_capacity(steps.len());
        for sql in steps {
            let skip = sql.guarded() && out.last().is_some_and(Vec::is_empty);
            out.push(if skip {
                Vec::new()
            } else {
                self.run(&tx, action, sql, out.last().map(Vec::as_slice))
                    .await?
            });
        }
        tx.commit().await.map_err(self.err(action))?;
        Ok(out)
    }

    async fn run(
        &self,
        client: &impl GenericClient,
        action: &'static str,
        sql: &Sql,
        previous: Option<&[Row]>,
    ) -> Result<Vec<Row>> {
        let resolved = sql
            .params()
            .iter()
            .map(|p| p.resolve(previous))
            .collect::<Result<Vec<_>>>()?;
        let params: Vec<&(dyn ToSql + Sync)> = resolved.iter().map(bound).collect();
        // Cached per connection: the API's statements repeat, and a
        // prepared one saves a round trip.
        let statement = client
            .prepare_cached(sql.text())
            .await
            .map_err(self.err(action))?;
        let rows = client
            .query(&statement, &params)
            .await
            .map_err(self.err(action))?;
        rows.iter().map(row).collect()
    }
}

fn row(r: &tokio_postgres::Row) -> Result<Row> {
    let mut values = Vec::with_capacity(r.len());
    for (i, column) in r.columns().iter().enumerate() {
        let ty = column.type_();
        let v = if *ty == Type::INT8 {
            r.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int))
        } else if *ty == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)
                .map(|v| v.map(|v| Value::Int(v.into())))
        } else if *ty == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)
                .map(|v| v.map(|v| Value::Int(v.into())))
        } else if *ty == Type::TEXT || *ty == Type::VARCHAR || *ty == Type::NAME {
            r.try_get::<_, Option<String>>(i)
                .map(|v| v.map(Value::Text))
        } else {
            return Err(Error::StoreData {
                reason: format!("result column {i} has PostgreSQL type {ty}"),
            });
        };
        let v = v.map_err(|e| Error::StoreData {
            reason: format!("result column {i}: {e}"),
        })?;
        values.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}
