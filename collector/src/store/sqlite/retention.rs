//! Retention on SQLite: one bounded statement at a time (SQLite's DELETE
//! has no LIMIT in the bundled build, so each picks its rows by id first).

use std::path::Path;

use rusqlite::{params, Connection};

use super::db_err;
use crate::error::Result;
use crate::store::retention::{Cutoffs, PruneKind, BATCH_ROWS};

// The partial index `reports_unpruned` holds exactly the candidates.
const BODIES: &str = "
    UPDATE reports SET body = '', body_pruned_at = ?2
    WHERE id IN (SELECT id FROM reports
                 WHERE body_pruned_at IS NULL AND received_at < ?1
                 ORDER BY received_at LIMIT ?3)";

const CHANGES: &str = "
    DELETE FROM finding_changes
    WHERE id IN (SELECT id FROM finding_changes WHERE at < ?1 LIMIT ?3)";

const SUMMARIES: &str = "
    DELETE FROM scan_summaries
    WHERE report_id IN (SELECT report_id FROM scan_summaries WHERE received_at < ?1 LIMIT ?3)";

const GAPS: &str = "
    DELETE FROM sequence_gaps
    WHERE rowid IN (SELECT rowid FROM sequence_gaps WHERE detected_at < ?1 LIMIT ?3)";

// A report a current finding still points to stays (its finding has not
// been seen since; the row is the evidence for it).
const REPORTS: &str = "
    DELETE FROM reports
    WHERE id IN (SELECT r.id FROM reports r
                 WHERE r.received_at < ?1
                   AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.report_id = r.id)
                 LIMIT ?3)";

/// One bounded statement of `kind`; returns the rows it touched.
pub(super) fn prune(
    conn: &mut Connection,
    path: &Path,
    kind: PruneKind,
    cutoffs: Cutoffs,
) -> Result<u64> {
    let sql = match kind {
        PruneKind::Bodies => BODIES,
        PruneKind::Changes => CHANGES,
        PruneKind::Summaries => SUMMARIES,
        PruneKind::Gaps => GAPS,
        PruneKind::Reports => REPORTS,
    };
    let before = cutoffs.before(kind);
    // Every statement numbers ?1 (cutoff), ?2 (now) and ?3 (batch size);
    // SQLite counts parameters up to the highest number, so one binding
    // fits all even where ?2 is unused.
    let n = conn
        .prepare_cached(sql)
        .map_err(db_err(path, "prepare a retention statement"))?
        .execute(params![before, cutoffs.now, BATCH_ROWS])
        .map_err(db_err(path, "prune old history"))?;
    Ok(n as u64)
}
