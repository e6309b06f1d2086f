//! Counters of the ingest path and the store's history (issue 7): what
//! sequence numbers say about lost reports, retries acknowledged as
//! duplicates, and what retention removed.

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

use crate::error::Result;
use crate::store::{PruneKind, Pruned};

#[derive(Debug, Clone)]
pub struct IngestCounters {
    sequence_gaps: IntCounter,
    duplicates: IntCounter,
    pruned: IntCounterVec,
}

impl IngestCounters {
    pub(super) fn register(registry: &Registry) -> Result<IngestCounters> {
        let sequence_gaps = IntCounter::new(
            "trustwatch_collector_sequence_gaps_total",
            "Reports agents numbered but the collector never received (sequence numbers skipped), since the collector started.",
        )?;
        let duplicates = IntCounter::new(
            "trustwatch_collector_duplicate_reports_total",
            "Exact retries of reports already stored, acknowledged without storing them again, since the collector started.",
        )?;
        let pruned = IntCounterVec::new(
            Opts::new(
                "trustwatch_collector_retention_pruned_total",
                "Rows removed by retention (report bodies emptied, history deleted) since the collector started, by kind.",
            ),
            &["kind"],
        )?;
        registry.register(Box::new(sequence_gaps.clone()))?;
        registry.register(Box::new(duplicates.clone()))?;
        registry.register(Box::new(pruned.clone()))?;
        for kind in PruneKind::ALL {
            pruned.with_label_values(&[kind.as_str()]);
        }
        Ok(IngestCounters {
            sequence_gaps,
            duplicates,
            pruned,
        })
    }

    /// Counts `missing` reports skipped by an agent's sequence.
    pub fn gap(&self, missing: u64) {
        self.sequence_gaps.inc_by(missing);
    }

    pub fn sequence_gaps(&self) -> u64 {
        self.sequence_gaps.get()
    }

    pub fn duplicate(&self) {
        self.duplicates.inc();
    }

    pub fn duplicates(&self) -> u64 {
        self.duplicates.get()
    }

    pub fn pruned(&self, run: &Pruned) {
        for kind in PruneKind::ALL {
            self.pruned
                .with_label_values(&[kind.as_str()])
                .inc_by(run.count(kind));
        }
    }

    pub fn pruned_total(&self, kind: PruneKind) -> u64 {
        self.pruned.with_label_values(&[kind.as_str()]).get()
    }
}
