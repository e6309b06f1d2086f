//! The collector's own health beyond ingest counters: whether the store
//! answered during the scrape, which backend it is, and since when this
//! process has been up (a restart shows as a jump).

use prometheus::{IntGauge, IntGaugeVec, Opts, Registry};
use time::OffsetDateTime;

use crate::error::Result;

#[derive(Debug, Clone)]
pub(super) struct Health {
    store_up: IntGauge,
    backend: IntGaugeVec,
}

impl Health {
    pub(super) fn register(registry: &Registry) -> Result<Health> {
        let store_up = IntGauge::new(
            "trustwatch_collector_store_up",
            "1 if the store answered a ping and the aggregates read during this scrape, else 0.",
        )?;
        let backend = IntGaugeVec::new(
            Opts::new(
                "trustwatch_collector_store_backend_info",
                "Always 1: the store backend this collector uses (sqlite or postgres).",
            ),
            &["backend"],
        )?;
        let up_since = IntGauge::new(
            "trustwatch_collector_up_since_timestamp_seconds",
            "When this collector process started (unix time).",
        )?;
        up_since.set(OffsetDateTime::now_utc().unix_timestamp());
        registry.register(Box::new(store_up.clone()))?;
        registry.register(Box::new(backend.clone()))?;
        registry.register(Box::new(up_since))?;
        Ok(Health { store_up, backend })
    }

    pub(super) fn set_backend(&self, name: &str) {
        self.backend.reset();
        self.backend.with_label_values(&[name]).set(1);
    }

    pub(super) fn set_store_up(&self, up: bool) {
        self.store_up.set(i64::from(up));
    }
}
