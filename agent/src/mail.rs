//! Email checks for a trust's domains (issue 6), over the DNS seam
//! ([`crate::dns::Resolve`]).

pub mod spf;
