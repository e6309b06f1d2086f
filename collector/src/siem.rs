//! SIEM export (issue 8): the push of findings as OCSF events to a Splunk
//! HTTP Event Collector while `serve` runs. The events are `crate::ocsf`'s;
//! the file export is `ocsf::export`.

mod cursor;
pub mod hec;
pub mod pump;

pub use hec::{Hec, Outcome};
pub use pump::{Pump, CURSOR_FILE};
