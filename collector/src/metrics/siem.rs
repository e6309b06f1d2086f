//! `trustwatch_collector_siem_events_total{result}`: OCSF events pushed to
//! the SIEM (Splunk HEC). `sent`: accepted; `failed`: an attempt that did
//! not get them accepted (retried, so the same event may count again);
//! `dropped`: refused by the HEC as malformed or too large and skipped, so
//! one bad event cannot stop the stream.

use prometheus::{IntCounterVec, Opts, Registry};

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiemResult {
    Sent,
    Dropped,
    Failed,
}

impl SiemResult {
    pub const ALL: [SiemResult; 3] = [SiemResult::Sent, SiemResult::Dropped, SiemResult::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            SiemResult::Sent => "sent",
            SiemResult::Dropped => "dropped",
            SiemResult::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SiemMetrics {
    events: IntCounterVec,
}

impl SiemMetrics {
    pub(super) fn register(registry: &Registry) -> Result<SiemMetrics> {
        let events = IntCounterVec::new(
            Opts::new(
                "trustwatch_collector_siem_events_total",
                "OCSF events pushed to the SIEM since the collector started, by result (sent, dropped, failed attempts).",
            ),
            &["result"],
        )?;
        registry.register(Box::new(events.clone()))?;
        for r in SiemResult::ALL {
            events.with_label_values(&[r.as_str()]);
        }
        Ok(SiemMetrics { events })
    }

    pub fn add(&self, result: SiemResult, n: usize) {
        self.events
            .with_label_values(&[result.as_str()])
            .inc_by(n as u64);
    }

    pub fn get(&self, result: SiemResult) -> u64 {
        self.events.with_label_values(&[result.as_str()]).get()
    }
}
