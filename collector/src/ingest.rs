//! The ingest API: agents POST reports over mutual TLS.

mod handler;
mod listener;
mod policy;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{watch, Semaphore};

use crate::metrics::Metrics;
use crate::store::Store;

pub use listener::serve;

/// The path agents upload to.
pub const REPORTS_PATH: &str = "/api/v1/reports";
/// Where agents fetch their site's central policy.
pub const POLICY_PATH: &str = "/api/v1/policy";

/// What the upload handler needs.
#[derive(Debug, Clone)]
pub struct IngestState {
    pub store: Store,
    pub metrics: Metrics,
    pub max_report_bytes: u64,
    pub body_read_timeout: Duration,
    /// Count of reports stored since start; `demo` waits on it.
    pub stored: watch::Sender<u64>,
    /// One permit per report between parsing and its answer
    /// (`[ingest] max_queued_reports`); none left means 429.
    pub queue: Arc<Semaphore>,
}

/// The ingest router. Every request must carry the agent's
/// [`crate::identity::AgentIdentity`] as an extension; [`serve`] inserts it
/// from the verified client certificate.
pub fn router(state: IngestState) -> Router {
    Router::new()
        .route(REPORTS_PATH, post(handler::post_report))
        .route(POLICY_PATH, get(policy::get_policy))
        .with_state(Arc::new(state))
}
