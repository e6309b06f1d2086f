//! `export ocsf`: every current finding as one OCSF event per line
//! (NDJSON), read from the store a page at a time so memory stays bounded
//! by one page whatever the estate's size.

use std::io::Write;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::store::query::{FindingFilter, MAX_PAGE};
use crate::Store;

use super::{event, Occurrence, COMPLIANCE_FINDING, VULNERABILITY_FINDING};

/// Which findings to export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportFilter {
    pub site: Option<String>,
    /// Only findings whose status changed at or after this (unix seconds).
    pub changed_since: Option<i64>,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exported {
    pub compliance: u64,
    pub vulnerability: u64,
}

impl Exported {
    pub fn total(&self) -> u64 {
        self.compliance + self.vulnerability
    }
}

/// Writes the events to `out`; `shown` names it in errors.
pub async fn write_ndjson<W: Write>(
    store: &Store,
    filter: &ExportFilter,
    out: &mut W,
    shown: &str,
) -> Result<Exported> {
    let io = |source| Error::Io {
        action: "write the OCSF export to",
        path: PathBuf::from(shown),
        source,
    };
    let mut done = Exported::default();
    let mut after = None;
    loop {
        let page = store
            .findings(FindingFilter {
                site: filter.site.clone(),
                changed_since: filter.changed_since,
                after: after.take(),
                limit: Some(MAX_PAGE),
                ..FindingFilter::default()
            })
            .await?;
        for row in &page {
            let e = event(row, Occurrence::of_current(row));
            match e["class_uid"].as_u64() {
                Some(c) if c == u64::from(VULNERABILITY_FINDING) => done.vulnerability += 1,
                Some(c) if c == u64::from(COMPLIANCE_FINDING) => done.compliance += 1,
                _ => {}
            }
            serde_json::to_writer(&mut *out, &e).map_err(|e| io(e.into()))?;
            out.write_all(b"\n").map_err(io)?;
        }
        match page.last() {
            Some(last) if page.len() as u32 >= MAX_PAGE => after = Some(last.cursor()),
            _ => break,
        }
    }
    out.flush().map_err(io)?;
    Ok(done)
}
