//! DNS for the domain checks (issue 6): one seam, [`Resolve`], between the
//! checks and the network, so that SPF, DMARC and DKIM logic is tested on
//! answers written in a table and the same code runs against a real server
//! through hickory-resolver.
//!
//! Every answer is data: the name and type asked, and either the records
//! or why there are none (NXDOMAIN, no data, SERVFAIL, REFUSED, timeout).
//! The checks put the answers they used into their evidence, with the
//! resolver that gave them.

pub mod answer;
pub mod hickory;
pub mod table;

pub use answer::{Answer, Failure, Record, RecordType};
pub use hickory::Hickory;
pub use table::Table;

use std::future::Future;

/// Something that answers DNS questions: hickory-resolver against the
/// configured server, or a [`Table`] in tests.
pub trait Resolve: Send + Sync {
    /// Asks for `name`'s records of type `rtype`. Never fails: a failure is
    /// in the answer.
    fn lookup(&self, name: &str, rtype: RecordType) -> impl Future<Output = Answer> + Send;

    /// The resolver asked, for evidence: `127.0.0.1:5353`, or `system`.
    fn describe(&self) -> String;
}
