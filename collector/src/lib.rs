//! The Trustwatch collector: its own CA for agent certificates, the
//! mutual-TLS ingest API, the SQLite store, the Prometheus exporter and the
//! query API, plus the self-contained `demo`.
//!
//! Library code returns typed errors and never prints; `main.rs` talks to
//! the operator.

pub mod api;
pub mod board;
pub mod ca;
pub mod config;
pub mod demo;
pub mod enrol;
pub mod error;
pub mod evidence;
pub mod identity;
pub mod ingest;
pub mod metrics;
pub mod ocsf;
pub mod policy;
pub mod retention;
pub mod server;
pub mod shutdown;
pub mod siem;
pub mod store;
pub mod tls;

pub use config::Config;
pub use error::{Error, Result};
pub use identity::AgentIdentity;
pub use server::Collector;
pub use store::Store;
