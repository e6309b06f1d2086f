//! Email rules (MAIL-001…013), by the part of the domain's mail set-up they
//! judge.

pub mod route;
