//! Reading what a pack holds from the store, every page of each list.

use crate::error::Result;
use crate::store::query::MAX_PAGE;
use crate::store::{
    ChangeRow, Cursor, Exception, ExceptionQuery, FindingFilter, FindingRow, HistoryFilter, Store,
};

use super::Options;

/// Current findings at the site last seen in the period, every page.
pub(super) async fn findings(store: &Store, opts: &Options) -> Result<Vec<FindingRow>> {
    let mut all: Vec<FindingRow> = Vec::new();
    loop {
        let page = store
            .findings(FindingFilter {
                site: opts.site.clone(),
                since: opts.period.from,
                until: opts.period.until,
                after: all.last().map(FindingRow::cursor),
                limit: Some(MAX_PAGE),
                ..FindingFilter::default()
            })
            .await?;
        let done = page.len() < MAX_PAGE as usize;
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

/// Status changes up to the period's end (episodes may start before it).
pub(super) async fn changes(store: &Store, opts: &Options) -> Result<Vec<ChangeRow>> {
    let mut all: Vec<ChangeRow> = Vec::new();
    loop {
        let page = store
            .changes(HistoryFilter {
                site: opts.site.clone(),
                until: opts.period.until,
                after: all.last().map(|c| Cursor::Id(c.id)),
                limit: Some(MAX_PAGE),
                ..HistoryFilter::default()
            })
            .await?;
        let done = page.len() < MAX_PAGE as usize;
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

/// Every exception that can apply at the site, in any state.
pub(super) async fn exceptions(store: &Store, opts: &Options) -> Result<Vec<Exception>> {
    let mut all: Vec<Exception> = Vec::new();
    loop {
        let page = store
            .exceptions(ExceptionQuery {
                site: opts.site.clone(),
                after: all.last().map(|e| Cursor::Id(e.id)),
                limit: Some(MAX_PAGE),
                ..ExceptionQuery::default()
            })
            .await?;
        let done = page.len() < MAX_PAGE as usize;
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}
