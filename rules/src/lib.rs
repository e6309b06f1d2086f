//! The Trustwatch findings model, the NHS cyber baseline catalogue and the
//! pure evaluator that turns a probe's observations into findings.
//!
//! This crate has no runtime and opens no sockets: the agent produces
//! observations, the collector stores reports, and both speak the types here.

pub mod alerts;
pub mod catalogue;
pub mod error;
pub mod evaluate;
pub mod evidence;
pub mod finding;
pub mod lifecycle;
pub mod observe;
pub mod register;
pub mod report;
pub mod severity;
pub mod toml_location;

pub use alerts::{AlertError, AlertList};
pub use catalogue::{Baseline, Catalogue, Mode, Rule};
pub use error::CatalogueError;
pub use evidence::Evidence;
pub use finding::{Finding, Status};
pub use lifecycle::{Lifecycle, LifecycleError};
pub use register::{ApprovedService, ServiceRegister};
pub use report::{BaselineRef, Report, ToolInfo, SCHEMA_VERSION};
pub use severity::Severity;
