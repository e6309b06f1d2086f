//! The HEC push of `serve`: tails the store's history (`finding_changes`)
//! by id from a cursor kept in `data_dir`, turns each change into an OCSF
//! event and posts them in batches. Ingest never waits for it: the pump
//! only reads the store, after the report's transaction has committed,
//! woken by the stored-report counter or a short poll.
//!
//! Delivery is at least once: the cursor moves only after the HEC accepted
//! (or refused as malformed) every event of a batch, so a crash or a
//! shutdown mid-batch sends that batch again on the next start.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;
use trustwatch_rules::{Catalogue, Severity, Status};

use super::cursor::{read_cursor, write_cursor};
use super::hec::{Hec, Outcome};
use crate::error::Result;
use crate::metrics::{SiemMetrics, SiemResult};
use crate::ocsf::{self, Activity, Occurrence};
use crate::store::query::{ChangeRow, FindingFilter, FindingRow, FindingSource, HistoryFilter};
use crate::store::{Cursor, Store};

pub use super::cursor::CURSOR_FILE;

/// Between looks at the store when no report wakes the pump (another
/// collector sharing a PostgreSQL store may have stored one).
const POLL: Duration = Duration::from_secs(5);
/// Backoff after a failed POST: doubles from the first to the last.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Everything the pump needs; built (and the cursor read) before serving.
#[derive(Debug)]
pub struct Pump {
    store: Store,
    catalogue: Arc<Catalogue>,
    hec: Hec,
    cursor_file: PathBuf,
    cursor: i64,
    metrics: SiemMetrics,
}

impl Pump {
    pub fn new(
        store: Store,
        catalogue: Arc<Catalogue>,
        hec: Hec,
        data_dir: &Path,
        metrics: SiemMetrics,
    ) -> Result<Pump> {
        let cursor_file = data_dir.join(CURSOR_FILE);
        let cursor = read_cursor(&cursor_file)?;
        Ok(Pump {
            store,
            catalogue,
            hec,
            cursor_file,
            cursor,
            metrics,
        })
    }

    /// Pushes until `stop` reads true.
    pub async fn run(mut self, mut reports: watch::Receiver<u64>, mut stop: watch::Receiver<bool>) {
        let mut backoff = FIRST_BACKOFF;
        loop {
            if *stop.borrow() {
                return;
            }
            let batch = self
                .store
                .changes(HistoryFilter {
                    after: Some(Cursor::Id(self.cursor)),
                    limit: Some(self.hec.config().batch_size as u32),
                    ..HistoryFilter::default()
                })
                .await;
            let batch = match batch {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::error!(error = %e, "SIEM push: cannot read the history");
                    if !pause(&mut stop, backoff).await {
                        return;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            backoff = FIRST_BACKOFF;
            let Some(last) = batch.last().map(|c| c.id) else {
                tokio::select! {
                    () = crate::shutdown::stopped(&mut stop) => return,
                    _ = reports.changed() => {}
                    () = tokio::time::sleep(POLL) => {}
                }
                continue;
            };
            let mut events = Vec::with_capacity(batch.len());
            for change in &batch {
                match self.event(change).await {
                    Ok(e) => events.push(e),
                    Err(e) => {
                        tracing::error!(error = %e, "SIEM push: cannot read a finding");
                        events.clear();
                        break;
                    }
                }
            }
            if events.len() != batch.len() {
                if !pause(&mut stop, backoff).await {
                    return;
                }
                continue;
            }
            if !self.deliver(&events, &mut stop).await {
                return;
            }
            match write_cursor(&self.cursor_file, last) {
                Ok(()) => self.cursor = last,
                Err(e) => {
                    // Keep going from memory; a restart resends from the
                    // file's older cursor, which at-least-once allows.
                    tracing::error!(error = %e, "SIEM push: cannot save the cursor");
                    self.cursor = last;
                }
            }
        }
    }

    /// The HEC event for one history row: the finding as it now stands,
    /// with the status, severity and time of the change.
    async fn event(&self, change: &ChangeRow) -> Result<Value> {
        let current = self
            .store
            .findings(FindingFilter {
                agent: Some(change.agent.clone()),
                target: Some(change.target.clone()),
                rule_id: Some(change.rule_id.clone()),
                limit: Some(1),
                ..FindingFilter::default()
            })
            .await?
            .into_iter()
            .next();
        let mut row = current.unwrap_or_else(|| self.gone(change));
        let to = parse_status(&change.to_status);
        if let Some(status) = to {
            row.status = status;
            row.reported_status = status.as_str().to_owned();
        } else {
            // `absent`: the target no longer lists it.
            row.status = Status::NotApplicable;
            row.reported_status = change.to_status.clone();
        }
        if let Ok(sev) = change.severity.parse::<Severity>() {
            row.severity = sev;
        }
        let from = change.from_status.as_deref().and_then(parse_status);
        let activity = match (from, to) {
            (None, Some(_)) if change.from_status.is_none() => Activity::Create,
            (_, None) => Activity::Close,
            (Some(Status::Fail | Status::Error), Some(Status::Pass)) => Activity::Close,
            _ => Activity::Update,
        };
        let occurrence = Occurrence {
            activity,
            at: change.at,
        };
        let event = ocsf::event(&row, occurrence);
        let class = event["class_uid"].as_u64().unwrap_or_default();
        let c = self.hec.config();
        // HEC's `time`: epoch seconds, to the millisecond like the event's.
        let time = event["time"].as_i64().unwrap_or_default() as f64 / 1000.0;
        let mut wrapped = json!({
            "time": time,
            "host": row.host,
            "source": "trustwatch",
            "sourcetype": c.sourcetype.as_deref().unwrap_or(ocsf::sourcetype(class)),
            "event": event,
        });
        if let Some(index) = &c.index {
            wrapped["index"] = json!(index);
        }
        Ok(wrapped)
    }

    /// A finding no longer in the store (it went absent): rebuilt from the
    /// history row and the rule catalogue.
    fn gone(&self, change: &ChangeRow) -> FindingRow {
        let rule = self.catalogue.rule(&change.rule_id);
        let host = host_of(&change.target);
        FindingRow {
            agent: change.agent.clone(),
            site: change.site.clone(),
            target: change.target.clone(),
            host,
            rule_id: change.rule_id.clone(),
            title: rule.map_or_else(|| change.rule_id.clone(), |r| r.title.clone()),
            severity: change.severity.parse().unwrap_or(Severity::Info),
            status: Status::NotApplicable,
            reported_status: change.to_status.clone(),
            exception: None,
            summary: format!(
                "{} is no longer reported for {}",
                change.rule_id, change.target
            ),
            evidence: Value::Null,
            controls: rule.map(|r| r.controls.clone()).unwrap_or_default(),
            first_seen: change.at,
            last_seen: change.at,
            last_changed: change.at,
            resolved_at: None,
            report_id: Some(change.report_id),
            source: FindingSource::Report,
        }
    }

    /// Posts `events` until each is accepted or refused; `false` when
    /// stopped first. A refused batch is split so only the events the HEC
    /// refuses are dropped.
    async fn deliver(&self, events: &[Value], stop: &mut watch::Receiver<bool>) -> bool {
        let mut start = 0;
        let mut one_by_one = false;
        let mut backoff = FIRST_BACKOFF;
        while start < events.len() {
            let end = if one_by_one { start + 1 } else { events.len() };
            let mut body = Vec::new();
            for e in &events[start..end] {
                // A Value always serialises.
                let _ = serde_json::to_writer(&mut body, e);
                body.push(b'\n');
            }
            match self.hec.post(body).await {
                Outcome::Accepted => {
                    self.metrics.add(SiemResult::Sent, end - start);
                    start = end;
                    backoff = FIRST_BACKOFF;
                }
                Outcome::Refused(why) if end - start > 1 => {
                    tracing::warn!(%why, "SIEM push: batch refused, sending its events one by one");
                    one_by_one = true;
                }
                Outcome::Refused(why) => {
                    tracing::error!(%why, "SIEM push: event refused and dropped");
                    self.metrics.add(SiemResult::Dropped, 1);
                    start = end;
                }
                Outcome::Retry(why) => {
                    tracing::warn!(%why, retry_in_ms = backoff.as_millis() as u64, "SIEM push failed; will retry");
                    self.metrics.add(SiemResult::Failed, end - start);
                    if !pause(stop, backoff).await {
                        return false;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        true
    }
}

/// Sleeps `d`; `false` when stopped first.
async fn pause(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        () = crate::shutdown::stopped(stop) => false,
        () = tokio::time::sleep(d) => true,
    }
}

fn parse_status(text: &str) -> Option<Status> {
    Status::ALL.into_iter().find(|s| s.as_str() == text)
}

/// The host part of a target: `[::1]:443` → `::1`, `host:443` → `host`,
/// a bare name stays itself.
fn host_of(target: &str) -> String {
    if let Some(rest) = target.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).to_owned();
    }
    match target.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.parse::<u16>().is_ok() => host.to_owned(),
        _ => target.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_come_out_of_targets() {
        assert_eq!(host_of("[::1]:443"), "::1");
        assert_eq!(host_of("10.0.0.5:8443"), "10.0.0.5");
        assert_eq!(host_of("mail.example.nhs.uk"), "mail.example.nhs.uk");
        assert_eq!(host_of("::1"), "::1");
    }
}
