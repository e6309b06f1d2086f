//! Mail checks of a domain (issue 6), over the DNS seam
//! ([`crate::dns::Resolve`]): what its DNS publishes about how mail in its
//! name is authenticated (`spf`, `policy`: DMARC, DKIM, TLS-RPT, MX) and how
//! it is delivered (`route`: MX STARTTLS, MTA-STS, the DCB1596 route).

pub mod policy;
pub mod route;
pub mod spf;
