//! Rules for a domain's email authentication and transport (MAIL-0xx),
//! from what the agent's DNS checks observed. One file per group of rules.

pub mod spf;
