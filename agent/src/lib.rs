//! The Trustwatch agent: probes an NHS trust's estate, judges what it sees
//! against the baseline (`trustwatch-rules`) and reports to the collector.
//!
//! `scan` is one-shot, for a person or a pipeline; `run` is the daemon.
//! Library code never prints or exits: the binary (`main.rs`) does that.

pub mod advisories;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod delivery;
pub mod discover;
pub mod dns;
pub mod dnscheck;
pub mod domains;
pub mod enrol;
pub mod error;
pub mod fsio;
pub mod https;
pub mod identity;
pub mod mail;
pub mod net;
pub mod output;
pub mod packages;
pub mod patching;
pub mod pem;
pub mod policy;
pub mod probe;
pub mod progress;
pub mod renew;
pub mod scan;
pub mod scope;
pub mod spool;
pub mod starttls;
pub mod target;
pub mod upload;

pub use error::{Error, Result};
