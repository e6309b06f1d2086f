//! Retention on PostgreSQL: the same bounded statements as SQLite. Several
//! collectors each run it hourly; a transaction-scoped advisory lock lets
//! one of them do each statement and the others skip it, instead of all
//! deleting the same rows and waiting on each other's row locks.

use deadpool_postgres::Object;

use super::pg_err;
use crate::error::Result;
use crate::store::retention::{Cutoffs, PruneKind, BATCH_ROWS};

/// An arbitrary constant naming Trustwatch's retention lock.
const RETENTION_LOCK: i64 = 0x7472_7573_7477_0002;

const BODIES: &str = "
    UPDATE reports SET body = '', body_pruned_at = $2
    WHERE id IN (SELECT id FROM reports
                 WHERE body_pruned_at IS NULL AND received_at < $1
                 ORDER BY received_at LIMIT $3)";

const CHANGES: &str = "
    DELETE FROM finding_changes
    WHERE id IN (SELECT id FROM finding_changes WHERE at < $1 LIMIT $3)";

const SUMMARIES: &str = "
    DELETE FROM scan_summaries
    WHERE report_id IN (SELECT report_id FROM scan_summaries WHERE received_at < $1 LIMIT $3)";

// sequence_gaps has no key of its own: rows are picked by physical address.
const GAPS: &str = "
    DELETE FROM sequence_gaps
    WHERE ctid = ANY(ARRAY(SELECT ctid FROM sequence_gaps WHERE detected_at < $1 LIMIT $3))";

const REPORTS: &str = "
    DELETE FROM reports
    WHERE id IN (SELECT r.id FROM reports r
                 WHERE r.received_at < $1
                   AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.report_id = r.id)
                 LIMIT $3)";

/// One bounded statement of `kind`; returns the rows it touched, or 0 when
/// another collector holds the retention lock.
pub(super) async fn prune(
    client: &mut Object,
    database: &str,
    kind: PruneKind,
    cutoffs: Cutoffs,
) -> Result<u64> {
    let err = |action| pg_err(database, action);
    let sql = match kind {
        PruneKind::Bodies => BODIES,
        PruneKind::Changes => CHANGES,
        PruneKind::Summaries => SUMMARIES,
        PruneKind::Gaps => GAPS,
        PruneKind::Reports => REPORTS,
    };
    let before = cutoffs.before(kind);
    let tx = client
        .transaction()
        .await
        .map_err(err("begin a retention statement"))?;
    let locked: bool = tx
        .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&RETENTION_LOCK])
        .await
        .map_err(err("take the retention lock"))?
        .get(0);
    if !locked {
        return Ok(0);
    }
    // $2 is unused by the DELETEs; PostgreSQL needs its type stated.
    let stmt = tx
        .prepare_typed_cached(
            sql,
            &[
                tokio_postgres::types::Type::INT8,
                tokio_postgres::types::Type::INT8,
                tokio_postgres::types::Type::INT8,
            ],
        )
        .await
        .map_err(err("prepare a retention statement"))?;
    let n = tx
        .execute(&stmt, &[&before, &cutoffs.now, &BATCH_ROWS])
        .await
        .map_err(err("prune old history"))?;
    tx.commit()
        .await
        .map_err(err("commit a retention statement"))?;
    Ok(n)
}
