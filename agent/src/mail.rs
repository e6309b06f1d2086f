//! The domain's email checks (issue 6), by the part of the mail set-up
//! they look at.

pub mod route;
