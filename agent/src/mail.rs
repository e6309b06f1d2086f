//! Mail checks of a domain (issue 6): what its DNS publishes about how
//! mail in its name is authenticated and delivered.

pub mod policy;
