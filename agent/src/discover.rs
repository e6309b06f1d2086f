//! Discovery: which services listen inside a scope, and what they are.
//!
//! A scan runs in two passes. The sweep ([`sweep`]) makes plain TCP
//! connections to every (address, port) in scope under a bounded window and
//! rate limits, timing each answer to adapt its timeouts. Every open port is
//! then identified ([`identify`]): its greeting first, then at most one
//! light, protocol-correct probe for the service it most likely is. Nothing
//! sends credentials and nothing is destructive; gentle mode sends nothing
//! at all beyond the connect and reads only what a server volunteers.
//!
//! Scope ([`crate::scope`]) and port lists ([`ports`]) are validated before
//! any socket opens.

pub mod identify;
mod plan;
pub mod ports;
pub mod rate;
pub mod rtt;
mod run;
pub mod sweep;

pub use self::plan::{DiscoveryInput, DiscoveryPlan, Field, PlanError, Rate, ScopeEntry};
pub use self::run::{Discovered, Progress};
